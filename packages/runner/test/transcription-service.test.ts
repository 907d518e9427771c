import { copyFileSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { loadConfig, sleep, silentLogger, type Config, type Stage } from '@videoqa/core';
import { PostgresJobSource, RedisJobSource, startApiServer, Worker } from '@videoqa/runner';
import { createSupadataTranscription } from '@videoqa/stages';
import { enqueueJob, openDatabase, PgStore, type Db } from '@videoqa/storage-pg';
import { createTestDatabase, FakeOpenAIServer, FakeSupadataServer, makeVideo, serveDirectory } from '@videoqa/testing';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { tempDir } from './helpers.ts';

const SENTENCES = ['First we boil the water.', 'Then we add the pasta.', 'Dinner is ready.'];
let fake: FakeOpenAIServer;
let video: Awaited<ReturnType<typeof makeVideo>>;
beforeAll(async () => {
  fake = await FakeOpenAIServer.start({ transcriptScript: SENTENCES });
  video = await makeVideo({
    shots: [{ source: 'testsrc2', seconds: 7 }],
    width: 320,
    height: 240,
    audio: { kind: 'speech', sentences: SENTENCES, gapSec: 1 },
  });
});
afterAll(async () => fake.close());

let dbInfo: { url: string; drop: () => Promise<void> };
let db: Db;
let dataDir: string;
beforeEach(async () => {
  dbInfo = await createTestDatabase(inject('pgUrl'));
  db = await openDatabase({ databaseUrl: dbInfo.url });
  dataDir = tempDir('vq-svc-');
  fake.reset();
});
afterEach(async () => {
  await db.close();
  await dbInfo.drop();
});

const configFor = (overrides: Record<string, unknown> = {}): Config =>
  loadConfig({
    env: {},
    overrides: {
      dataDir,
      databaseUrl: dbInfo.url,
      openaiApiKey: fake.apiKey,
      openaiBaseUrl: fake.url,
      workerPollMs: 50,
      ...overrides,
    },
  });

function upload(videoId: string): string {
  mkdirSync(join(dataDir, 'uploads'), { recursive: true });
  copyFileSync(video.path, join(dataDir, 'uploads', `${videoId}_talk.mp4`));
  return `uploads/${videoId}_talk.mp4`;
}

async function until(check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out');
    await sleep(50);
  }
}

const jobRow = async (id: string) =>
  (
    await db.query<{ status: string; attempts: number; transcription: string | null; error: string | null }>(
      'SELECT status, attempts, transcription, error FROM jobs WHERE id = $1',
      [id],
    )
  ).rows[0];

describe('transcribe jobs on the Postgres queue', () => {
  it('runs only normalize + transcribe and stores the full text in jobs.transcription', async () => {
    const config = configFor();
    await enqueueJob(db, { videoId: 'talk', originalPath: upload('talk'), jobId: 'tj', kind: 'transcribe' });
    const worker = new Worker({
      source: new PostgresJobSource(db, config),
      store: new PgStore(db),
      config,
      log: silentLogger,
    });
    await worker.start();
    await until(async () => (await jobRow('tj'))?.status === 'done');
    await worker.stop();
    expect(await jobRow('tj')).toMatchObject({ status: 'done', transcription: SENTENCES.join(' ') });
    const stages = (await db.query<{ stage: string }>('SELECT stage FROM stage_runs ORDER BY stage')).rows.map(
      (r) => r.stage,
    );
    expect(stages).toEqual(['normalize', 'transcribe']);
    expect((await db.query('SELECT 1 FROM transcript_segments')).rowCount).toBe(3);
    expect((await db.query('SELECT 1 FROM scenes')).rowCount).toBe(0);
  });

  it('is selectable in plain SQL', async () => {
    upload('sqltalk');
    await db.query(`INSERT INTO jobs (id, video_id, kind) VALUES ('sql-tj', 'sqltalk', 'transcribe')`);
    const config = configFor();
    const worker = new Worker({
      source: new PostgresJobSource(db, config),
      store: new PgStore(db),
      config,
      log: silentLogger,
    });
    await worker.start();
    await until(async () => (await jobRow('sql-tj'))?.status === 'done');
    await worker.stop();
    expect((await jobRow('sql-tj'))!.transcription).toBe(SENTENCES.join(' '));
  });
});

