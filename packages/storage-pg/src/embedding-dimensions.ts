import { VideoqaError } from '@videoqa/core';
import type { Queryable } from './db.ts';

/** pgvector's HNSW index takes at most 2000 dimensions; larger vectors are searched exactly. */
export const HNSW_MAX_DIMENSIONS = 2000;
export const DIMENSIONS_SETTING = 'embedding_dimensions';

/** The configured size differs from the size the vector columns were made for. */
export class EmbeddingDimensionsMismatchError extends VideoqaError {
  readonly stored: number;
  readonly configured: number;
  constructor(stored: number, configured: number) {
    super(
      'EMBEDDING_DIMENSIONS_MISMATCH',
      `OPENAI_EMBEDDING_DIMENSIONS is ${configured}, but this database stores ${stored}-dimension embeddings; run \`videoqa reembed\` to rebuild every vector with the configured model (the videos are not processed again), or set OPENAI_EMBEDDING_DIMENSIONS=${stored}`,
      false,
    );
    this.stored = stored;
    this.configured = configured;
  }
}

/** Every `embedding` column of the schema (segments, captions, OCR, and any a later migration adds), with its type. */
export async function embeddingColumns(q: Queryable): Promise<{ table: string; type: string }[]> {
  const res = await q.query<{ table: string; type: string }>(
    `SELECT c.relname AS table, format_type(a.atttypid, a.atttypmod) AS type
       FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
      WHERE a.attname = 'embedding' AND NOT a.attisdropped AND c.relkind = 'r' AND c.relnamespace = to_regnamespace(current_schema())
      ORDER BY c.relname`,
  );
  return res.rows;
}

/** The size recorded for the vector columns (migration 006), or null before it. */
export async function storedEmbeddingDimensions(q: Queryable): Promise<number | null> {
  const exists = await q.query<{ t: string | null }>(`SELECT to_regclass('videoqa_settings')::text AS t`);
  if (!exists.rows[0]?.t) return null;
  const res = await q.query<{ value: string }>('SELECT value FROM videoqa_settings WHERE key = $1', [
    DIMENSIONS_SETTING,
  ]);
  return res.rows[0] ? Number(res.rows[0].value) : null;
}

/** Whether any row of any embedding column holds a vector. */
export async function anyEmbeddingStored(q: Queryable): Promise<boolean> {
  for (const { table } of await embeddingColumns(q)) {
    const res = await q.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM (SELECT 1 FROM ${quoteIdent(table)} WHERE embedding IS NOT NULL LIMIT 1) s`,
    );
    if ((res.rows[0]?.n ?? 0) > 0) return true;
  }
  return false;
}

const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;

/**
 * Makes every embedding column hold `dimensions`-sized vectors and records the size.
 * All stored vectors are dropped (vectors of another model are not comparable): the
 * caller embeds again. pgvector columns change type and get their HNSW index back;
 * real[] columns only lose their values.
 */
export async function resetEmbeddingColumns(tx: Queryable, dimensions: number): Promise<void> {
  for (const { table, type } of await embeddingColumns(tx)) {
    const t = quoteIdent(table);
    if (type.startsWith('vector')) {
      const indexes = await tx.query<{ name: string }>(
        `SELECT indexname AS name FROM pg_indexes WHERE schemaname = current_schema() AND tablename = $1 AND indexdef ILIKE '%(embedding%'`,
        [table],
      );
      for (const { name } of indexes.rows) await tx.exec(`DROP INDEX ${quoteIdent(name)}`);
      await tx.exec(`ALTER TABLE ${t} ALTER COLUMN embedding TYPE vector(${dimensions}) USING NULL`);
      if (dimensions <= HNSW_MAX_DIMENSIONS)
        await tx.exec(
          `CREATE INDEX ${quoteIdent(`${table}_embedding_idx`)} ON ${t} USING hnsw (embedding vector_cosine_ops)`,
        );
    } else {
      await tx.exec(`UPDATE ${t} SET embedding = NULL WHERE embedding IS NOT NULL`);
    }
  }
  await recordEmbeddingDimensions(tx, dimensions);
}

export async function recordEmbeddingDimensions(tx: Queryable, dimensions: number): Promise<void> {
  await tx.query(
    `INSERT INTO videoqa_settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()`,
    [DIMENSIONS_SETTING, String(dimensions)],
  );
}

/** Clears the vectors of one video in every embedding column, so the embeddings stage computes them again. */
export async function clearVideoEmbeddings(tx: Queryable, videoId: string): Promise<void> {
  for (const { table } of await embeddingColumns(tx)) {
    await tx.query(`UPDATE ${quoteIdent(table)} SET embedding = NULL WHERE video_id = $1 AND embedding IS NOT NULL`, [
      videoId,
    ]);
  }
}
