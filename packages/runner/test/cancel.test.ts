import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig, silentLogger, type Stage } from '@videoqa/core';
import { cancelJobById, PostgresJobSource, RedisJobSource, Worker } from '@videoqa/runner';
import { Queue } from 'bullmq';
import { enqueueJob, getJob, openDatabase, PgStore, type Db } from '@videoqa/storage-pg';
import { createTestDatabase, FakeOpenAIServer, makeVideo } from '@videoqa/testing';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { runCli, startCli, tempDir } from './helpers.ts';

let fake: FakeOpenAIServer;
let video: Awaited<ReturnType<typeof makeVideo>>;
beforeAll(async () => {
  fake = await FakeOpenAIServer.start();
  video = await makeVideo({
    shots: [
      { source: 'testsrc2', seconds: 3 },
      { source: 'smptebars', seconds: 3 },
    ],
    width: 640,
    height: 360,
    audio: { kind: 'speech', sentences: ['A job to cancel.', 'And one to finish.'] },
  });
});
afterAll(async () => fake.close());

let dbInfo: { url: string; drop: () => Promise<void> };
let db: Db;
beforeEach(async () => {
  dbInfo = await createTestDatabase(inject('pgUrl'));
  db = await openDatabase({ databaseUrl: dbInfo.url });
});
afterEach(async () => {
  await db.close();
  await dbInfo.drop();
});

async function placeJob(dataDir: string, videoId: string, jobId: string): Promise<void> {
  mkdirSync(join(dataDir, 'uploads'), { recursive: true });
  const rel = `uploads/${videoId}_clip.mp4`;
  copyFileSync(video.path, join(dataDir, rel));
  await db.query(`INSERT INTO videos (id, original_path) VALUES ($1, $2)`, [videoId, rel]);
  await db.query(`INSERT INTO jobs (id, video_id) VALUES ($1, $2)`, [jobId, videoId]);
}

async function until(check: () => Promise<boolean> | boolean, what: string, limitMs = 120_000): Promise<void> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > limitMs) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Child processes of a pid whose command is ffmpeg or ffprobe. */
function mediaChildren(pid: number): string[] {
  const ps = spawnSync('ps', ['-eo', 'pid=,ppid=,comm='], { encoding: 'utf8' }).stdout;
  return ps
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter(([, ppid, comm]) => Number(ppid) === pid && /^ff(mpeg|probe)/.test(comm ?? ''))
    .map(([p, , comm]) => `${p} ${comm}`);
}

/** A stage running a real ffmpeg for ten minutes unless the job's signal stops it. */
function slowFfmpegStage(): { slow: Stage; state: { ffmpegPid: number; stageEnded: boolean } } {
  const state = { ffmpegPid: 0, stageEnded: false };
  const slow: Stage = {
    name: 'slow',
    run: (ctx) =>
      new Promise<void>((resolve, reject) => {
        const child = spawn(
          'ffmpeg',
          ['-hide_banner', '-re', '-f', 'lavfi', '-i', 'testsrc2=size=64x64:rate=5', '-t', '600', '-f', 'null', '-'],
          { stdio: 'ignore', signal: ctx.signal },
        );
        state.ffmpegPid = child.pid ?? 0;
        child.once('error', (err) => {
          state.stageEnded = true;
          reject(err);
        });
        child.once('exit', () => {
          state.stageEnded = true;
          resolve();
        });
      }),
  };
  return { slow, state };
}

