import {
  anyEmbeddingStored,
  embeddingColumns,
  recordEmbeddingDimensions,
  resetEmbeddingColumns,
} from '../embedding-dimensions.ts';
import type { Migration } from './types.ts';

/**
 * Embedding size as configuration (OPENAI_EMBEDDING_DIMENSIONS): a settings table records
 * the size the vector columns hold. On a fresh database 001 already made them
 * vector(N); an older database without any vector yet is switched to N here; one
 * with vectors keeps their size (measured), and a different configured size is then
 * refused until `videoqa reembed`.
 */
export const embeddingDimensions: Migration = {
  version: 6,
  name: 'embedding dimensions setting',
  async up(tx, ctx) {
    await tx.exec(`
      CREATE TABLE videoqa_settings (
        key text PRIMARY KEY,
        value text NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      );
    `);
    const columns = await embeddingColumns(tx);
    const declared = columns.map((c) => /^vector\((\d+)\)$/.exec(c.type)?.[1]).find(Boolean);
    if (!(await anyEmbeddingStored(tx))) {
      if (declared && Number(declared) !== ctx.dimensions) await resetEmbeddingColumns(tx, ctx.dimensions);
      else await recordEmbeddingDimensions(tx, ctx.dimensions);
      return;
    }
    if (declared) return recordEmbeddingDimensions(tx, Number(declared));
    // real[] columns do not declare a size: the vectors already stored tell it.
    for (const { table } of columns) {
      const res = await tx.query<{ n: number | null }>(
        `SELECT max(cardinality(embedding))::int AS n FROM "${table.replace(/"/g, '""')}" WHERE embedding IS NOT NULL`,
      );
      if (res.rows[0]?.n) return recordEmbeddingDimensions(tx, res.rows[0].n);
    }
  },
};
