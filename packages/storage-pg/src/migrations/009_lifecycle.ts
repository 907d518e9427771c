import type { Migration } from './types.ts';

/**
 * Video lifecycle (issue 20): jobs can be cancelled; a video remembers when it became ready
 * (the retention clock) and when its bulky media was removed (the export and `show` say so).
 */
export const lifecycle: Migration = {
  version: 9,
  name: 'video lifecycle: cancelled jobs, ready_at, media removal times',
  async up(tx) {
    await tx.exec(`
      ALTER TABLE jobs DROP CONSTRAINT IF EXISTS jobs_status_check;
      ALTER TABLE jobs ADD CONSTRAINT jobs_status_check CHECK (status IN ('pending', 'processing', 'done', 'failed', 'cancelled'));

      ALTER TABLE videos
        ADD COLUMN ready_at timestamptz,
        ADD COLUMN upload_removed_at timestamptz,
        ADD COLUMN normalized_removed_at timestamptz;
      UPDATE videos SET ready_at = updated_at WHERE status = 'ready';
      CREATE INDEX videos_ready_at_idx ON videos (ready_at) WHERE status = 'ready';

      -- A trigger, not code in every writer: a video becomes ready through the queue
      -- (completeJob), the one-off pipeline (PgStore.updateVideo) and the Redis mirror alike.
      CREATE FUNCTION videoqa_video_ready_at() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.status = 'ready' AND (TG_OP = 'INSERT' OR OLD.status IS DISTINCT FROM 'ready') THEN
          NEW.ready_at := now();
        ELSIF NEW.status <> 'ready' THEN
          NEW.ready_at := NULL;
        END IF;
        RETURN NEW;
      END
      $$;
      CREATE TRIGGER videos_ready_at BEFORE INSERT OR UPDATE OF status ON videos
        FOR EACH ROW EXECUTE FUNCTION videoqa_video_ready_at();
    `);
  },
};
