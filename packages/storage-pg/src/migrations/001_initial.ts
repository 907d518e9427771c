import type { Migration } from './types.ts';

/** The seed's tables plus what a real queue needs (DESIGN §4). */
export const initial: Migration = {
  version: 1,
  name: 'initial schema',
  async up(tx, { vectorType, hasVector, dimensions }) {
    await tx.exec(`
      CREATE TABLE videos (
        id text PRIMARY KEY,
        original_path text,
        normalized_path text,
        duration_sec double precision,
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'processing', 'ready', 'failed')),
        error text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      );

      -- No foreign key to videos: the seed enqueues with INSERT INTO jobs (id, video_id) alone,
      -- and the worker finds or creates the video when it claims the job.
      CREATE TABLE jobs (
        id text PRIMARY KEY,
        video_id text NOT NULL,
        kind text NOT NULL DEFAULT 'process' CHECK (kind IN ('process', 'transcribe')),
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'processing', 'done', 'failed')),
        transcription text,
        error text,
        error_stack text,
        attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
        max_attempts integer CHECK (max_attempts IS NULL OR max_attempts >= 1),
        run_at timestamptz NOT NULL DEFAULT now(),
        locked_by text,
        locked_until timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX jobs_pending_idx ON jobs (run_at, created_at) WHERE status = 'pending';
      CREATE INDEX jobs_processing_idx ON jobs (locked_until) WHERE status = 'processing';
      CREATE INDEX jobs_video_id_idx ON jobs (video_id);

      -- Wake idle workers at once when a job becomes due.
      CREATE FUNCTION videoqa_notify_job() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.status = 'pending' AND NEW.run_at <= now() THEN
          PERFORM pg_notify('videoqa_jobs', NEW.id);
        END IF;
        RETURN NULL;
      END
      $$;
      CREATE TRIGGER jobs_notify AFTER INSERT OR UPDATE OF status ON jobs
        FOR EACH ROW EXECUTE FUNCTION videoqa_notify_job();

      CREATE TABLE transcript_segments (
        id text PRIMARY KEY,
        video_id text NOT NULL REFERENCES videos (id) ON DELETE CASCADE,
        idx integer NOT NULL,
        t_start double precision NOT NULL,
        t_end double precision NOT NULL CHECK (t_end >= t_start),
        text text NOT NULL,
        embedding ${vectorType},
        tsv tsvector GENERATED ALWAYS AS (to_tsvector('english', text)) STORED
      );
      CREATE INDEX transcript_segments_video_idx ON transcript_segments (video_id, idx);
      CREATE INDEX transcript_segments_tsv_idx ON transcript_segments USING gin (tsv);

      CREATE TABLE scenes (
        id text PRIMARY KEY,
        video_id text NOT NULL REFERENCES videos (id) ON DELETE CASCADE,
        idx integer NOT NULL,
        t_start double precision NOT NULL,
        t_end double precision NOT NULL CHECK (t_end >= t_start)
      );
      CREATE INDEX scenes_video_idx ON scenes (video_id, idx);

      CREATE TABLE frames (
        id text PRIMARY KEY,
        video_id text NOT NULL REFERENCES videos (id) ON DELETE CASCADE,
        scene_id text NOT NULL REFERENCES scenes (id) ON DELETE CASCADE,
        idx integer NOT NULL,
        t double precision NOT NULL,
        path text NOT NULL,
        phash text NOT NULL CHECK (phash ~ '^[0-9a-f]{16}$'),
        duplicate_of text REFERENCES frames (id) ON DELETE SET NULL
      );
      CREATE INDEX frames_video_idx ON frames (video_id, idx);
      CREATE INDEX frames_scene_idx ON frames (scene_id);

      CREATE TABLE frame_captions (
        id text PRIMARY KEY,
        frame_id text NOT NULL UNIQUE REFERENCES frames (id) ON DELETE CASCADE,
        video_id text NOT NULL REFERENCES videos (id) ON DELETE CASCADE,
        caption text NOT NULL,
        entities jsonb NOT NULL DEFAULT '{}'::jsonb,
        embedding ${vectorType},
        tsv tsvector GENERATED ALWAYS AS (
          to_tsvector('english', caption) || jsonb_to_tsvector('english', entities, '["string"]')
        ) STORED
      );
      CREATE INDEX frame_captions_video_idx ON frame_captions (video_id);
      CREATE INDEX frame_captions_tsv_idx ON frame_captions USING gin (tsv);

      CREATE TABLE stage_runs (
        video_id text NOT NULL REFERENCES videos (id) ON DELETE CASCADE,
        stage text NOT NULL,
        status text NOT NULL CHECK (status IN ('running', 'done', 'failed', 'skipped', 'cancelled')),
        started_at timestamptz NOT NULL DEFAULT now(),
        finished_at timestamptz,
        output jsonb,
        usage jsonb,
        error text,
        PRIMARY KEY (video_id, stage)
      );
    `);
    // pgvector's HNSW takes at most 2000 dimensions: larger vectors are searched exactly.
    if (hasVector && dimensions <= 2000) {
      await tx.exec(`
        CREATE INDEX transcript_segments_embedding_idx ON transcript_segments USING hnsw (embedding vector_cosine_ops);
        CREATE INDEX frame_captions_embedding_idx ON frame_captions USING hnsw (embedding vector_cosine_ops);
      `);
    }
  },
};
