import type { Migration } from './types.ts';

/**
 * The chapters stage's results (chapters; a summary with key points and tags) and the
 * speaker label of diarized transcript segments. Chapter titles+summaries and the video
 * summary are searchable like the other text kinds (tsv, embedding).
 */
export const chaptersSpeakers: Migration = {
  version: 5,
  name: 'chapters, summaries and speakers',
  async up(tx) {
    // Same embedding type as the existing columns (vector or real[]): search uses one form for all.
    const existing = await tx.query<{ type: string | null }>(
      `SELECT format_type(a.atttypid, a.atttypmod) AS type FROM pg_attribute a
        WHERE a.attrelid = to_regclass('transcript_segments') AND a.attname = 'embedding' AND NOT a.attisdropped`,
    );
    const vectorType = existing.rows[0]?.type ?? 'real[]';
    await tx.exec(`
      ALTER TABLE transcript_segments ADD COLUMN speaker text;

      CREATE TABLE video_chapters (
        id text PRIMARY KEY,
        video_id text NOT NULL REFERENCES videos (id) ON DELETE CASCADE,
        idx integer NOT NULL,
        t_start double precision NOT NULL CHECK (t_start >= 0),
        t_end double precision NOT NULL CHECK (t_end > t_start),
        title text NOT NULL CHECK (length(title) > 0),
        summary text NOT NULL,
        embedding ${vectorType},
        tsv tsvector GENERATED ALWAYS AS (setweight(to_tsvector('english', title), 'A') || to_tsvector('english', summary)) STORED,
        UNIQUE (video_id, idx)
      );
      CREATE INDEX video_chapters_tsv_idx ON video_chapters USING gin (tsv);

      CREATE TABLE video_summaries (
        video_id text PRIMARY KEY REFERENCES videos (id) ON DELETE CASCADE,
        summary text NOT NULL,
        key_points jsonb NOT NULL DEFAULT '[]'::jsonb CHECK (jsonb_typeof(key_points) = 'array'),
        -- jsonb rather than text[]: array_to_string is not immutable, so a generated tsv cannot read a text[].
        tags jsonb NOT NULL DEFAULT '[]'::jsonb CHECK (jsonb_typeof(tags) = 'array'),
        model text,
        embedding ${vectorType},
        tsv tsvector GENERATED ALWAYS AS (
          to_tsvector('english', summary) || jsonb_to_tsvector('english', key_points, '["string"]') || jsonb_to_tsvector('english', tags, '["string"]')
        ) STORED
      );
      CREATE INDEX video_summaries_tsv_idx ON video_summaries USING gin (tsv);
    `);
    // pgvector's HNSW indexes at most 2000 dimensions; larger vectors are searched without an index.
    const dims = Number(/^vector\((\d+)\)$/.exec(vectorType)?.[1] ?? 0);
    if (dims > 0 && dims <= 2000) {
      await tx.exec(`
        CREATE INDEX video_chapters_embedding_idx ON video_chapters USING hnsw (embedding vector_cosine_ops);
        CREATE INDEX video_summaries_embedding_idx ON video_summaries USING hnsw (embedding vector_cosine_ops);
      `);
    }
  },
};