describe('Redis job source (BullMQ, against a real Redis)', () => {
  const queueName = () => `videoqa-test-${Math.random().toString(36).slice(2, 10)}`;

  it('runs jobs from Redis with results in Postgres, each exactly once across two workers', async () => {
    const config = configFor({
      workerJobSource: 'redis',
      redisUrl: inject('redisUrl'),
      queueName: queueName(),
      workerConcurrency: 2,
    });
    const ran: string[] = [];
    const quick: Stage = {
      name: 'work',
      async run(ctx) {
        await sleep(30);
        ran.push(ctx.video.id);
      },
    };
    const sourceA = new RedisJobSource(db, config);
    const sourceB = new RedisJobSource(db, { ...config, workerId: 'worker-b' });
    for (let i = 0; i < 12; i++)
      await sourceA.enqueue({ videoId: `r${i}`, originalPath: `uploads/r${i}.mp4`, jobId: `rj${i}` });
    // Rows enqueued through Redis are never due for Postgres polling.
    expect((await db.query(`SELECT 1 FROM jobs WHERE run_at <= now()`)).rowCount).toBe(0);
    const workers = [sourceA, sourceB].map(
      (source) => new Worker({ source, store: new PgStore(db), config, log: silentLogger, stagesFor: () => [quick] }),
    );
    for (const w of workers) await w.start();
    await until(async () => (await db.query(`SELECT 1 FROM jobs WHERE status = 'done'`)).rowCount === 12);
    for (const w of workers) await w.stop();
    expect(ran.sort()).toEqual(Array.from({ length: 12 }, (_, i) => `r${i}`).sort());
    expect(workers.every((w) => w.metrics.jobs.done > 0)).toBe(true);
    expect((await db.query(`SELECT 1 FROM videos WHERE status = 'ready'`)).rowCount).toBe(12);
  });

  it('stores the transcription of a transcribe job', async () => {
    const config = configFor({ workerJobSource: 'redis', redisUrl: inject('redisUrl'), queueName: queueName() });
    const source = new RedisJobSource(db, config);
    await source.enqueue({ videoId: 'rtalk', originalPath: upload('rtalk'), kind: 'transcribe', jobId: 'rtj' });
    const worker = new Worker({ source, store: new PgStore(db), config, log: silentLogger });
    await worker.start();
    await until(async () => (await jobRow('rtj'))?.status === 'done');
    await worker.stop();
    expect((await jobRow('rtj'))!.transcription).toBe(SENTENCES.join(' '));
  });

  it('retries retryable failures after RETRY_DELAY, fails bad input at once, and gives up after the attempts', async () => {
    const config = configFor({
      workerJobSource: 'redis',
      redisUrl: inject('redisUrl'),
      queueName: queueName(),
      workerMaxAttempts: 3,
      retryDelaySec: 0.2,
    });
    const seen: Record<string, number[]> = {};
    const stage: Stage = {
      name: 'work',
      async run(ctx) {
        (seen[ctx.video.id] ??= []).push(Date.now());
        const n = seen[ctx.video.id]!.length;
        if (ctx.video.id === 'flaky' && n === 1)
          throw Object.assign(new Error('503 from upstream'), { code: 'ECONNRESET' });
        if (ctx.video.id === 'broken') throw Object.assign(new Error('bad input'), { retryable: false });
        if (ctx.video.id === 'down') throw Object.assign(new Error('still down'), { code: 'ECONNRESET' });
      },
    };
    const source = new RedisJobSource(db, config);
    for (const id of ['flaky', 'broken', 'down'])
      await source.enqueue({ videoId: id, originalPath: `uploads/${id}.mp4`, jobId: `job-${id}` });
    const worker = new Worker({ source, store: new PgStore(db), config, log: silentLogger, stagesFor: () => [stage] });
    await worker.start();
    await until(async () => (await db.query(`SELECT 1 FROM jobs WHERE status IN ('done', 'failed')`)).rowCount === 3);
    await worker.stop();
    expect(await jobRow('job-flaky')).toMatchObject({ status: 'done', attempts: 2 });
    expect(seen.flaky![1]! - seen.flaky![0]!).toBeGreaterThanOrEqual(90); // exponential backoff from 200 ms, ±50% jitter
    expect(await jobRow('job-broken')).toMatchObject({ status: 'failed', attempts: 1, error: 'bad input' });
    expect(seen.broken).toHaveLength(1);
    expect(await jobRow('job-down')).toMatchObject({ status: 'failed', attempts: 3, error: 'still down' });
    expect(seen.down).toHaveLength(3);
    expect((await db.query<{ status: string }>(`SELECT status FROM videos WHERE id = 'down'`)).rows[0]!.status).toBe(
      'failed',
    );
  });

  it('runs a job another service added to the Redis queue directly, giving it a Postgres row', async () => {
    const config = configFor({ workerJobSource: 'redis', redisUrl: inject('redisUrl'), queueName: queueName() });
    const queue = new Queue(config.queueName, { connection: { url: config.redisUrl!, maxRetriesPerRequest: null } });
    await queue.add('video', { videoId: 'ext-video', kind: 'process' }, { jobId: 'ext-job', attempts: 2 });
    await queue.close();
    await db.query(`INSERT INTO videos (id, original_path) VALUES ('ext-video', 'uploads/x.mp4')`);
    const ran: string[] = [];
    const source = new RedisJobSource(db, config);
    const worker = new Worker({
      source,
      store: new PgStore(db),
      config,
      log: silentLogger,
      stagesFor: () => [{ name: 'work', run: async (ctx) => void ran.push(ctx.video.id) }],
    });
    await worker.start();
    await until(async () => (await jobRow('ext-job'))?.status === 'done');
    await worker.stop();
    expect(ran).toEqual(['ext-video']);
    expect(await jobRow('ext-job')).toMatchObject({ status: 'done', attempts: 1 });
  });

  it('needs REDIS_URL', () => {
    expect(() => new RedisJobSource(db, configFor({ workerJobSource: 'redis' }))).toThrow(
      /REDIS_URL: is required when WORKER_JOB_SOURCE=redis/,
    );
  });
});

