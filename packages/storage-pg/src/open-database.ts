import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { VideoqaError } from '@videoqa/core';
import type { Db } from './db.ts';
import { migrate } from './migrate.ts';
import { createNodePostgresDb } from './node-postgres-db.ts';
import { createPgliteDb } from './pglite-db.ts';

export interface OpenDatabaseOptions {
  /** postgres:// URL; without it an embedded PGlite database is used. */
  databaseUrl?: string;
  /** Where the embedded database lives: `{dataDir}/db`. Required without databaseUrl unless inMemory. */
  dataDir?: string;
  /** Embedded database in memory only (tests, one-off runs). */
  inMemory?: boolean;
  /** With inMemory: start from this copy of a database (PGlite `dumpDataDir()`), e.g. a migrated template. */
  loadDataDir?: Blob;
  /** Apply pending migrations after connecting (default true). */
  migrate?: boolean;
  /** 'off' stores embeddings as real[] even where pgvector exists. */
  vector?: 'auto' | 'off';
  /** OPENAI_EMBEDDING_DIMENSIONS: size of new vector columns, and checked against the schema (see migrate). */
  embeddingDimensions?: number;
  /** false: open a schema of another embedding size without refusing (`videoqa reembed`). */
  checkDimensions?: boolean;
  poolSize?: number;
  onError?: (err: Error) => void;
}

export class DatabaseInUseError extends VideoqaError {
  constructor(dir: string, pid: number) {
    super('DATABASE_IN_USE', `The embedded database in ${dir} is open in another process (pid ${pid})`, false, {
      fix: 'stop that process, or set DATABASE_URL so several processes can share one PostgreSQL server',
    });
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** PGlite is single-process: a lock file turns a second opener into a clear error instead of corruption. */
function lockDirectory(dir: string): () => void {
  mkdirSync(dir, { recursive: true });
  const lockPath = join(dir, 'videoqa.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lockPath, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(lockPath, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number(readFileSync(lockPath, 'utf8').trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && pidAlive(pid))
        throw new DatabaseInUseError(dir, pid);
      rmSync(lockPath, { force: true }); // stale: its process is gone
    }
  }
  throw new DatabaseInUseError(dir, -1);
}

/**
 * Opens the database videoqa uses: node-postgres for a DATABASE_URL, otherwise
 * PGlite under `{dataDir}/db` (or in memory). Migrates unless told not to.
 */
export async function openDatabase(options: OpenDatabaseOptions): Promise<Db> {
  let db: Db;
  if (options.databaseUrl) {
    db = createNodePostgresDb({
      connectionString: options.databaseUrl,
      max: options.poolSize,
      onError: options.onError,
    });
  } else if (options.inMemory) {
    db = await createPgliteDb({ loadDataDir: options.loadDataDir });
  } else {
    if (!options.dataDir) throw new TypeError('openDatabase needs databaseUrl, dataDir or inMemory');
    const dir = resolve(options.dataDir, 'db');
    const unlock = lockDirectory(dir);
    try {
      const inner = await createPgliteDb({ dataDir: dir });
      db = {
        ...inner,
        async close() {
          try {
            await inner.close();
          } finally {
            unlock();
          }
        },
      };
    } catch (err) {
      unlock();
      throw err;
    }
  }
  if (options.migrate ?? true) {
    try {
      await migrate(db, {
        vector: options.vector,
        embeddingDimensions: options.embeddingDimensions,
        checkDimensions: options.checkDimensions,
      });
    } catch (err) {
      await db.close().catch(() => {});
      throw err;
    }
  }
  return db;
}
