import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { loadConfig, type Config } from '@videoqa/core';
import {
  createLogger,
  PostgresJobSource,
  startApiServer,
  startWebhookDispatcher,
  WebhookDispatcher,
} from '@videoqa/runner';
import { resolveJobWebhook } from '../src/webhooks/webhook-target.ts';
import {
  claimJob,
  claimWebhookDeliveries,
  completeJob,
  enqueueJob,
  failJob,
  listWebhookDeliveries,
  PgStore,
  type Db,
} from '@videoqa/storage-pg';
import { badInputs, openTestDb, type TestDb } from '@videoqa/testing';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { runCli, startCli, tempDir } from './helpers.ts';

const SECRET = `whsec_${randomBytes(32).toString('base64')}`;

interface Received {
  headers: Record<string, string>;
  body: string;
  /** What standardwebhooks' verify() returned, or its error message. */
  verified: unknown;
  ok: boolean;
}

/** A webhook receiver that checks each request with the same library and answers from a script. */
class Receiver {
  readonly received: Received[] = [];
  /** Status codes to answer with, in order; 200 once it runs out. */
  script: number[] = [];
  private server!: Server;
  url = '';

  static async start(): Promise<Receiver> {
    const r = new Receiver();
    const verifier = new Webhook(SECRET);
    r.server = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const body = Buffer.concat(chunks).toString('utf8');
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
      let verified: unknown;
      let ok = true;
      try {
        verified = verifier.verify(body, headers);
      } catch (err) {
        verified = (err as Error).message;
        ok = false;
      }
      r.received.push({ headers, body, verified, ok });
      res.writeHead(r.script.shift() ?? 200).end('thanks');
    });
    await new Promise<void>((resolve) => r.server.listen(0, '127.0.0.1', resolve));
    r.url = `http://127.0.0.1:${(r.server.address() as AddressInfo).port}/hooks/videoqa`;
    return r;
  }

  reset(script: number[] = []) {
    this.received.length = 0;
    this.script = script;
  }

  close() {
    return new Promise<void>((resolve) => {
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }
}

/** Waits for a condition the system reaches on its own (a hang guard, not a timing assertion). */
async function until<T>(
  what: string,
  probe: () => Promise<T | undefined | null | false>,
  limitMs = 120_000,
): Promise<T> {
  const started = Date.now();
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() - started > limitMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const silent = createLogger({ level: 'silent', stdout: null });

let receiver: Receiver;
beforeAll(async () => {
  receiver = await Receiver.start();
});
afterAll(async () => receiver.close());

const configFor = (overrides: Record<string, unknown> = {}): Config =>
  loadConfig({
    env: {},
    overrides: {
      webhookSecret: SECRET,
      webhookAllowPrivate: true,
      webhookRetryDelaySec: 0.05,
      webhookRetryDelayMaxSec: 0.2,
      webhookPollMs: 50,
      workerId: 'dispatcher-1',
      ...overrides,
    },
  });

/** A job with a webhook, claimed by worker w1. */
async function claimedJob(db: Db, jobId: string, url = receiver.url, maxAttempts = 1) {
  await enqueueJob(db, { videoId: `v_${jobId}`, jobId, webhookUrl: url, maxAttempts });
  const job = await claimJob(db, { workerId: 'w1', leaseMs: 60_000, defaultMaxAttempts: 3 });
  expect(job?.id).toBe(jobId);
}

describe.each(['postgres', 'pglite'] as const)('completion webhooks on %s', (kind) => {
  let t: TestDb;
  const dispatchers: WebhookDispatcher[] = [];
  const dispatcher = async (overrides: Record<string, unknown> = {}) => {
    const d = new WebhookDispatcher({ db: t.db, config: configFor(overrides), log: silent });
    dispatchers.push(d);
    await d.start();
    return d;
  };
  beforeAll(async () => {
    t = await openTestDb(kind, inject('pgUrl'));
  });
  afterEach(async () => {
    await Promise.all(dispatchers.splice(0).map((d) => d.stop()));
  });
  afterAll(async () => t.close());

  it('writes the event with the completion, retries 500s with backoff, and delivers it signed; every attempt is recorded', async () => {
    receiver.reset([500, 503]);
    await claimedJob(t.db, 'job_ready');
    await completeJob(t.db, { jobId: 'job_ready', workerId: 'w1' });
    // the outbox row exists before any dispatcher runs
    const [queued] = await listWebhookDeliveries(t.db, 'job_ready');
    expect(queued).toMatchObject({ eventType: 'video.ready', status: 'pending', attempts: 0, url: receiver.url });

    await dispatcher();
    const done = await until('delivered', async () =>
      (await listWebhookDeliveries(t.db, 'job_ready')).find((d) => d.status === 'delivered'),
    );
    expect(done!.attempts).toBe(3);
    expect(done!.attemptLog.map((a) => [a.attempt, a.statusCode, a.error])).toEqual([
      [1, 500, 'HTTP 500'],
      [2, 503, 'HTTP 503'],
      [3, 200, null],
    ]);
    expect(done!.attemptLog.every((a) => a.workerId === 'dispatcher-1')).toBe(true);
    expect(receiver.received).toHaveLength(3);
    for (const r of receiver.received) {
      expect(r.ok, String(r.verified)).toBe(true);
      // the same webhook-id on every retry: a receiver de-duplicates by it
      expect(r.headers['webhook-id']).toBe(done!.id);
      expect(r.headers['content-type']).toBe('application/json');
    }
    const body = JSON.parse(receiver.received[2]!.body);
    expect(Object.keys(body)).toEqual(['type', 'timestamp', 'data']);
    expect(body).toEqual({
      type: 'video.ready',
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      data: { video_id: 'v_job_ready', job_id: 'job_ready', status: 'ready' },
    });
    expect(receiver.received[2]!.verified).toEqual(body);
  });

  it('sends video.failed with the error once the job has failed for good, nothing while it will be retried', async () => {
    receiver.reset();
    await claimedJob(t.db, 'job_failing', receiver.url, 2);
    const fail = () =>
      failJob(t.db, {
        jobId: 'job_failing',
        workerId: 'w1',
        message: 'Cannot process "uploads/x.mp4": not a video',
        retryable: true,
        retryDelayMs: 0,
        defaultMaxAttempts: 3,
      });
    expect(await fail()).toBe('retry');
    expect(await listWebhookDeliveries(t.db, 'job_failing')).toEqual([]);
    expect((await claimJob(t.db, { workerId: 'w1', leaseMs: 60_000, defaultMaxAttempts: 3 }))?.id).toBe('job_failing');
    expect(await fail()).toBe('failed');
    await dispatcher();
    await until('delivered', async () =>
      (await listWebhookDeliveries(t.db, 'job_failing')).find((d) => d.status === 'delivered'),
    );
    expect(receiver.received).toHaveLength(1);
    expect(receiver.received[0]!.ok).toBe(true);
    expect(JSON.parse(receiver.received[0]!.body)).toMatchObject({
      type: 'video.failed',
      data: {
        video_id: 'v_job_failing',
        job_id: 'job_failing',
        status: 'failed',
        error: 'Cannot process "uploads/x.mp4": not a video',
      },
    });
  });

  it('writes no event when the completing transaction rolls back', async () => {
    await claimedJob(t.db, 'job_rollback');
    await expect(
      t.db.transaction(async (tx) => {
        await completeJob(tx, { jobId: 'job_rollback', workerId: 'w1' });
        expect(
          (
            await tx.query<{ n: number }>(
              `SELECT count(*)::int AS n FROM webhook_deliveries WHERE job_id = 'job_rollback'`,
            )
          ).rows[0]!.n,
        ).toBe(1);
        throw new Error('crash before commit');
      }),
    ).rejects.toThrow('crash before commit');
    expect(await listWebhookDeliveries(t.db, 'job_rollback')).toEqual([]);
    // a job without a webhook writes nothing at all
    await enqueueJob(t.db, { videoId: 'v_plain', jobId: 'job_plain' });
    await claimJob(t.db, { workerId: 'w1', leaseMs: 60_000, defaultMaxAttempts: 3 });
    await completeJob(t.db, { jobId: 'job_plain', workerId: 'w1' });
    expect(await listWebhookDeliveries(t.db, 'job_plain')).toEqual([]);
  });

  it('gives up after WEBHOOK_MAX_ATTEMPTS, with each attempt recorded', async () => {
    receiver.reset([500, 500, 500, 500, 500]);
    await claimedJob(t.db, 'job_unlucky');
    await completeJob(t.db, { jobId: 'job_unlucky', workerId: 'w1' });
    await dispatcher({ webhookMaxAttempts: 3 });
    const failed = await until('failed', async () =>
      (await listWebhookDeliveries(t.db, 'job_unlucky')).find((d) => d.status === 'failed'),
    );
    expect(failed).toMatchObject({ attempts: 3, lastStatusCode: 500, lastError: 'HTTP 500', deliveredAt: null });
    expect(failed.attemptLog.map((a) => a.statusCode)).toEqual([500, 500, 500]);
    expect(receiver.received).toHaveLength(3);
  });

  it('refuses loopback and private targets unless WEBHOOK_ALLOW_PRIVATE=true, at submission and at delivery', async () => {
    const closed = configFor({ webhookAllowPrivate: false });
    await expect(resolveJobWebhook(closed, receiver.url)).rejects.toMatchObject({
      code: 'URL_NOT_ALLOWED',
      message: expect.stringMatching(/WEBHOOK_ALLOW_PRIVATE=true/),
    });
    await expect(resolveJobWebhook(closed, 'http://169.254.169.254/latest/meta-data')).rejects.toMatchObject({
      code: 'URL_NOT_ALLOWED',
    });
    await expect(resolveJobWebhook(closed, 'ftp://example.com/hook')).rejects.toMatchObject({
      code: 'URL_NOT_ALLOWED',
    });
    await expect(
      resolveJobWebhook(configFor({ webhookSecret: undefined }), 'https://example.com/hook'),
    ).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringMatching(/WEBHOOK_SECRET/) });
    expect(await resolveJobWebhook(configFor(), receiver.url)).toBe(receiver.url);
    expect(await resolveJobWebhook(configFor({ webhookUrl: 'https://hooks.example.com/x' }))).toBe(
      'https://hooks.example.com/x',
    ); // the server default
    expect(await resolveJobWebhook(configFor())).toBeUndefined();

    // A job whose URL was written by SQL, past the submission check: the delivery is refused at connect time, not retried.
    receiver.reset();
    await claimedJob(t.db, 'job_ssrf');
    await completeJob(t.db, { jobId: 'job_ssrf', workerId: 'w1' });
    await dispatcher({ webhookAllowPrivate: false });
    const failed = await until('failed', async () =>
      (await listWebhookDeliveries(t.db, 'job_ssrf')).find((d) => d.status === 'failed'),
    );
    expect(failed.attempts).toBe(1);
    expect(failed.lastError).toMatch(/^URL_NOT_ALLOWED: refused to connect to 127\.0\.0\.1/);
    expect(receiver.received).toHaveLength(0);
  });
});

