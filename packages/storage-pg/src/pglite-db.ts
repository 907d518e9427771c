import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import type { Db, Queryable } from './db.ts';

export interface PgliteOptions {
  /** Directory of the database files; omit for an in-memory database. */
  dataDir?: string;
  /**
   * Start from a copy of another database (a `dumpDataDir()` tarball) instead of an
   * empty one: tests clone one migrated database instead of migrating each time.
   */
  loadDataDir?: Blob;
}

/** A PGlite Db that can also write a copy of its files (for `loadDataDir`). */
export interface PgliteDb extends Db {
  dumpDataDir(): Promise<Blob>;
}

/**
 * A Db on PGlite (PostgreSQL in WebAssembly, one connection in this process),
 * with pgvector loaded. PGlite serialises queries and transactions itself.
 */
export async function createPgliteDb(options: PgliteOptions = {}): Promise<PgliteDb> {
  const pg = await PGlite.create(options.dataDir, { extensions: { vector }, ...(options.loadDataDir ? { loadDataDir: options.loadDataDir } : {}) });
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
    async dumpDataDir() {
      return pg.dumpDataDir('none');
    },
    async close() {
      await pg.close();
    },
  };
}
