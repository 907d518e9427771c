import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { sleep } from '@videoqa/core';
import { createTestDatabase, FakeOpenAIServer, makeVideo, seededRandom } from '@videoqa/testing';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { startCli, tempDir } from './helpers.ts';

/**
 * The operator's worst day, bounded and on loopback only: three workers on one queue,
 * workers killed with -9 at (seeded) random moments and replaced, every database
 * connection dropped mid-run, and a burst of 429s from the AI provider. Afterwards
 * every job is done exactly once, no table has a duplicate row, no temp file is left
 * under DATA_DIR and no ffmpeg of this data dir is running. docs/operations.md quotes
 * what this test asserts.
 */
const JOBS = 8;
const WORKERS = 3;
const KILLS = 4;

let fake: FakeOpenAIServer;
let db: { url: string; drop: () => Promise<void> };
let client: pg.Client;
beforeAll(async () => {
  fake = await FakeOpenAIServer.start({ transcriptScript: ['Chaos is a ladder.', 'Nothing is lost.'] });
  db = await createTestDatabase(inject('pgUrl'));
  client = new pg.Client({ connectionString: db.url });
  await client.connect();
});
afterAll(async () => {
  await client.end();
  await fake.close();
  await db.drop();
});

const rows = async <T>(sql: string, params: unknown[] = []) => (await client.query(sql, params)).rows as T[];