describe('WEBHOOK_SECRET', () => {
  it('must be a whsec_ secret, and a bad one is never echoed', () => {
    const bad = 'whsec_short';
    let message = '';
    try {
      loadConfig({ env: { WEBHOOK_SECRET: bad } });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/^Invalid configuration: WEBHOOK_SECRET: must be whsec_ followed by base64/);
    expect(message).not.toContain(bad);
    expect(() => loadConfig({ env: { WEBHOOK_SECRET: 'not-a-whsec-secret-at-all-0123456789abcdef' } })).toThrow(
      /WEBHOOK_SECRET/,
    );
    expect(loadConfig({ env: { WEBHOOK_SECRET: SECRET } }).webhookSecret).toBe(SECRET);
  });

  it('is required at start when WEBHOOK_URL is set; without either, no dispatcher runs', async () => {
    const config = loadConfig({ env: { WEBHOOK_URL: 'https://hooks.example.com/videoqa' } });
    await expect(startWebhookDispatcher({ db: undefined as never, config, log: silent })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringMatching(/WEBHOOK_SECRET: must be set/),
    });
    expect(
      await startWebhookDispatcher({ db: undefined as never, config: loadConfig({ env: {} }), log: silent }),
    ).toBeUndefined();
  });
});

describe('webhook delivery across processes (real PostgreSQL)', () => {
  let t: TestDb;
  beforeAll(async () => {
    t = await openTestDb('postgres', inject('pgUrl'));
  });
  afterAll(async () => t.close());

  it('a delivery whose dispatcher died is taken over when its lease expires; two dispatchers send each event once', async () => {
    receiver.reset();
    await claimedJob(t.db, 'job_orphan');
    await completeJob(t.db, { jobId: 'job_orphan', workerId: 'w1' });
    // a dispatcher claims it and dies before sending
    const orphaned = await claimWebhookDeliveries(t.db, { workerId: 'dead-dispatcher', leaseMs: 300, limit: 10 });
    expect(orphaned.map((d) => d.jobId)).toEqual(['job_orphan']);
    for (let i = 0; i < 8; i++) {
      await claimedJob(t.db, `job_many_${i}`);
      await completeJob(t.db, { jobId: `job_many_${i}`, workerId: 'w1' });
    }
    const a = new WebhookDispatcher({
      db: t.db,
      config: configFor({ workerId: 'dispatcher-a' }),
      log: silent,
      concurrency: 2,
    });
    const b = new WebhookDispatcher({
      db: t.db,
      config: configFor({ workerId: 'dispatcher-b' }),
      log: silent,
      concurrency: 2,
    });
    await Promise.all([a.start(), b.start()]);
    try {
      const rows = await until('all delivered', async () => {
        const r = await t.db.query<{ id: string; job_id: string; status: string; attempts: number }>(
          `SELECT id, job_id, status, attempts FROM webhook_deliveries WHERE job_id LIKE 'job_many_%' OR job_id = 'job_orphan'`,
        );
        return r.rows.length === 9 && r.rows.every((x) => x.status === 'delivered') ? r.rows : undefined;
      });
      const ids = receiver.received.map((r) => r.headers['webhook-id']);
      expect(new Set(ids).size).toBe(9);
      expect(ids).toHaveLength(9); // none twice
      expect(receiver.received.every((r) => r.ok)).toBe(true);
      const orphan = (await listWebhookDeliveries(t.db, 'job_orphan'))[0]!;
      expect(orphan.attempts).toBe(2); // the dead claim counted
      expect(orphan.attemptLog.map((x) => x.attempt)).toEqual([2]);
      expect(['dispatcher-a', 'dispatcher-b']).toContain(orphan.attemptLog[0]!.workerId);
      expect(rows.filter((r) => r.job_id !== 'job_orphan').every((r) => r.attempts === 1)).toBe(true);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  it('videoqa worker delivers the event of a job enqueued with --webhook; the API takes webhook_url and shows deliveries', async () => {
    receiver.reset();
    const dataDir = tempDir('vq-hooks-');
    const env = {
      DATABASE_URL: t.url!,
      DATA_DIR: dataDir,
      WEBHOOK_SECRET: SECRET,
      WEBHOOK_ALLOW_PRIVATE: 'true',
      WORKER_POLL_MS: '100',
      WEBHOOK_POLL_MS: '100',
    };
    const notVideo = await badInputs.textFile();
    const enq = await runCli(['enqueue', notVideo, '--id', 'hooked', '--webhook', receiver.url, '--json'], env);
    expect(enq.stderr).toBe('');
    const job = JSON.parse(enq.stdout);
    expect(job).toMatchObject({ video_id: 'hooked', webhook_url: receiver.url });
    const refused = await runCli(['enqueue', notVideo, '--webhook', receiver.url], {
      ...env,
      WEBHOOK_ALLOW_PRIVATE: 'false',
    });
    expect(refused.code).toBe(4);
    expect(refused.stderr).toMatch(/^videoqa: URL_NOT_ALLOWED: refused to connect to 127\.0\.0\.1/);

    const worker = startCli(['worker'], env);
    try {
      await worker.waitFor(/FAILED: job/);
      await worker.waitFor(/WEBHOOK: video\.failed for job .* delivered/);
    } finally {
      worker.child.kill('SIGTERM');
      await worker.exited;
    }
    expect(worker.output()).not.toContain(SECRET.slice(6));
    expect(receiver.received).toHaveLength(1);
    expect(receiver.received[0]!.ok).toBe(true);
    expect(JSON.parse(receiver.received[0]!.body)).toMatchObject({
      type: 'video.failed',
      data: { video_id: 'hooked', job_id: job.job_id, status: 'failed', error: expect.stringMatching(/not|invalid/i) },
    });

    const config = configFor({ dataDir, databaseUrl: t.url });
    const source = Object.assign(new PostgresJobSource(t.db, config), {
      enqueue: (o: Parameters<typeof enqueueJob>[1]) => enqueueJob(t.db, o),
    });
    const api = await startApiServer({
      db: t.db,
      store: new PgStore(t.db),
      config: { ...config, webhookAllowPrivate: false },
      source,
      port: 0,
    });
    try {
      const viewed = (await (await fetch(`${api.url}/v1/jobs/${job.job_id}`)).json()) as { webhooks: unknown[] };
      expect(viewed.webhooks).toEqual([
        {
          webhook_id: receiver.received[0]!.headers['webhook-id'],
          type: 'video.failed',
          status: 'delivered',
          attempts: 1,
          last_status_code: 200,
          last_error: null,
          delivered_at: expect.any(String),
        },
      ]);
      const post = (body: unknown) =>
        fetch(`${api.url}/v1/jobs`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
      for (const [hook, code] of [
        [receiver.url, 'URL_NOT_ALLOWED'],
        ['javascript:alert(1)', 'URL_NOT_ALLOWED'],
      ] as const) {
        const res = await post({ path: `uploads/hooked_${notVideo.split('/').pop()}`, webhook_url: hook });
        expect(res.status).toBe(400);
        expect(await res.json()).toMatchObject({ error: { code } });
      }
    } finally {
      await api.close();
    }
  });
});
