import { randomBytes } from 'node:crypto';
import pg from 'pg';

export type TestDbKind = 'postgres' | 'pglite';

/**
 * A fresh, empty database on the given server for one test file: created with
 * CREATE DATABASE (graphile-worker's way of keeping tests independent on one
 * real server). Returns its URL and a function that drops it.
 */
export async function createTestDatabase(serverUrl: string): Promise<{ url: string; name: string; drop: () => Promise<void> }> {
  const name = `videoqa_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const u = new URL(serverUrl);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    name,
    async drop() {
      const c = new pg.Client({ connectionString: serverUrl });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

export interface TestDb {
  kind: TestDbKind;
  db: import('@videoqa/storage-pg').Db;
  /** postgres:// URL of this database (postgres kind only). */
  url?: string;
  close(): Promise<void>;
}

/**
 * A migrated, empty database of the given kind: a new database on the real
 * server (serverUrl), or an in-memory PGlite.
 */
export async function openTestDb(kind: TestDbKind, serverUrl: string, options: { vector?: 'auto' | 'off'; migrate?: boolean } = {}): Promise<TestDb> {
  const { openDatabase } = await import('@videoqa/storage-pg');
  if (kind === 'pglite') {
    const db = await openDatabase({ inMemory: true, vector: options.vector, migrate: options.migrate });
    return { kind, db, close: () => db.close() };
  }
  const created = await createTestDatabase(serverUrl);
  const db = await openDatabase({ databaseUrl: created.url, vector: options.vector, migrate: options.migrate, poolSize: 12 });
  return {
    kind,
    db,
    url: created.url,
    async close() {
      await db.close();
      await created.drop();
    },
  };
}
