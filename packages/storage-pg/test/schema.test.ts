import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  claimJob,
  LATEST_SCHEMA_VERSION,
  migrate,
  migrations,
  openDatabase,
  schemaVersion,
  vectorColumnsInUse,
} from '@videoqa/storage-pg';
import { createTestDatabase, type TestDb } from '@videoqa/testing';
import { inject } from 'vitest';
import { DB_KINDS, testDb } from './helpers.ts';

describe.each(DB_KINDS)('schema on %s', (kind) => {
  let t: TestDb;
  beforeAll(async () => {
    t = await testDb(kind);
  });
  afterAll(async () => t.close());

  it('is migrated and migrate is idempotent', async () => {
    expect(await schemaVersion(t.db)).toBe(LATEST_SCHEMA_VERSION);
    const again = await migrate(t.db);
    expect(again.applied).toEqual([]);
    expect(again.version).toBe(LATEST_SCHEMA_VERSION);
    const rows = await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM schema_migrations');
    expect(rows.rows[0]!.n).toBe(migrations.length);
  });

  it("enqueues with the seed's one-line INSERT", async () => {
    await t.db.query(`INSERT INTO jobs (id, video_id) VALUES ('test-job', 'test-video')`);
    const job = await claimJob(t.db, { workerId: 'w1', leaseMs: 60_000, defaultMaxAttempts: 3 });
    expect(job).toMatchObject({
      id: 'test-job',
      videoId: 'test-video',
      status: 'processing',
      attempts: 1,
      kind: 'process',
      lockedBy: 'w1',
      maxAttempts: null,
    });
  });

  it('rejects invalid statuses and kinds', async () => {
    await expect(t.db.query(`INSERT INTO jobs (id, video_id, status) VALUES ('bad', 'v', 'running')`)).rejects.toThrow(
      /check constraint/,
    );
    await expect(t.db.query(`INSERT INTO jobs (id, video_id, kind) VALUES ('bad2', 'v', 'nope')`)).rejects.toThrow(
      /check constraint/,
    );
    await expect(t.db.query(`INSERT INTO videos (id, status) VALUES ('bad', 'done')`)).rejects.toThrow(
      /check constraint/,
    );
  });

  it('protects data with foreign keys', async () => {
    await expect(
      t.db.query(`INSERT INTO scenes (id, video_id, idx, t_start, t_end) VALUES ('s', 'no-such-video', 0, 0, 1)`),
    ).rejects.toThrow(/foreign key/);
  });

  it('uses pgvector exactly when the server offers it', async () => {
    // PGlite ships pgvector; a server offers it when its extension files are installed.
    const available =
      kind === 'pglite' ||
      (await t.db.query(`SELECT 1 FROM pg_available_extensions WHERE name = 'vector'`)).rowCount > 0;
    expect(await vectorColumnsInUse(t.db)).toBe(available);
  });
});

describe('migrations under concurrency (real PostgreSQL)', () => {
  it('several processes migrating one empty database at once apply each migration once', async () => {
    const created = await createTestDatabase(inject('pgUrl'));
    try {
      const dbs = await Promise.all(
        Array.from({ length: 5 }, () => openDatabase({ databaseUrl: created.url, migrate: false })),
      );
      const results = await Promise.all(dbs.map((db) => migrate(db)));
      expect(results.filter((r) => r.applied.length > 0)).toHaveLength(1);
      const rows = await dbs[0]!.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
      // Each migration once; versions need not be contiguous (branches reserve their numbers).
      expect(rows.rows.map((r) => r.version)).toEqual(migrations.map((m) => m.version).sort((x, y) => x - y));
      await Promise.all(dbs.map((db) => db.close()));
    } finally {
      await created.drop();
    }
  });
});

describe('forced real[] embeddings', () => {
  it('creates real[] columns even on PGlite, which has pgvector', async () => {
    const t = await testDb('pglite', { vector: 'off' });
    try {
      expect(await vectorColumnsInUse(t.db)).toBe(false);
    } finally {
      await t.close();
    }
  });
});
