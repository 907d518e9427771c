import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { sceneId } from '@videoqa/core';
import { claimJob, completeJob, getJob, openDatabase, PgStore, type Db } from '@videoqa/storage-pg';
import type { TestDb } from '@videoqa/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DB_KINDS, testDb } from './helpers.ts';

const JOBS = 1000;
const workerScript = fileURLToPath(new URL('./fixtures/claim-worker.ts', import.meta.url));

async function seedJobs(db: Db, n: number): Promise<void> {
  await db.query('CREATE TABLE IF NOT EXISTS exec_log (job_id text NOT NULL, worker text NOT NULL)');
  await db.query(
    `INSERT INTO jobs (id, video_id) SELECT 'job-' || g, 'video-' || g FROM generate_series(1, $1::int) AS g`,
    [n],
  );
}

async function assertExactlyOnce(db: Db, n: number): Promise<void> {
  const twice = await db.query('SELECT job_id, count(*)::int AS n FROM exec_log GROUP BY job_id HAVING count(*) <> 1');
  expect(twice.rows).toEqual([]);
  const ran = await db.query<{ n: number }>('SELECT count(DISTINCT job_id)::int AS n FROM exec_log');
  expect(ran.rows[0]!.n).toBe(n);
  const states = await db.query<{ status: string; n: number }>(
    'SELECT status, count(*)::int AS n FROM jobs GROUP BY status',
  );
  expect(states.rows).toEqual([{ status: 'done', n }]);
}

async function drain(db: Db, workerId: string): Promise<number> {
  let done = 0;
  for (;;) {
    const job = await claimJob(db, { workerId, leaseMs: 60_000, defaultMaxAttempts: 3 });
    if (!job) return done;
    await db.query('INSERT INTO exec_log (job_id, worker) VALUES ($1, $2)', [job.id, workerId]);
    await completeJob(db, { jobId: job.id, workerId });
    done++;
  }
}

function runWorker(url: string, workerId: string, mode: 'drain' | 'hang', leaseMs: number) {
  const child = spawn(process.execPath, [workerScript, url, workerId, mode, String(leaseMs)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const line = (pattern: RegExp) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        const m = out.match(pattern);
        if (m) resolve(m[0]);
      };
      child.stdout.on('data', check);
      exited.then((code) => reject(new Error(`worker exited (${code}) before printing ${pattern}: ${err}`)));
    });
  return { child, exited, line, output: () => ({ out, err }) };
}

describe.each(DB_KINDS)('exactly once under contention on %s', (kind) => {
  let t: TestDb;
  beforeEach(async () => {
    t = await testDb(kind);
  });
  afterEach(async () => t.close());

  it(`${JOBS} jobs, 4 concurrent workers: every job done exactly once`, async () => {
    await seedJobs(t.db, JOBS);
    // On PostgreSQL each worker has its own connection pool; PGlite has one connection shared by all.
    const dbs =
      kind === 'postgres'
        ? await Promise.all([1, 2, 3, 4].map(() => openDatabase({ databaseUrl: t.url!, migrate: false, poolSize: 2 })))
        : [t.db, t.db, t.db, t.db];
    const counts = await Promise.all(dbs.map((db, i) => drain(db, `w${i + 1}`)));
    if (kind === 'postgres') await Promise.all(dbs.map((db) => db.close()));
    expect(counts.reduce((a, b) => a + b, 0)).toBe(JOBS);
    // the work was shared, not done by one worker while the others idled
    expect(counts.filter((c) => c > 0).length).toBeGreaterThanOrEqual(kind === 'postgres' ? 3 : 2);
    await assertExactlyOnce(t.db, JOBS);
  });
});