describe('cancelling a running job', () => {
  it('videoqa cancel stops the job in a real worker: cancelled, never retried, no ffmpeg left, the slot taken by the next job', async () => {
    const dataDir = tempDir('vq-cancel-');
    // Transcription never answers: the job is certainly still running when it is cancelled.
    fake.inject('transcriptions', { hang: true, times: 1 });
    await placeJob(dataDir, 'slow-video', 'slow-job');
    const env = {
      DATABASE_URL: dbInfo.url,
      DATA_DIR: dataDir,
      OPENAI_API_KEY: fake.apiKey,
      OPENAI_BASE_URL: fake.url,
      WORKER_POLL_MS: '100',
      WORKER_CONCURRENCY: '1',
    };
    const before = fake.requestsFor('transcriptions').length;
    const worker = startCli(['worker'], env);
    try {
      await until(() => fake.requestsFor('transcriptions').length > before, 'the transcription request');
      const cancelled = await runCli(['cancel', 'slow-job'], env);
      expect(cancelled.stderr).toBe('');
      expect(cancelled.stdout).toMatch(
        /^cancelled job slow-job \(video slow-video, was processing\); its worker stops it now/,
      );
      expect(cancelled.code).toBe(0);
      await worker.waitFor(/CANCELLED: job slow-job/);
      expect(await getJob(db, 'slow-job')).toMatchObject({ status: 'cancelled', lockedBy: null, attempts: 1 });
      expect((await db.query(`SELECT status FROM videos WHERE id = 'slow-video'`)).rows[0]).toEqual({
        status: 'failed',
      });
      expect(mediaChildren(worker.child.pid!)).toEqual([]);

      // Concurrency 1: the next job runs only if the cancelled one freed the slot.
      await placeJob(dataDir, 'next-video', 'next-job');
      await worker.waitFor(/READY: job next-job/);
      expect(await getJob(db, 'slow-job')).toMatchObject({ status: 'cancelled', attempts: 1 });
      expect(worker.output()).not.toMatch(/FAILED: job slow-job|released job slow-job/);

      const again = await runCli(['cancel', 'next-job'], env);
      expect(again.stderr).toMatch(
        /^videoqa: INVALID_STATE: Job next-job is done; only pending or processing jobs can be cancelled\n$/,
      );
      expect(again.code).toBe(1);
    } finally {
      worker.child.kill('SIGTERM');
      await worker.exited;
    }
  });

  it('without the notification the worker still stops it at its next lease renewal', async () => {
    const dataDir = tempDir('vq-cancel-renew-');
    const config = loadConfig({
      env: {},
      overrides: { dataDir, databaseUrl: dbInfo.url, workerPollMs: 50, workerLeaseMs: 1000 },
    });
    // A source that never hears NOTIFYs: only renewals can reveal the cancel.
    const source = new PostgresJobSource(db, config);
    Object.defineProperty(source, 'watchCancels', { value: undefined });
    const { slow, state } = slowFfmpegStage();
    const worker = new Worker({ source, store: new PgStore(db), config, log: silentLogger, stagesFor: () => [slow] });
    await db.query(`INSERT INTO videos (id, original_path) VALUES ('renew-video', 'uploads/x.mp4')`);
    await enqueueJob(db, { videoId: 'renew-video', jobId: 'renew-job' });
    await worker.start();
    try {
      await until(() => state.ffmpegPid > 0 && worker.activeJobs.includes('renew-job'), 'the slow stage to start');
      const out = await runCli(['cancel', 'renew-job'], { DATABASE_URL: dbInfo.url, DATA_DIR: dataDir });
      expect(out.code).toBe(0);
      await until(() => worker.activeJobs.length === 0, 'the worker to let go of the job');
      expect(state.stageEnded).toBe(true);
      expect(worker.metrics.jobs).toMatchObject({ cancelled: 1, failed: 0, released: 0, done: 0 });
      expect(await getJob(db, 'renew-job')).toMatchObject({ status: 'cancelled', lockedBy: null });
      // Killed; gone once its parent has reaped it (a zombie still answers signal 0 for a moment).
      await until(() => {
        try {
          process.kill(state.ffmpegPid, 0);
          return false;
        } catch (err) {
          return (err as NodeJS.ErrnoException).code === 'ESRCH';
        }
      }, 'the ffmpeg of the cancelled job to be gone');
    } finally {
      await worker.stop({ timeoutMs: 0 });
    }
  });
});

