import type { Migration } from './types.ts';

/**
 * Completion webhooks as a transactional outbox. A job may name a URL (jobs.webhook_url);
 * when such a job becomes done or failed, a trigger writes the event into
 * webhook_deliveries in the same transaction as the status change, so a process that
 * dies right after completing a job cannot lose the event. Dispatchers in worker and
 * API processes claim due rows with FOR UPDATE SKIP LOCKED and record every attempt
 * in webhook_attempts. The row id is the Standard Webhooks `webhook-id`: the same on
 * every retry, so receivers can drop duplicates.
 */
export const webhooks: Migration = {
  version: 4,
  name: 'completion webhooks',
  async up(tx) {
    await tx.exec(`
      ALTER TABLE jobs ADD COLUMN webhook_url text;

      CREATE TABLE webhook_deliveries (
        id text PRIMARY KEY,
        job_id text NOT NULL,
        video_id text NOT NULL,
        event_type text NOT NULL CHECK (event_type IN ('video.ready', 'video.failed')),
        url text NOT NULL,
        payload jsonb NOT NULL,
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivering', 'delivered', 'failed')),
        attempts integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        locked_by text,
        locked_until timestamptz,
        last_status_code integer,
        last_error text,
        delivered_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
      CREATE INDEX webhook_deliveries_leased_idx ON webhook_deliveries (locked_until) WHERE status = 'delivering';
      CREATE INDEX webhook_deliveries_job_id_idx ON webhook_deliveries (job_id);

      CREATE TABLE webhook_attempts (
        delivery_id text NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
        attempt integer NOT NULL,
        attempted_at timestamptz NOT NULL DEFAULT now(),
        worker_id text,
        status_code integer,
        error text,
        duration_ms integer,
        PRIMARY KEY (delivery_id, attempt)
      );

      CREATE FUNCTION videoqa_webhook_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        ready boolean := NEW.status = 'done';
        delivery_id text := 'msg_' || replace(gen_random_uuid()::text, '-', '');
      BEGIN
        INSERT INTO webhook_deliveries (id, job_id, video_id, event_type, url, payload)
        VALUES (
          delivery_id, NEW.id, NEW.video_id,
          CASE WHEN ready THEN 'video.ready' ELSE 'video.failed' END,
          NEW.webhook_url,
          jsonb_build_object(
            'type', CASE WHEN ready THEN 'video.ready' ELSE 'video.failed' END,
            'timestamp', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
            'data', jsonb_strip_nulls(jsonb_build_object(
              'video_id', NEW.video_id,
              'job_id', NEW.id,
              'status', CASE WHEN ready THEN 'ready' ELSE 'failed' END,
              'error', CASE WHEN ready THEN NULL ELSE NEW.error END
            ))
          )
        );
        PERFORM pg_notify('videoqa_webhooks', delivery_id);
        RETURN NULL;
      END $$;

      CREATE TRIGGER jobs_webhook_outbox AFTER UPDATE OF status ON jobs
        FOR EACH ROW
        WHEN (NEW.webhook_url IS NOT NULL AND NEW.status IN ('done', 'failed') AND OLD.status IS DISTINCT FROM NEW.status)
        EXECUTE FUNCTION videoqa_webhook_outbox();
    `);
  },
};
