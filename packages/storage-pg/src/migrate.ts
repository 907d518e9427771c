import type { Db, Queryable } from './db.ts';
import { migrations as allMigrations, type Migration } from './migrations/index.ts';
import { EmbeddingDimensionsMismatchError, storedEmbeddingDimensions } from './embedding-dimensions.ts';

/** The default embedding size (text-embedding-3-small); OPENAI_EMBEDDING_DIMENSIONS changes it. */
export const EMBEDDING_DIMENSIONS = 1536;
/** Arbitrary constant shared by every videoqa process: the advisory lock that serialises migrators. */
const MIGRATION_LOCK_KEY = 7_193_204_611;

export interface MigrateResult {
  applied: number[];
  version: number;
  vector: boolean;
  /** The size the vector columns hold (null only for a schema that has no embeddings yet). */
  dimensions: number | null;
}

/**
 * Creates pgvector when the server has it; a savepoint keeps a failure from
 * poisoning the transaction. (PGlite loads the extension on demand and does not
 * list it in pg_available_extensions, so we try rather than ask.)
 */
async function tryCreateVector(tx: Queryable): Promise<boolean> {
  await tx.exec('SAVEPOINT videoqa_vector');
  try {
    await tx.exec('CREATE EXTENSION IF NOT EXISTS vector');
    await tx.exec('RELEASE SAVEPOINT videoqa_vector');
    return true;
  } catch {
    await tx.exec('ROLLBACK TO SAVEPOINT videoqa_vector');
    return false;
  }
}

/**
 * Applies pending migrations in one transaction under an advisory lock, so
 * several workers starting at once apply each migration exactly once.
 */
export interface MigrateOptions {
  /** 'auto' uses pgvector when the server has it; 'off' forces real[] columns (tests, or to avoid the extension). */
  vector?: 'auto' | 'off';
  migrations?: readonly Migration[];
  /** Size of new vector columns (default 1536). */
  embeddingDimensions?: number;
  /**
   * Refuse (EMBEDDING_DIMENSIONS_MISMATCH) when the schema holds another size than
   * embeddingDimensions. Default true when embeddingDimensions is given; `videoqa reembed` turns it off.
   */
  checkDimensions?: boolean;
}

export async function migrate(db: Db, options: MigrateOptions = {}): Promise<MigrateResult> {
  const migrations = options.migrations ?? allMigrations;
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    await tx.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY,
      name text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const done = new Set(
      (await tx.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((r) => r.version),
    );
    const pending = [...migrations].sort((a, b) => a.version - b.version).filter((m) => !done.has(m.version));
    const hasVector =
      pending.length > 0 ? options.vector !== 'off' && (await tryCreateVector(tx)) : await vectorColumnsInUse(tx);
    const dimensions = options.embeddingDimensions ?? EMBEDDING_DIMENSIONS;
    const ctx = { hasVector, dimensions, vectorType: hasVector ? `vector(${dimensions})` : 'real[]' };
    for (const m of pending) {
      await m.up(tx, ctx);
      await tx.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
    }
    const version = Math.max(0, ...done, ...pending.map((m) => m.version));
    const stored = await storedEmbeddingDimensions(tx);
    if (
      options.embeddingDimensions !== undefined &&
      (options.checkDimensions ?? true) &&
      stored !== null &&
      stored !== options.embeddingDimensions
    ) {
      throw new EmbeddingDimensionsMismatchError(stored, options.embeddingDimensions);
    }
    return {
      applied: pending.map((m) => m.version),
      version,
      vector: await vectorColumnsInUse(tx),
      dimensions: stored,
    };
  });
}

/** Whether the embedding columns are pgvector (true) or real[] (false). */
export async function vectorColumnsInUse(q: Queryable): Promise<boolean> {
  const res = await q.query<{ type: string | null }>(
    `SELECT format_type(a.atttypid, a.atttypmod) AS type
       FROM pg_attribute a
      WHERE a.attrelid = to_regclass('transcript_segments') AND a.attname = 'embedding' AND NOT a.attisdropped`,
  );
  return (res.rows[0]?.type ?? '').startsWith('vector');
}

/** The newest applied migration version (0 when the schema is missing). */
export async function schemaVersion(q: Queryable): Promise<number> {
  const exists = await q.query<{ t: string | null }>(`SELECT to_regclass('schema_migrations')::text AS t`);
  if (!exists.rows[0]?.t) return 0;
  const res = await q.query<{ v: number | null }>('SELECT max(version) AS v FROM schema_migrations');
  return res.rows[0]?.v ?? 0;
}

export const LATEST_SCHEMA_VERSION = Math.max(...allMigrations.map((m) => m.version));