describe.each(DB_KINDS)('one video, one job at a time, on %s', (kind) => {
  let t: TestDb;
  beforeEach(async () => {
    t = await testDb(kind);
  });
  afterEach(async () => t.close());

  it('200 jobs of 20 videos, 4 concurrent workers: never two jobs of a video at once, every job done once', async () => {
    await t.db.query(
      `INSERT INTO jobs (id, video_id) SELECT 'job-' || g, 'video-' || ((g - 1) / 10) FROM generate_series(1, 200) AS g`,
    );
    const dbs =
      kind === 'postgres'
        ? await Promise.all([1, 2, 3, 4].map(() => openDatabase({ databaseUrl: t.url!, migrate: false, poolSize: 2 })))
        : [t.db, t.db, t.db, t.db];
    const running = new Map<string, string>();
    const overlaps: string[] = [];
    const done: string[] = [];
    const work = async (db: Db, workerId: string) => {
      for (;;) {
        const job = await claimJob(db, { workerId, leaseMs: 60_000, defaultMaxAttempts: 3 });
        if (!job) {
          const left = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM jobs WHERE status <> 'done'`);
          if (left.rows[0]!.n === 0) return;
          await new Promise((r) => setTimeout(r, 2)); // its video is busy elsewhere: look again
          continue;
        }
        if (running.has(job.videoId)) overlaps.push(`${job.id} with ${running.get(job.videoId)}`);
        running.set(job.videoId, job.id);
        await db.query('SELECT pg_sleep(0.002)'); // hold it a moment, as real work would
        running.delete(job.videoId);
        await completeJob(db, { jobId: job.id, workerId });
        done.push(job.id);
      }
    };
    await Promise.all(dbs.map((db, i) => work(db, `w${i + 1}`)));
    if (kind === 'postgres') await Promise.all(dbs.map((db) => db.close()));
    expect(overlaps).toEqual([]);
    expect(done).toHaveLength(200);
    expect(new Set(done).size).toBe(200);
  });

  it('a job whose lease expired is claimed before the backlog of due jobs', async () => {
    await t.db.query(
      `INSERT INTO jobs (id, video_id, run_at) SELECT 'old-' || g, 'v-' || g, now() - interval '1 hour' FROM generate_series(1, 5) AS g`,
    );
    await t.db.query(`INSERT INTO jobs (id, video_id, status, attempts, locked_by, locked_until, run_at)
                      VALUES ('crashed', 'v-crashed', 'processing', 1, 'dead-worker', now() - interval '1 second', now())`);
    expect((await claimJob(t.db, { workerId: 'w', leaseMs: 60_000, defaultMaxAttempts: 3 }))?.id).toBe('crashed');
  });
});

describe('separate processes on a real PostgreSQL', () => {
  let t: TestDb;
  beforeEach(async () => {
    t = await testDb('postgres');
  });
  afterEach(async () => t.close());

  it(`${JOBS} jobs, 4 worker processes: every job done exactly once`, async () => {
    await seedJobs(t.db, JOBS);
    const workers = [1, 2, 3, 4].map((i) => runWorker(t.url!, `proc${i}`, 'drain', 60_000));
    const codes = await Promise.all(workers.map((w) => w.exited));
    expect(codes, JSON.stringify(workers.map((w) => w.output().err))).toEqual([0, 0, 0, 0]);
    const done = workers.map((w) => Number(/done (\d+)/.exec(w.output().out)?.[1]));
    expect(done.reduce((a, b) => a + b, 0)).toBe(JOBS);
    await assertExactlyOnce(t.db, JOBS);
  });

  it('a worker killed with -9 while holding a job: the job is claimed again after the lease and finishes, no duplicate rows', async () => {
    const store = new PgStore(t.db);
    await store.saveVideo({ id: 'crash-video', originalPath: 'uploads/crash-video_a.mp4' });
    await t.db.query(`INSERT INTO jobs (id, video_id) VALUES ('crash-job', 'crash-video')`);
    const leaseMs = 1500;
    const doomed = runWorker(t.url!, 'doomed', 'hang', leaseMs);
    await doomed.line(/claimed crash-job/);
    doomed.child.kill('SIGKILL');
    await doomed.exited;
    expect(await getJob(t.db, 'crash-job')).toMatchObject({ status: 'processing', lockedBy: 'doomed' });

    // Before the lease runs out nobody may take it.
    expect(await claimJob(t.db, { workerId: 'rescuer', leaseMs: 60_000, defaultMaxAttempts: 3 })).toBeNull();
    let job = null;
    const deadline = Date.now() + 10_000;
    while (!job && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      job = await claimJob(t.db, { workerId: 'rescuer', leaseMs: 60_000, defaultMaxAttempts: 3 });
    }
    expect(job).toMatchObject({ id: 'crash-job', attempts: 2, lockedBy: 'rescuer' });
    await store.replaceScenes(
      'crash-video',
      [0, 1, 2].map((i) => ({ id: sceneId('crash-video', i), videoId: 'crash-video', idx: i, tStart: i, tEnd: i + 1 })),
    );
    await completeJob(t.db, { jobId: 'crash-job', workerId: 'rescuer' });
    expect(await getJob(t.db, 'crash-job')).toMatchObject({ status: 'done', attempts: 2 });
    expect((await store.listScenes('crash-video')).map((s) => s.id)).toEqual([
      'crash-video_scene_000',
      'crash-video_scene_001',
      'crash-video_scene_002',
    ]);
    expect((await store.getVideo('crash-video'))?.status).toBe('ready');
  });
});
