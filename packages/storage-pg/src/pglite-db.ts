import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
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
 * PostgreSQL's default shared_buffers (128 MB) lives inside PGlite's WebAssembly memory, in
 * this process, and WebAssembly memory never shrinks. One connection and tables of a few
 * thousand rows per video need far less; the OS page cache still holds the files. Measured on
 * reopening a database: 395 MB resident after open with the default, 246-258 MB with 16 MB
 * (docs/benchmarks.md, "Memory").
 */
export const PGLITE_START_PARAMS = [
  ...PGlite.defaultStartParams,
  '-c',
  'shared_buffers=16MB',
  '-c',
  'temp_buffers=2MB',
  '-c',
  'wal_buffers=1MB',
];

/**
 * The build's copy of an empty database (scripts/make-pglite-template.mjs), or null where it
 * is missing (running from sources, or a bundle that dropped it).
 */
function templatePath(): string | null {
  try {
    const path = fileURLToPath(new URL('./pglite-template.tar.gz', import.meta.url));
    return existsSync(path) ? path : null;
  } catch {
    return null; // no import.meta.url (the CommonJS build)
  }
}

/**
 * Creating a PGlite database runs initdb in WebAssembly, and this process would keep its peak
 * (~1050 MB measured, against ~250 MB for opening an existing database) for the rest of its
 * life. A short-lived child process creates it instead, and this one only opens it. The child
 * unpacks the build's template (an initdb'd empty database: ~2 s) where there is one, and runs
 * initdb otherwise. Where the child cannot run, the database is created here as before.
 */
async function createInChildProcess(dataDir: string): Promise<void> {
  if (existsSync(join(dataDir, 'PG_VERSION'))) return;
  let code: string;
  try {
    const pglite = import.meta.resolve('@electric-sql/pglite');
    const pgvector = import.meta.resolve('@electric-sql/pglite-pgvector');
    const template = templatePath();
    const load = template
      ? `loadDataDir: new Blob([(await import('node:fs')).readFileSync(${JSON.stringify(template)})]), `
      : '';
    code = `const { PGlite } = await import(${JSON.stringify(pglite)}); const { vector } = await import(${JSON.stringify(pgvector)});
const pg = await PGlite.create(process.argv[1], { ${load}extensions: { vector } }); await pg.close();`;
  } catch {
    return; // no import.meta.resolve here (an old runtime or a bundler): create in this process
  }
  // Liftoff only: this runs once, and V8's optimizing compiler would only add time and memory.
  const args = ['--liftoff-only', '--input-type=module', '-e', code, dataDir];
  // As with ffmpeg (packages/stages/src/ffmpeg/run.ts): setpriv makes the kernel kill the child
  // if this process dies, so a killed first run leaves no initdb behind.
  const setpriv = process.platform === 'linux' && existsSync('/usr/bin/setpriv');
  await promisify(execFile)(
    setpriv ? '/usr/bin/setpriv' : process.execPath,
    setpriv ? ['--pdeathsig', 'KILL', '--', process.execPath, ...args] : args,
    { timeout: 300_000 },
  );
}

/**
 * A Db on PGlite (PostgreSQL in WebAssembly, one connection in this process),
 * with pgvector loaded. PGlite serialises queries and transactions itself.
 */
export async function createPgliteDb(options: PgliteOptions = {}): Promise<PgliteDb> {
  if (options.dataDir && !options.loadDataDir) await createInChildProcess(options.dataDir).catch(() => {});
  const pg = await PGlite.create(options.dataDir, {
    extensions: { vector },
    startParams: PGLITE_START_PARAMS,
    ...(options.loadDataDir ? { loadDataDir: options.loadDataDir } : {}),
  });
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
