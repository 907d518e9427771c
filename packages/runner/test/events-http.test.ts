import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig, silentLogger, sleep, type Config } from '@videoqa/core';
import { PostgresJobSource, startApiServer, Worker, type ApiServer } from '@videoqa/runner';
import { enqueueJob, PgStore, type VideoqaEvent } from '@videoqa/storage-pg';
import { FakeOpenAIServer, makeVideo, openTestDb, type TestDb } from '@videoqa/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { tempDir } from './helpers.ts';

const SENTENCES = ['The kettle is on.', 'Tea will be ready soon.'];
let fake: FakeOpenAIServer;
let video: Awaited<ReturnType<typeof makeVideo>>;
beforeAll(async () => {
  fake = await FakeOpenAIServer.start({ transcriptScript: SENTENCES });
  video = await makeVideo({
    shots: [
      { source: 'testsrc2', seconds: 2 },
      { source: 'smptebars', seconds: 2 },
    ],
    width: 320,
    height: 240,
    audio: { kind: 'speech', sentences: SENTENCES, gapSec: 0.5 },
  });
});
afterAll(async () => fake.close());

interface SseMessage {
  id?: string;
  data?: string;
  comment?: string;
}

/** A Server-Sent-Events reader on fetch: messages as they arrive, parsed per the HTML spec's field rules. */
async function openSse(url: string): Promise<{
  messages: SseMessage[];
  ended: Promise<void>;
  abort: () => void;
  status: number;
  contentType: string | null;
}> {
  const controller = new AbortController();
  const res = await fetch(url, { headers: { accept: 'text/event-stream' }, signal: controller.signal });
  const messages: SseMessage[] = [];
  const ended = (async () => {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of res.body!) {
        buffer += decoder.decode(chunk as Uint8Array, { stream: true });
        let cut: number;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const m: SseMessage = {};
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) m.comment = line.slice(1).trim();
            else if (line.startsWith('id: ')) m.id = line.slice(4);
            else if (line.startsWith('data: ')) m.data = line.slice(6);
          }
          messages.push(m);
        }
      }
    } catch {
      // aborted by the test
    }
  })();
  return {
    messages,
    ended,
    abort: () => controller.abort(),
    status: res.status,
    contentType: res.headers.get('content-type'),
  };
}

const eventsOf = (messages: SseMessage[]): VideoqaEvent[] =>
  messages.filter((m) => m.data).map((m) => JSON.parse(m.data!) as VideoqaEvent);

