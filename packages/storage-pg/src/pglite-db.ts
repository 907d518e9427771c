import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import type { Db, Queryable } from './db.ts';

export interface PgliteOptions {
  /** Directory of the database files; omit for an in-memory database. */
  dataDir?: string;
}

/**
 * PostgreSQL's default shared_buffers (128 MB) lives inside PGlite's WebAssembly memory, in
 * this process, and WebAssembly memory never shrinks. One connection and tables of a few
 * thousand rows per video need far less; the OS page cache still holds the files. Measured on
 * reopening a database: 395 MB resident after open with the default, 246-258 MB with 16 MB
 * (docs/benchmarks.md, "Memory").
 */
export const PGLITE_START_PARAMS = [...PGlite.defaultStartParams, '-c', 'shared_buffers=16MB', '-c', 'temp_buffers=2MB', '-c', 'wal_buffers=1MB'];

/**
 * A Db on PGlite (PostgreSQL in WebAssembly, one connection in this process),
 * with pgvector loaded. PGlite serialises queries and transactions itself.
 */
export async function createPgliteDb(options: PgliteOptions = {}): Promise<Db> {
  const pg = await PGlite.create(options.dataDir, { extensions: { vector }, startParams: PGLITE_START_PARAMS });
  const wrap = (q: Pick<PGlite, 'query' | 'exec'>): Queryable => ({
    async query(text, params) {
      const res = await q.query(text, params as unknown[] | undefined);
      // PGlite reports affectedRows = 0 for SELECT; the row count is what callers mean.
      return { rows: res.rows as never[], rowCount: res.rows.length > 0 ? res.rows.length : (res.affectedRows ?? 0) };
    },
    async exec(sql) {
      await q.exec(sql);
    },
  });
  const base = wrap(pg);
  return {
    kind: 'pglite',
    ...base,
    transaction: (fn) => pg.transaction((tx) => fn(wrap(tx))),
    async listen(channel, onNotify) {
      const unlisten = await pg.listen(channel, onNotify);
      return async () => {
        await unlisten();
      };
    },
    async close() {
      await pg.close();
    },
  };
}
