// Claim throughput (jobs/s with 1 and 4 workers) and bulk-insert rate, on a real
// PostgreSQL (DATABASE_URL, or an embedded one) and on PGlite.
import { segmentId } from '@videoqa/core';
import { claimJob, completeJob, openDatabase, PgStore, type Db } from '@videoqa/storage-pg';
import { createTestDatabase, startTestPostgres } from '@videoqa/testing';
import { round, writeResult } from './lib.ts';

const JOBS = 2000;

async function drain(db: Db, workerId: string): Promise<number> {
  let n = 0;
  for (;;) {
    const job = await claimJob(db, { workerId, leaseMs: 60_000, defaultMaxAttempts: 3 });
    if (!job) return n;
    await completeJob(db, { jobId: job.id, workerId });
    n++;
  }
}

async function claimThroughput(open: () => Promise<Db>, workers: number): Promise<number> {
  const dbs = await Promise.all(Array.from({ length: workers }, open));
  await dbs[0]!.query('DELETE FROM jobs');
  await dbs[0]!.query(
    `INSERT INTO jobs (id, video_id) SELECT 'job-' || g, 'video-' || g FROM generate_series(1, $1::int) AS g`,
    [JOBS],
  );
  const t0 = performance.now();
  const counts = await Promise.all(dbs.map((db, i) => drain(db, `w${i}`)));
  const seconds = (performance.now() - t0) / 1000;
  if (counts.reduce((a, b) => a + b, 0) !== JOBS) throw new Error('not every job was processed');
  await Promise.all(dbs.map((db) => db.close()));
  return round(JOBS / seconds, 0);
}

async function bulkInsert(db: Db, rows: number): Promise<{ rows: number; seconds: number; rowsPerSec: number }> {
  const store = new PgStore(db);
  await store.saveVideo({ id: 'bench', originalPath: 'uploads/bench_x.mp4' });
  const segs = Array.from({ length: rows }, (_, i) => ({
    id: segmentId('bench', i),
    videoId: 'bench',
    idx: i,
    tStart: i,
    tEnd: i + 0.9,
    text: `segment number ${i} with some spoken words in it`,
  }));
  const t0 = performance.now();
  await store.replaceSegments('bench', segs);
  const seconds = (performance.now() - t0) / 1000;
  return { rows, seconds: round(seconds, 3), rowsPerSec: round(rows / seconds, 0) };
}

const pg = await startTestPostgres();
const created = await createTestDatabase(pg.url);
const pgDb = await openDatabase({ databaseUrl: created.url });
const results: Record<string, unknown> = { jobs: JOBS };
try {
  const openPg = () => openDatabase({ databaseUrl: created.url, migrate: false, poolSize: 2 });
  results.postgres = {
    claimJobsPerSec1Worker: await claimThroughput(openPg, 1),
    claimJobsPerSec4Workers: await claimThroughput(openPg, 4),
    bulkInsert10k: await bulkInsert(pgDb, 10_000),
  };
  const lite = await openDatabase({ inMemory: true });
  // PGlite is one connection: "4 workers" are 4 concurrent loops sharing it.
  const shared = { ...lite, close: async () => {} };
  results.pglite = {
    claimJobsPerSec1Worker: await claimThroughput(async () => shared, 1),
    claimJobsPerSec4Workers: await claimThroughput(async () => shared, 4),
    bulkInsert10k: await bulkInsert(lite, 10_000),
  };
  await lite.close();
} finally {
  await pgDb.close();
  await created.drop();
  await pg.stop();
}
writeResult('queue', results);