async function until(check: () => boolean, what: string, timeoutMs = 240_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

describe.each(['pglite', 'postgres'] as const)('GET /v1/events on %s', (kind) => {
  let t: TestDb;
  let config: Config;
  let api: ApiServer;
  beforeAll(async () => {
    t = await openTestDb(kind, inject('pgUrl'));
    const dataDir = tempDir('vq-events-');
    mkdirSync(join(dataDir, 'uploads'));
    copyFileSync(video.path, join(dataDir, 'uploads', 'tea_kettle.mp4'));
    config = loadConfig({
      env: {},
      overrides: {
        dataDir,
        openaiApiKey: fake.apiKey,
        openaiBaseUrl: fake.url,
        workerPollMs: 50,
        apiEventsHeartbeatMs: 1000,
      },
    });
    api = await startApiServer({
      db: t.db,
      store: new PgStore(t.db),
      config,
      source: { name: 'postgres', enqueue: () => Promise.reject(new Error('unused')) },
      port: 0,
    });
  });
  afterAll(async () => {
    await api.close();
    await t.close();
  });

  it('streams a job from claimed through each stage to ready, in order, while a worker runs it', async () => {
    const all = await openSse(`${api.url}/v1/events`);
    const other = await openSse(`${api.url}/v1/events?video=someone-else`);
    expect(all.status).toBe(200);
    expect(all.contentType).toMatch(/^text\/event-stream/);
    await until(() => api.eventClients === 2, 'two subscribers');

    await enqueueJob(t.db, { videoId: 'tea', originalPath: 'uploads/tea_kettle.mp4', jobId: 'job-tea' });
    const worker = new Worker({
      source: new PostgresJobSource(t.db, config),
      store: new PgStore(t.db),
      config,
      log: silentLogger,
    });
    await worker.start();
    try {
      await until(() => eventsOf(all.messages).some((e) => e.type === 'video.ready'), 'video.ready');
    } finally {
      await worker.stop();
    }
    // A heartbeat comment keeps idle streams open (every second here).
    await until(() => all.messages.some((m) => m.comment === 'heartbeat'), 'a heartbeat');

    const events = eventsOf(all.messages).filter((e) => e.video_id === 'tea');
    const types = events.map((e) => e.type);
    const at = (type: string, stage?: string) =>
      events.findIndex((e) => e.type === type && (stage === undefined || e.stage === stage));
    expect(at('job.queued')).toBeGreaterThanOrEqual(0);
    expect(at('job.queued')).toBeLessThan(at('job.claimed'));
    const stageEnds = events.filter((e) => ['stage.done', 'stage.skipped'].includes(e.type)).map((e) => e.stage);
    expect(stageEnds).toEqual(
      expect.arrayContaining(['embeddings', 'frames', 'normalize', 'scenes', 'transcribe', 'vision']),
    );
    expect(new Set(stageEnds).size).toBe(stageEnds.length);
    expect(events.filter((e) => e.type === 'stage.done').map((e) => e.stage)).toEqual(
      expect.arrayContaining(['normalize', 'transcribe', 'vision', 'embeddings']),
    );
    // The DAG's order shows in the stream: each stage is announced done after the ones it needs.
    // (transcribe needs only normalize's audio, provided early: it starts after normalize does.)
    expect(at('stage.started', 'normalize')).toBeLessThan(at('stage.started', 'transcribe'));
    for (const [before, after] of [
      ['normalize', 'scenes'],
      ['scenes', 'frames'],
      ['frames', 'vision'],
      ['vision', 'embeddings'],
      ['transcribe', 'embeddings'],
    ]) {
      expect(at('stage.done', before), `${before} before ${after}`).toBeLessThan(at('stage.done', after));
    }
    for (const s of stageEnds) expect(at('stage.started', s!)).toBeLessThan(at('stage.done', s!));
    expect(at('job.claimed')).toBeLessThan(at('stage.started', 'normalize'));
    expect(at('stage.done', 'embeddings')).toBeLessThan(at('video.ready'));
    expect(types).toContain('job.done');
    expect(types).not.toContain('job.failed');
    expect(events.find((e) => e.type === 'job.claimed')).toMatchObject({ job_id: 'job-tea', status: 'processing' });
    // Each message carries its event's id as the SSE id, increasing.
    const withData = all.messages.filter((m) => m.data);
    expect(withData.every((m) => m.id === String((JSON.parse(m.data!) as VideoqaEvent).id))).toBe(true);
    const ids = events.map((e) => e.id);
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);

    // The filtered stream saw none of this video's events.
    expect(eventsOf(other.messages)).toEqual([]);
    expect(other.messages[0]!.comment).toBe('subscribed to video someone-else');

    // A client that goes away is dropped.
    other.abort();
    await other.ended;
    await until(() => api.eventClients === 1, 'the aborted client to be dropped');
    all.abort();
    await all.ended;
    await until(() => api.eventClients === 0, 'no subscribers');
  });

  it('refuses a malformed video filter with 400 before opening the stream', async () => {
    const res = await fetch(`${api.url}/v1/events?video=${encodeURIComponent('../x')}`);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('INVALID_ID');
    expect((await fetch(`${api.url}/v1/events`, { method: 'HEAD' })).status).toBe(405);
  });

  it('ends open streams when the server closes', async () => {
    const second = await startApiServer({
      db: t.db,
      store: new PgStore(t.db),
      config,
      source: { name: 'postgres', enqueue: () => Promise.reject(new Error('unused')) },
      port: 0,
    });
    const sse = await openSse(`${second.url}/v1/events`);
    await until(() => second.eventClients === 1, 'a subscriber');
    await second.close();
    await sse.ended;
    expect(sse.messages[0]!.comment).toBe('subscribed');
  });
});
