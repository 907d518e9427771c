import type { Migration } from './types.ts';

/** Text read from keyframes by the ocr stage: one row per frame, searchable like captions. */
export const ocr: Migration = {
  version: 2,
  name: 'frame OCR text',
  async up(tx) {
    // The embedding column takes the type the other embedding columns already have (vector or
    // real[]): search and setEmbeddings choose one form for all of them.
    const existing = await tx.query<{ type: string | null }>(
      `SELECT format_type(a.atttypid, a.atttypmod) AS type FROM pg_attribute a
        WHERE a.attrelid = to_regclass('frame_captions') AND a.attname = 'embedding' AND NOT a.attisdropped`,
    );
    const vectorType = existing.rows[0]?.type ?? 'real[]';
    await tx.exec(`
      CREATE TABLE frame_ocr (
        id text PRIMARY KEY,
        frame_id text NOT NULL UNIQUE REFERENCES frames (id) ON DELETE CASCADE,
        video_id text NOT NULL REFERENCES videos (id) ON DELETE CASCADE,
        text text NOT NULL,
        confidence real NOT NULL CHECK (confidence >= 0 AND confidence <= 100),
        language text NOT NULL,
        embedding ${vectorType},
        -- 'simple' as well as 'english': on-screen text is full of names, codes and numbers that
        -- English stemming and stop words would drop.
        tsv tsvector GENERATED ALWAYS AS (to_tsvector('english', text) || to_tsvector('simple', text)) STORED
      );
      CREATE INDEX frame_ocr_video_idx ON frame_ocr (video_id);
      CREATE INDEX frame_ocr_tsv_idx ON frame_ocr USING gin (tsv);
    `);
    if (vectorType.startsWith('vector') && Number(/\d+/.exec(vectorType)?.[0]) <= 2000)
      await tx.exec('CREATE INDEX frame_ocr_embedding_idx ON frame_ocr USING hnsw (embedding vector_cosine_ops);');
  },
};