describe('Supadata provider (against a local fake of its API)', () => {
  it.each([
    ['answering at once', false],
    ['answering with a job to poll', true],
  ])('transcribes by URL, %s', async (_name, asyncJobs) => {
    const supadata = await FakeSupadataServer.start({ asyncJobs, transcriptScript: SENTENCES });
    const rel = upload('sd');
    const media = await serveDirectory(dataDir);
    try {
      const provider = createSupadataTranscription({
        apiKey: supadata.apiKey,
        baseUrl: supadata.url,
        mediaBaseUrl: media.url,
        pollIntervalMs: 50,
      });
      const res = await provider.transcribe({ audio: new Uint8Array(), fileName: 'x', mediaPath: rel });
      expect(res.segments.map((s) => s.text)).toEqual(SENTENCES);
      video.speech!.regions.forEach((r, i) => {
        expect(res.segments[i]!.start).toBeCloseTo(r.start, 0);
      });
      expect(supadata.requests[0]!.url).toBe(`${media.url}/uploads/sd_talk.mp4`);
      if (asyncJobs)
        expect(supadata.requests.filter((r) => r.path.startsWith('/v1/transcript/')).length).toBeGreaterThanOrEqual(2);
    } finally {
      await media.close();
      await supadata.close();
    }
  });

  it('is chosen by TRANSCRIPTION_PROVIDER=supadata and fills transcript_segments', async () => {
    const supadata = await FakeSupadataServer.start({ transcriptScript: SENTENCES });
    const media = await serveDirectory(dataDir);
    try {
      const config = configFor({
        transcriptionProvider: 'supadata',
        supadataApiKey: supadata.apiKey,
        supadataBaseUrl: supadata.url,
        supadataMediaBaseUrl: media.url,
      });
      await enqueueJob(db, { videoId: 'sdv', originalPath: upload('sdv'), jobId: 'sdj', kind: 'transcribe' });
      const worker = new Worker({
        source: new PostgresJobSource(db, config),
        store: new PgStore(db),
        config,
        log: silentLogger,
      });
      await worker.start();
      await until(async () => ['done', 'failed'].includes((await jobRow('sdj'))?.status ?? ''));
      await worker.stop();
      expect(await jobRow('sdj')).toMatchObject({ status: 'done', transcription: SENTENCES.join(' ') });
      expect(fake.requestsFor('transcriptions')).toHaveLength(0);
    } finally {
      await media.close();
      await supadata.close();
    }
  });

  it('fails clearly without a media base URL, and on a wrong key', async () => {
    const supadata = await FakeSupadataServer.start();
    try {
      const noBase = createSupadataTranscription({ apiKey: supadata.apiKey, baseUrl: supadata.url });
      await expect(
        noBase.transcribe({ audio: new Uint8Array(), fileName: 'x', mediaPath: 'uploads/a.mp4' }),
      ).rejects.toMatchObject({
        code: 'CONFIG_INVALID',
        retryable: false,
        message: expect.stringMatching(/SUPADATA_MEDIA_BASE_URL is not set/),
      });
      const wrong = createSupadataTranscription({
        apiKey: 'sd-wrong-key-123456',
        baseUrl: supadata.url,
        mediaBaseUrl: 'http://127.0.0.1:1',
      });
      const err = await wrong
        .transcribe({ audio: new Uint8Array(), fileName: 'x', mediaPath: 'uploads/a.mp4' })
        .catch((e: Error) => e);
      expect(err).toMatchObject({ code: 'PROVIDER_AUTH', retryable: false });
      expect((err as Error).message).not.toContain('sd-wrong-key-123456');
    } finally {
      await supadata.close();
    }
  });
});