describe('retention in the worker', () => {
  it('a worker with RETAIN_UPLOADS_DAYS=0 removes the upload of a video once it is ready, and search still finds it', async () => {
    const dataDir = tempDir('vq-retain-');
    await placeJob(dataDir, 'kept-text', 'retain-job');
    const env = {
      DATABASE_URL: dbInfo.url,
      DATA_DIR: dataDir,
      OPENAI_API_KEY: fake.apiKey,
      OPENAI_BASE_URL: fake.url,
      WORKER_POLL_MS: '100',
      RETAIN_UPLOADS_DAYS: '0',
      GC_INTERVAL_MS: '1000',
    };
    const worker = startCli(['worker'], env);
    try {
      await worker.waitFor(/READY: job retain-job/);
      await worker.waitFor(/GC: removed the upload media of video kept-text/);
      expect(existsSync(join(dataDir, 'uploads/kept-text_clip.mp4'))).toBe(false);
      expect(existsSync(join(dataDir, 'processed/kept-text/normalized.mp4'))).toBe(true);
      const row = (
        await db.query<{ upload_removed_at: Date | null; normalized_removed_at: Date | null }>(
          `SELECT upload_removed_at, normalized_removed_at FROM videos WHERE id = 'kept-text'`,
        )
      ).rows[0]!;
      expect(row.upload_removed_at).toBeInstanceOf(Date);
      expect(row.normalized_removed_at).toBeNull();
      const segment = (
        await db.query<{ text: string }>(
          `SELECT text FROM transcript_segments WHERE video_id = 'kept-text' ORDER BY idx LIMIT 1`,
        )
      ).rows[0]!;
      const search = await runCli(['search', segment.text, '--json'], env);
      expect(JSON.parse(search.stdout).results[0]).toMatchObject({
        video_id: 'kept-text',
        kind: 'segment',
        text: segment.text,
      });
    } finally {
      worker.child.kill('SIGTERM');
      await worker.exited;
    }
  });
});

describe('cancelling a job of the Redis queue', () => {
  it('stops it in the worker, fails it in Redis for good (no BullMQ retry), and a cancelled waiting job is never run', async () => {
    const dataDir = tempDir('vq-cancel-redis-');
    const config = loadConfig({
      env: {},
      overrides: {
        dataDir,
        databaseUrl: dbInfo.url,
        workerPollMs: 50,
        workerJobSource: 'redis',
        redisUrl: inject('redisUrl'),
        queueName: `videoqa-cancel-${Math.random().toString(36).slice(2, 10)}`,
      },
    });
    const source = new RedisJobSource(db, config);
    const { slow, state } = slowFfmpegStage();
    const ran: string[] = [];
    const worker = new Worker({
      source,
      store: new PgStore(db),
      config,
      log: silentLogger,
      stagesFor: (job) => {
        ran.push(job.id);
        return [slow];
      },
    });
    await db.query(
      `INSERT INTO videos (id, original_path) VALUES ('redis-video', 'uploads/x.mp4'), ('redis-waiting', 'uploads/y.mp4')`,
    );
    await source.enqueue({ videoId: 'redis-video', jobId: 'redis-job' });
    await worker.start();
    const queue = new Queue(config.queueName, { connection: { url: config.redisUrl!, maxRetriesPerRequest: null } });
    try {
      await until(() => state.ffmpegPid > 0, 'the slow stage to start');
      // Concurrency 1: this one waits in Redis behind the running job; cancel it there.
      await source.enqueue({ videoId: 'redis-waiting', jobId: 'redis-waiting-job' });
      expect((await cancelJobById({ db }, 'redis-waiting-job')).previous_status).toBe('pending');
      expect(await cancelJobById({ db }, 'redis-job')).toMatchObject({ previous_status: 'processing', stopping: true });
      await until(
        async () => (await queue.getJob('redis-waiting-job'))?.failedReason === 'job cancelled',
        'the waiting job to be failed in Redis',
      );
      expect(state.stageEnded).toBe(true);
      expect(() => process.kill(state.ffmpegPid, 0)).toThrow(/ESRCH/);
      expect(await (await queue.getJob('redis-job'))!.getState()).toBe('failed');
      expect((await queue.getJob('redis-job'))!.failedReason).toBe('job cancelled');
      expect(await getJob(db, 'redis-job')).toMatchObject({ status: 'cancelled', lockedBy: null });
      expect(await getJob(db, 'redis-waiting-job')).toMatchObject({ status: 'cancelled' });
      expect(ran).toEqual(['redis-job']);
      expect(worker.metrics.jobs).toMatchObject({ cancelled: 1, failed: 0, retried: 0, done: 0 });
    } finally {
      await worker.stop({ timeoutMs: 0 });
      await queue.obliterate({ force: true }).catch(() => {});
      await queue.close();
    }
  });
});