it(`${JOBS} jobs, ${WORKERS} workers, ${KILLS} kill -9s, a dropped database and a 429 burst: every job done once, nothing left over`, async () => {
  const seed = Number(process.env.CHAOS_SEED ?? Date.now() % 100_000);
  const rand = seededRandom(seed);
  const dataDir = tempDir('vq-chaos-');
  const clip = await makeVideo({
    shots: [
      { source: 'testsrc2', seconds: 2 },
      { source: 'smptebars', seconds: 2 },
    ],
    width: 640,
    height: 360,
    audio: { kind: 'speech', sentences: ['Chaos is a ladder.', 'Nothing is lost.'], gapSec: 0.5 },
  });
  mkdirSync(join(dataDir, 'uploads'), { recursive: true });
  const env = {
    DATABASE_URL: db.url,
    DATA_DIR: dataDir,
    OPENAI_API_KEY: fake.apiKey,
    OPENAI_BASE_URL: fake.url,
    WORKER_POLL_MS: '100',
    WORKER_LEASE_MS: '2000',
    WORKER_MAX_ATTEMPTS: '20',
    RETRY_DELAY_SEC: '0.2',
  };
  // migrate once before the workers race for it
  const first = startCli(['worker'], { ...env, WORKER_ID: 'w0' });
  await first.waitFor(/worker started/);
  for (let i = 0; i < JOBS; i++) {
    copyFileSync(clip.path, join(dataDir, `uploads/c${i}_clip.mp4`));
    await client.query(`INSERT INTO videos (id, original_path) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING`, [
      `c${i}`,
      `uploads/c${i}_clip.mp4`,
    ]);
    await client.query(`INSERT INTO jobs (id, video_id) VALUES ($1, $2)`, [`chaos-${i}`, `c${i}`]);
  }
  // vision is slow enough that kills land in the middle of jobs
  fake.setLatency('chat', 800);
  const workers = [
    first,
    ...Array.from({ length: WORKERS - 1 }, (_, i) => startCli(['worker'], { ...env, WORKER_ID: `w${i + 1}` })),
  ];
  const ids = workers.map((_, i) => `w${i}`);
  let started = WORKERS;
  const done = async () =>
    (await rows<{ n: number }>(`SELECT count(*)::int AS n FROM jobs WHERE status = 'done'`))[0]!.n;

  const events: string[] = [];
  for (let k = 0; k < KILLS; k++) {
    await sleep(300 + rand() * 1500);
    // a worker that holds a job, when one does: a kill between jobs proves little
    const holders = (await rows<{ locked_by: string }>(`SELECT locked_by FROM jobs WHERE status = 'processing'`))
      .map((r) => ids.indexOf(r.locked_by))
      .filter((i) => i >= 0);
    const victim =
      holders.length > 0 ? holders[Math.floor(rand() * holders.length)]! : Math.floor(rand() * workers.length);
    workers[victim]!.child.kill('SIGKILL');
    await workers[victim]!.exited;
    ids[victim] = `w${started++}`;
    workers[victim] = startCli(['worker'], { ...env, WORKER_ID: ids[victim] });
    events.push(`killed ${holders.includes(victim) ? 'a busy' : 'an idle'} worker`);
    if (k === 1) {
      // every connection of the test database dropped, as a PostgreSQL restart does
      const admin = new pg.Client({ connectionString: inject('pgUrl') });
      await admin.connect();
      const dbName = new URL(db.url).pathname.slice(1);
      client.on('error', () => {}); // its own connection is dropped too
      await admin.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`,
        [dbName],
      );
      await admin.end();
      await client.end().catch(() => {});
      client = new pg.Client({ connectionString: db.url });
      await client.connect();
      events.push('dropped every database connection');
    }
    if (k === 2) {
      fake.inject('chat', { status: 429, retryAfter: 0, times: 6 });
      fake.inject('embeddings', { status: 429, retryAfter: 0, times: 3 });
      events.push('429 burst');
    }
  }
  const deadline = Date.now() + 480_000;
  while ((await done()) < JOBS && Date.now() < deadline) await sleep(250);
  for (const w of workers) w.child.kill('SIGTERM');
  await Promise.all(workers.map((w) => w.exited));

  const context = `seed ${seed} (replay with CHAOS_SEED=${seed}); ${events.join(', ')}`;
  const jobs = await rows<{ status: string; n: number }>(`SELECT status, count(*)::int AS n FROM jobs GROUP BY status`);
  expect(jobs, context).toEqual([{ status: 'done', n: JOBS }]);
  expect(await rows(`SELECT status, count(*)::int AS n FROM videos GROUP BY status`), context).toEqual([
    { status: 'ready', n: JOBS },
  ]);
  // every video has exactly one set of results: the same counts as any other, and no id twice
  const perVideo = await rows<{ video_id: string; scenes: number; frames: number; segments: number; captions: number }>(
    `SELECT v.id AS video_id,
            (SELECT count(*)::int FROM scenes s WHERE s.video_id = v.id) AS scenes,
            (SELECT count(*)::int FROM frames f WHERE f.video_id = v.id) AS frames,
            (SELECT count(*)::int FROM transcript_segments t WHERE t.video_id = v.id) AS segments,
            (SELECT count(*)::int FROM frame_captions c JOIN frames f ON f.id = c.frame_id WHERE f.video_id = v.id) AS captions
       FROM videos v ORDER BY v.id`,
  );
  expect(perVideo).toHaveLength(JOBS);
  for (const v of perVideo)
    expect({ ...v, video_id: 'any' }, `${v.video_id}: ${context}`).toEqual({ ...perVideo[0]!, video_id: 'any' });
  expect(perVideo[0]!.scenes).toBe(2);
  expect(perVideo[0]!.segments).toBe(2);
  // no temp file anywhere under DATA_DIR
  const leftovers: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (name.includes('.tmp')) leftovers.push(p);
      else if (statSync(p).isDirectory()) walk(p);
    }
  };
  walk(dataDir);
  expect(leftovers, context).toEqual([]);
  // no orphan ffmpeg of this data dir
  const ps = spawnSync('ps', ['-eo', 'args'], { encoding: 'utf8' })
    .stdout.split('\n')
    .filter((l) => /ffmpeg/.test(l) && l.includes(dataDir));
  expect(ps, context).toEqual([]);
  // the kills cost attempts, never a duplicate: attempts beyond one per job are the reclaimed ones
  const attempts = (await rows<{ n: number }>(`SELECT sum(attempts)::int AS n FROM jobs`))[0]!.n;
  expect(attempts).toBeGreaterThanOrEqual(JOBS);
  expect(events.filter((e) => e === 'killed a busy worker').length, context).toBeGreaterThan(0);
  console.info(`chaos: ${context}; ${attempts} attempts for ${JOBS} jobs`);
}, 720_000);