describe('transcription service HTTP API', () => {
  async function withApi(configOverrides: Record<string, unknown>, fn: (url: string, config: Config) => Promise<void>) {
    const config = configFor({ apiMaxUploadBytes: 50 * 1024 * 1024, ...configOverrides });
    const source = Object.assign(new PostgresJobSource(db, config), {
      enqueue: (o: Parameters<typeof enqueueJob>[1]) => enqueueJob(db, o),
    });
    const api = await startApiServer({ db, store: new PgStore(db), config, source, port: 0 });
    try {
      await fn(api.url, config);
    } finally {
      await api.close();
    }
  }
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  // biome-ignore lint/suspicious/noExplicitAny: the test reads arbitrary fields of the JSON reply
  const json = async (res: Response): Promise<any> => res.json();
  const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });

  it('accepts a job for a file in DATA_DIR, and returns its transcription when done', async () => {
    await withApi({}, async (url, config) => {
      const rel = upload('apiv');
      const res = await post(`${url}/v1/jobs`, { path: rel, video_id: 'apiv' });
      expect(res.status).toBe(201);
      const job = await json(res);
      expect(job).toMatchObject({ video_id: 'apiv', kind: 'transcribe', status: 'pending', transcription: null });
      const worker = new Worker({
        source: new PostgresJobSource(db, config),
        store: new PgStore(db),
        config,
        log: silentLogger,
      });
      await worker.start();
      await until(async () => (await json(await fetch(`${url}/v1/jobs/${job.job_id}`))).status === 'done');
      await worker.stop();
      const done = await json(await fetch(`${url}/v1/jobs/${job.job_id}`));
      expect(done).toMatchObject({ status: 'done', attempts: 1, transcription: SENTENCES.join(' ') });
      const segs = await json(await fetch(`${url}/v1/jobs/${job.job_id}/segments`));
      expect(segs.segments.map((s: { text: string }) => s.text)).toEqual(SENTENCES);
    });
  });

  it('streams an upload to disk, enforcing the size limit', async () => {
    await withApi({ apiMaxUploadBytes: 200_000 }, async (url) => {
      const small = await fetch(`${url}/v1/uploads?filename=tiny.mp4&video_id=up1`, {
        method: 'POST',
        body: new Uint8Array(1000).fill(7),
      });
      expect(small.status).toBe(201);
      expect(await json(small)).toMatchObject({ video_id: 'up1', kind: 'transcribe', status: 'pending' });
      expect(existsSync(join(dataDir, 'uploads/up1_tiny.mp4'))).toBe(true);
      // too large, without a Content-Length to check up front: cut off while streaming
      const body = new ReadableStream({
        start(controller) {
          for (let i = 0; i < 10; i++) controller.enqueue(new Uint8Array(50_000));
          controller.close();
        },
      });
      const big = await fetch(`${url}/v1/uploads?filename=big.mp4&video_id=up2`, {
        method: 'POST',
        body,
        duplex: 'half',
      } as RequestInit);
      expect(big.status).toBe(413);
      expect((await json(big)).error.code).toBe('PAYLOAD_TOO_LARGE');
      expect(readdirSync(join(dataDir, 'uploads')).sort()).toEqual(['up1_tiny.mp4']);
      expect((await db.query(`SELECT 1 FROM jobs WHERE video_id = 'up2'`)).rowCount).toBe(0);
    });
  });

  it('answers bad requests with clear 4xx errors', async () => {
    await withApi({}, async (url) => {
      const cases: [Response, number, RegExp][] = [
        [await post(`${url}/v1/jobs`, { kind: 'transcribe' }), 400, /path: /],
        [await post(`${url}/v1/jobs`, { path: 'uploads/x.mp4', kind: 'dance' }), 400, /kind: /],
        [await post(`${url}/v1/jobs`, { path: 'uploads/x.mp4', extra: 1 }), 400, /Unrecognized key/],
        [await post(`${url}/v1/jobs`, { path: '../../etc/passwd' }), 400, /outside DATA_DIR/],
        [await post(`${url}/v1/jobs`, { path: 'uploads/missing.mp4' }), 404, /not found/],
        [await post(`${url}/v1/jobs`, { path: upload('idv'), video_id: '../bad' }), 400, /Invalid video id/],
        [
          await fetch(`${url}/v1/jobs`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: '{nope',
          }),
          400,
          /not valid JSON/,
        ],
        [await fetch(`${url}/v1/jobs`, { method: 'POST', body: 'x' }), 415, /Content-Type: application\/json/],
        [await fetch(`${url}/v1/jobs/no-such-job`), 404, /Unknown job id/],
        [await fetch(`${url}/v1/uploads?filename=a.mp4`, { method: 'POST', body: new Uint8Array() }), 400, /empty/],
        [await fetch(`${url}/v1/nothing`), 405, /not supported/],
      ];
      for (const [res, status, message] of cases) {
        const body = await json(res);
        expect({ status: res.status, message: body.error.message }).toEqual({
          status,
          message: expect.stringMatching(message),
        });
      }
    });
  });

  it('refuses a second job for a video that has one pending, and never replaces its upload', async () => {
    await withApi({}, async (url) => {
      const first = await fetch(`${url}/v1/uploads?filename=a.mp4&video_id=busy`, {
        method: 'POST',
        body: new Uint8Array(1000).fill(1),
      });
      expect(first.status).toBe(201);
      const again = await fetch(`${url}/v1/uploads?filename=b.mp4&video_id=busy`, {
        method: 'POST',
        body: new Uint8Array(1000).fill(2),
      });
      expect(again.status).toBe(409);
      expect((await json(again)).error).toMatchObject({
        code: 'VIDEO_BUSY',
        message: expect.stringMatching(/already has job .* pending/),
      });
      const byPath = await post(`${url}/v1/jobs`, { path: upload('busy2'), video_id: 'busy' });
      expect(byPath.status).toBe(409);
      expect(readdirSync(join(dataDir, 'uploads')).filter((n) => n.startsWith('busy_'))).toEqual(['busy_a.mp4']);
      expect((await db.query(`SELECT count(*)::int AS n FROM jobs WHERE video_id = 'busy'`)).rows[0]).toEqual({ n: 1 });
      // once the job has finished, the video may be submitted again
      await db.query(`UPDATE jobs SET status = 'done' WHERE video_id = 'busy'`);
      expect(
        (
          await fetch(`${url}/v1/uploads?filename=c.mp4&video_id=busy`, {
            method: 'POST',
            body: new Uint8Array(10).fill(3),
          })
        ).status,
      ).toBe(201);
    });
  });

  it('answers malformed ids and long non-ASCII names with 4xx/201, never 500, and shows no server path', async () => {
    await withApi({}, async (url) => {
      for (const raw of ['%00', '%E0%A4%A', '%ZZ', 'a%2F..%2F..', '%20', 'x'.repeat(300)]) {
        const res = await fetch(`${url}/v1/jobs/${raw}`);
        expect([400, 404], raw).toContain(res.status);
        expect((await json(res)).error.code, raw).toMatch(/^(INVALID_ID|JOB_NOT_FOUND)$/);
      }
      // 244 bytes of a legal non-ASCII name: stored cut by bytes, extension kept
      const name = `${'é'.repeat(118)}.mp4`;
      expect(Buffer.byteLength(name)).toBe(240);
      const res = await fetch(`${url}/v1/uploads?filename=${encodeURIComponent(name)}&video_id=longname`, {
        method: 'POST',
        body: new Uint8Array(100).fill(1),
      });
      expect(res.status).toBe(201);
      const stored = readdirSync(join(dataDir, 'uploads')).find((n) => n.startsWith('longname_'))!;
      expect(stored).toMatch(/^longname_é+\.mp4$/);
      expect(Buffer.byteLength(stored)).toBeLessThanOrEqual(255 - 30);
      const outside = await json(await post(`${url}/v1/jobs`, { path: '../../etc/passwd' }));
      expect(JSON.stringify(outside)).not.toContain(dataDir);
    });
  });

  it('cuts off a stalled upload after API_IDLE_TIMEOUT_MS, and caps uploads in flight (503 UPLOADS_BUSY)', async () => {
    await withApi({ apiIdleTimeoutMs: 1000, apiMaxConcurrentUploads: 1 }, async (url) => {
      const { port } = new URL(url);
      // a client that sends part of its body, then nothing
      const stalled = createConnection({ host: '127.0.0.1', port: Number(port) });
      const closed = new Promise<void>((resolve) => stalled.once('close', () => resolve()));
      stalled.on('error', () => {});
      await new Promise<void>((resolve) => stalled.once('connect', () => resolve()));
      stalled.write(
        `POST /v1/uploads?filename=slow.mp4&video_id=slow HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n${'x'.repeat(10)}`,
      );
      // wait until the server holds it as an upload in flight (its temp file exists)
      for (
        let i = 0;
        i < 200 && !(existsSync(join(dataDir, 'uploads')) && readdirSync(join(dataDir, 'uploads')).length > 0);
        i++
      )
        await sleep(20);
      const busy = await fetch(`${url}/v1/uploads?filename=b.mp4&video_id=other`, {
        method: 'POST',
        body: new Uint8Array(10).fill(1),
      });
      expect(busy.status).toBe(503);
      expect(busy.headers.get('retry-after')).toBe('5');
      expect((await json(busy)).error.code).toBe('UPLOADS_BUSY');
      await closed; // the server closed the idle connection (the test would time out otherwise)
      for (let i = 0; i < 100 && readdirSync(join(dataDir, 'uploads')).length > 0; i++) await sleep(20);
      expect(readdirSync(join(dataDir, 'uploads'))).toEqual([]); // the partial upload is gone
      expect((await db.query(`SELECT 1 FROM jobs WHERE video_id IN ('slow', 'other')`)).rowCount).toBe(0);
      // the slot is free again
      expect(
        (
          await fetch(`${url}/v1/uploads?filename=b.mp4&video_id=other`, {
            method: 'POST',
            body: new Uint8Array(10).fill(1),
          })
        ).status,
      ).toBe(201);
    });
  });

  it('requires a bearer token when bound beyond loopback', async () => {
    await expect(withApi({ apiHttpHost: '0.0.0.0' }, async () => {})).rejects.toThrow(
      /API_TOKEN: is required when the API listens beyond loopback/,
    );
    await withApi({ apiHttpHost: '0.0.0.0', apiToken: 'tok-123456789' }, async (url) => {
      const port = new URL(url).port;
      const local = `http://127.0.0.1:${port}`;
      expect((await fetch(`${local}/v1/jobs/x`)).status).toBe(401);
      expect((await fetch(`${local}/v1/jobs/x`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
      expect((await fetch(`${local}/v1/jobs/x`, { headers: { authorization: 'Bearer tok-123456789' } })).status).toBe(
        404,
      );
      // the token alone, without the Bearer scheme, is refused
      expect((await fetch(`${local}/v1/jobs/x`, { headers: { authorization: 'tok-123456789' } })).status).toBe(401);
      expect((await fetch(`${local}/healthz`)).status).toBe(200);
    });
  });
});
