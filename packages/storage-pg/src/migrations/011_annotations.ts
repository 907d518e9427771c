import type { Migration } from './types.ts';

/**
 * Searchable text written by stage plugins (docs/stage-authoring.md, "Storing searchable
 * text"): one generic table, so a plugin needs no migration of its own to be found by
 * search and ask. Rows go with their video (ON DELETE CASCADE) and are embedded like the
 * other text kinds.
 */
export const annotations: Migration = {
  version: 11,
  name: 'annotations',
  async up(tx) {
    // The embedding type of the existing columns (vector(N) or real[]): search uses one form for all.
    const existing = await tx.query<{ type: string | null }>(
      `SELECT format_type(a.atttypid, a.atttypmod) AS type FROM pg_attribute a
        WHERE a.attrelid = to_regclass('transcript_segments') AND a.attname = 'embedding' AND NOT a.attisdropped`,
    );
    const vectorType = existing.rows[0]?.type ?? 'real[]';
    await tx.exec(`
      CREATE TABLE annotations (
        id text PRIMARY KEY,
        video_id text NOT NULL REFERENCES videos (id) ON DELETE CASCADE,
        stage text NOT NULL CHECK (length(stage) > 0),
        kind text NOT NULL CHECK (length(kind) > 0),
        t_start double precision NOT NULL CHECK (t_start >= 0),
        t_end double precision NOT NULL CHECK (t_end >= t_start),
        text text NOT NULL,
        data jsonb,
        embedding ${vectorType},
        tsv tsvector GENERATED ALWAYS AS (to_tsvector('english', text)) STORED,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX annotations_video_stage_idx ON annotations (video_id, stage);
      CREATE INDEX annotations_tsv_idx ON annotations USING gin (tsv);
    `);
    // pgvector's HNSW indexes at most 2000 dimensions; larger vectors are searched without an index.
    const dims = Number(/^vector\((\d+)\)$/.exec(vectorType)?.[1] ?? 0);
    if (dims > 0 && dims <= 2000) {
      await tx.exec('CREATE INDEX annotations_embedding_idx ON annotations USING hnsw (embedding vector_cosine_ops)');
    }
  },
};
