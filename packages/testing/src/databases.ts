import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export type TestDbKind = 'postgres' | 'pglite';

/**
 * A fresh, empty database on the given server for one test file: created with
 * CREATE DATABASE (graphile-worker's way of keeping tests independent on one
 * real server). Returns its URL and a function that drops it.
 */
export async function createTestDatabase(
  serverUrl: string,
  options: { template?: string } = {},
): Promise<{ url: string; name: string; drop: () => Promise<void> }> {
  const name = `videoqa_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}${options.template ? ` TEMPLATE ${options.template}` : ''}`);
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
export async function openTestDb(
  kind: TestDbKind,
  serverUrl: string,
  options: { vector?: 'auto' | 'off'; migrate?: boolean } = {},
): Promise<TestDb> {
  const { openDatabase } = await import('@videoqa/storage-pg');
  const migrated = options.migrate ?? true;
  if (kind === 'pglite') {
    const loadDataDir = migrated ? await pgliteTemplate(options.vector ?? 'auto') : undefined;
    // Opening a migrated copy still runs migrate(): it finds nothing pending, and would catch a stale copy.
    const db = await openDatabase({ inMemory: true, vector: options.vector, migrate: options.migrate, loadDataDir });
    return { kind, db, close: () => db.close() };
  }
  const template = migrated ? await postgresTemplate(serverUrl, options.vector ?? 'auto') : undefined;
  const created = await createTestDatabase(serverUrl, { template });
  const db = await openDatabase({
    databaseUrl: created.url,
    vector: options.vector,
    migrate: options.migrate,
    poolSize: 12,
  });
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

/**
 * Identifies the schema the migrations produce: a template made by other migrations
 * (an edited one during development included) is never reused.
 */
async function schemaKey(vector: 'auto' | 'off'): Promise<string> {
  const { migrations } = await import('@videoqa/storage-pg');
  const source = migrations.map((m) => `${m.version}:${m.name}:${m.up.toString()}`).join('\n');
  return `${createHash('sha256').update(source).digest('hex').slice(0, 12)}_${vector}`;
}

/** Serialises template creation across test processes sharing one server. */
const TEMPLATE_LOCK_KEY = 7_193_204_612;

/**
 * A migrated database on the server that test databases are cloned from
 * (CREATE DATABASE ... TEMPLATE): one migration per schema, not one per test file.
 * Created once under an advisory lock. Templates of other schemas are left alone: another
 * checkout's tests may be using them on the same server (they are small; drop `videoqa_tpl_*` to tidy).
 */
async function postgresTemplate(serverUrl: string, vector: 'auto' | 'off'): Promise<string> {
  const name = `videoqa_tpl_${await schemaKey(vector)}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query('SELECT pg_advisory_lock($1)', [TEMPLATE_LOCK_KEY]);
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (exists.rowCount === 0) {
      // Built under a temporary name and renamed when complete: a test run killed midway never leaves a half-migrated template.
      const building = `${name}_building`;
      await admin.query(`DROP DATABASE IF EXISTS ${building} WITH (FORCE)`);
      await admin.query(`CREATE DATABASE ${building}`);
      const { openDatabase } = await import('@videoqa/storage-pg');
      const u = new URL(serverUrl);
      u.pathname = `/${building}`;
      const db = await openDatabase({ databaseUrl: u.toString(), vector, poolSize: 1 });
      await db.close();
      await admin.query(`ALTER DATABASE ${building} RENAME TO ${name}`);
    }
  } finally {
    await admin.query('SELECT pg_advisory_unlock($1)', [TEMPLATE_LOCK_KEY]).catch(() => {});
    await admin.end();
  }
  return name;
}

const pgliteTemplates = new Map<string, Promise<Blob>>();

/**
 * A migrated in-memory PGlite database as a tarball, cached in this process and on disk
 * for the other test processes: starting PGlite from it skips initdb and the migrations
 * (measured: ~3 s instead of ~9-18 s on a busy 2-core machine).
 */
function pgliteTemplate(vector: 'auto' | 'off'): Promise<Blob> {
  let cached = pgliteTemplates.get(vector);
  if (!cached) {
    cached = loadOrBuildPgliteTemplate(vector);
    pgliteTemplates.set(vector, cached);
    cached.catch(() => pgliteTemplates.delete(vector));
  }
  return cached;
}

async function loadOrBuildPgliteTemplate(vector: 'auto' | 'off'): Promise<Blob> {
  const dir = join(tmpdir(), 'videoqa-test-templates');
  const key = await schemaKey(vector);
  const file = join(dir, `pglite_${key}.tar`);
  try {
    return new Blob([readFileSync(file)]);
  } catch {
    /* not built yet: build it below */
  }
  const { openDatabase } = await import('@videoqa/storage-pg');
  const db = await openDatabase({ inMemory: true, vector });
  let dump: Blob;
  try {
    dump = await (db as import('@videoqa/storage-pg').PgliteDb).dumpDataDir();
  } finally {
    await db.close();
  }
  mkdirSync(dir, { recursive: true });
  for (const old of readdirSync(dir))
    if (old.endsWith(`_${vector}.tar`) && old !== `pglite_${key}.tar`) rmSync(join(dir, old), { force: true });
  // Written aside and renamed: another test process never reads half a file.
  const partial = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  writeFileSync(partial, Buffer.from(await dump.arrayBuffer()));
  renameSync(partial, file);
  return dump;
}
