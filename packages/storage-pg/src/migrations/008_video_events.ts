import type { Migration } from './types.ts';

/**
 * Job, stage and video state changes announced on one NOTIFY channel (`videoqa_events`), so
 * the API server's event stream sees every worker's progress, whichever process wrote it.
 * Triggers rather than calls in the worker: the event is sent only when the change commits,
 * in commit order, and a job enqueued or finished with plain SQL is announced too.
 * Payloads stay small (ids, status, a clipped error): NOTIFY refuses payloads of 8000 bytes.
 */
export const videoEvents: Migration = {
  version: 8,
  name: 'video events on NOTIFY',
  async up(tx) {
    await tx.exec(`
      -- One increasing id per event, used as the SSE id.
      CREATE SEQUENCE videoqa_event_seq;

      CREATE FUNCTION videoqa_publish_event(kind text, video_id text, job_id text, stage text, status text, error text)
      RETURNS void LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('videoqa_events', json_build_object(
          'id', nextval('videoqa_event_seq'),
          'type', kind,
          'video_id', video_id,
          'job_id', job_id,
          'stage', stage,
          'status', status,
          'error', left(error, 500),
          'at', now()
        )::text);
      END
      $$;

      CREATE FUNCTION videoqa_job_event() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE kind text;
      BEGIN
        IF TG_OP = 'UPDATE' AND OLD.status IS NOT DISTINCT FROM NEW.status THEN RETURN NULL; END IF;
        kind := CASE
          WHEN TG_OP = 'INSERT' THEN 'job.queued'
          WHEN NEW.status = 'processing' THEN 'job.claimed'
          WHEN NEW.status = 'pending' THEN 'job.retrying'
          WHEN NEW.status = 'done' THEN 'job.done'
          ELSE 'job.failed'
        END;
        PERFORM videoqa_publish_event(kind, NEW.video_id, NEW.id, NULL, NEW.status, NEW.error);
        RETURN NULL;
      END
      $$;
      CREATE TRIGGER jobs_event AFTER INSERT OR UPDATE OF status ON jobs
        FOR EACH ROW EXECUTE FUNCTION videoqa_job_event();

      CREATE FUNCTION videoqa_stage_event() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'UPDATE' AND OLD.status IS NOT DISTINCT FROM NEW.status THEN RETURN NULL; END IF;
        PERFORM videoqa_publish_event(
          CASE NEW.status WHEN 'running' THEN 'stage.started' ELSE 'stage.' || NEW.status END,
          NEW.video_id, NULL, NEW.stage, NEW.status, NEW.error);
        RETURN NULL;
      END
      $$;
      CREATE TRIGGER stage_runs_event AFTER INSERT OR UPDATE OF status ON stage_runs
        FOR EACH ROW EXECUTE FUNCTION videoqa_stage_event();

      CREATE FUNCTION videoqa_video_event() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'UPDATE' AND OLD.status IS NOT DISTINCT FROM NEW.status THEN RETURN NULL; END IF;
        PERFORM videoqa_publish_event(
          CASE WHEN TG_OP = 'INSERT' THEN 'video.created' ELSE 'video.' || NEW.status END,
          NEW.id, NULL, NULL, NEW.status, NEW.error);
        RETURN NULL;
      END
      $$;
      CREATE TRIGGER videos_event AFTER INSERT OR UPDATE OF status ON videos
        FOR EACH ROW EXECUTE FUNCTION videoqa_video_event();
    `);
  },
};
