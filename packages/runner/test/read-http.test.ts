import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { buildVideoExport, createVideoqa, startApiServer, type Videoqa } from '@videoqa/runner';
import { createTestDatabase, FakeOpenAIServer, makeVideo } from '@videoqa/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { tempDir } from './helpers.ts';

const SENTENCES = ['Welcome to the garden tour.', 'Here the tomatoes grow in rows.', 'Thank you for visiting.'];
const TOKEN = 'read-token-0123456789';
let fake: FakeOpenAIServer;
let video: Awaited<ReturnType<typeof makeVideo>>;
let pgDb: { url: string; drop: () => Promise<void> };
beforeAll(async () => {
  fake = await FakeOpenAIServer.start({ transcriptScript: SENTENCES });
  pgDb = await createTestDatabase(inject('pgUrl'));
  video = await makeVideo({
    shots: [
      { source: 'testsrc2', seconds: 3 },
      { source: 'smptebars', seconds: 3 },
    ],
    width: 320,
    height: 240,
    audio: { kind: 'speech', sentences: SENTENCES, gapSec: 1 },
  });
});
afterAll(async () => {
  await fake.close();
  await pgDb.drop();
});

const noQueue = { name: 'postgres', enqueue: () => Promise.reject(new Error('not used here')) };

/** A GET with a raw path (fetch would normalise `..` away) and optional headers. */
function rawGet(
  base: string,
  path: string,
  headers: Record<string, string> = {},
  method = 'GET',
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const { hostname, port } = new URL(base);
    const req = request({ hostname, port, path, method, headers: { connection: 'close', ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}
const json = (r: { body: Buffer }) => JSON.parse(r.body.toString('utf8'));

describe.each(['pglite', 'postgres'] as const)('read API on %s', (kind) => {
  let vq: Videoqa;
  let dataDir: string;
  let url: string;
  let closeApi: () => Promise<void>;
  beforeAll(async () => {
    dataDir = tempDir('vq-read-');
    vq = await createVideoqa({
      dataDir,
      databaseUrl: kind === 'postgres' ? pgDb.url : null,
      config: { openaiApiKey: fake.apiKey, openaiBaseUrl: fake.url },
    });
    await vq.process(video.path, { videoId: 'garden' }).orThrow();
    // A video whose processing has not produced media yet.
    await vq.store.saveVideo({ id: 'fresh', originalPath: 'uploads/fresh_x.mp4', status: 'pending' });
    const api = await startApiServer({ db: vq.db, store: vq.store, config: vq.config, source: noQueue, port: 0 });
    url = api.url;
    closeApi = api.close;
  });
  afterAll(async () => {
    await closeApi();
    await vq.close();
  });

  it('GET /v1/videos lists the library, filtered by status; a bad filter is a 400', async () => {
    const all = json(await rawGet(url, '/v1/videos'));
    expect(all.videos.map((v: { id: string }) => v.id).sort()).toEqual(['fresh', 'garden']);
    expect(all.videos.find((v: { id: string }) => v.id === 'garden')).toMatchObject({
      status: 'ready',
      file: expect.stringMatching(/\.mp4$/),
      counts: { segments: 3, scenes: 2, frames: 2, captions: 2 },
      duration_sec: expect.any(Number),
    });
    expect(json(await rawGet(url, '/v1/videos?status=ready')).videos.map((v: { id: string }) => v.id)).toEqual([
      'garden',
    ]);
    expect(json(await rawGet(url, '/v1/videos?status=failed')).videos).toEqual([]);
    for (const q of ['status=done', 'limit=0', 'limit=x', 'colour=red']) {
      const res = await rawGet(url, `/v1/videos?${q}`);
      expect(res.status, q).toBe(400);
      expect(json(res).error.code).toBe('INVALID_REQUEST');
    }
  });

  it('GET /v1/videos/:id is the export document; unknown ids are 404 and malformed ids 400', async () => {
    const res = await rawGet(url, '/v1/videos/garden');
    expect(res.status).toBe(200);
    expect(json(res)).toEqual(JSON.parse(JSON.stringify(await buildVideoExport(vq.store, 'garden'))));
    expect(json(res)).toMatchObject({
      schema_version: 1,
      video: { id: 'garden', status: 'ready', normalized_path: 'processed/garden/normalized.mp4' },
    });
    for (const dots of ['/v1/videos/..', '/v1/videos/%2e%2E', '/v1/videos/./media']) {
      const r = await rawGet(url, dots);
      expect([r.status, json(r).error.code], dots).toEqual([400, 'INVALID_PATH']);
    }
    const missing = await rawGet(url, '/v1/videos/nope');
    expect([missing.status, json(missing).error.code]).toEqual([404, 'VIDEO_NOT_FOUND']);
    for (const bad of [
      '/v1/videos/%2e%2e%2fdb',
      '/v1/videos/a%20b',
      '/v1/videos/%E0%A4%A',
      '/v1/videos/.hidden/media',
    ]) {
      const r = await rawGet(url, bad);
      expect([r.status, json(r).error.code], bad).toEqual([400, 'INVALID_ID']);
    }
  });

  it('GET /v1/videos/:id/frames/:frame sends the keyframe JPEG found through the database, never a path from the URL', async () => {
    const doc = await buildVideoExport(vq.store, 'garden');
    const frame = doc.scenes[1]!.frames[0]!;
    const res = await rawGet(url, `/v1/videos/garden/frames/${frame.id}`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('image/jpeg');
    expect(res.body.subarray(0, 3)).toEqual(Buffer.from([0xff, 0xd8, 0xff]));
    expect(res.body.equals(readFileSync(join(dataDir, frame.path)))).toBe(true);

    const unknown = await rawGet(url, '/v1/videos/garden/frames/garden_frame_099');
    expect([unknown.status, json(unknown).error.code]).toEqual([404, 'FRAME_NOT_FOUND']);
    // Another video's frame id is not this video's frame.
    const other = await rawGet(url, `/v1/videos/fresh/frames/${frame.id}`);
    expect([other.status, json(other).error.code]).toEqual([404, 'FRAME_NOT_FOUND']);
    for (const bad of ['..%2F..%2Fdb%2Fvideoqa.lock', 'x..', 'scene_000.jpg%00']) {
      const r = await rawGet(url, `/v1/videos/garden/frames/${bad}`);
      expect([r.status, json(r).error.code], bad).toEqual([400, 'INVALID_ID']);
    }
    const dots = await rawGet(url, '/v1/videos/garden/frames/../../db');
    expect([dots.status, json(dots).error.code]).toEqual([400, 'INVALID_PATH']);
  });

  it('GET /v1/videos/:id/media serves the normalized MP4 with byte ranges: 206, suffix ranges, 416 past the end', async () => {
    const file = readFileSync(join(dataDir, 'processed/garden/normalized.mp4'));
    const whole = await rawGet(url, '/v1/videos/garden/media');
    expect(whole.status).toBe(200);
    expect(whole.headers).toMatchObject({
      'content-type': 'video/mp4',
      'accept-ranges': 'bytes',
      'content-length': String(file.length),
    });
    expect(whole.body.equals(file)).toBe(true);

    const first = await rawGet(url, '/v1/videos/garden/media', { range: 'bytes=0-99' });
    expect(first.status).toBe(206);
    expect(first.headers).toMatchObject({ 'content-range': `bytes 0-99/${file.length}`, 'content-length': '100' });
    expect(first.body.equals(file.subarray(0, 100))).toBe(true);

    const middle = await rawGet(url, '/v1/videos/garden/media', { range: `bytes=1000-` });
    expect(middle.headers['content-range']).toBe(`bytes 1000-${file.length - 1}/${file.length}`);
    expect(middle.body.equals(file.subarray(1000))).toBe(true);

    const tail = await rawGet(url, '/v1/videos/garden/media', { range: 'bytes=-50' });
    expect(tail.status).toBe(206);
    expect(tail.body.equals(file.subarray(file.length - 50))).toBe(true);

    // An end past the file is clipped to it (RFC 9110); a start past it cannot be satisfied.
    const clipped = await rawGet(url, '/v1/videos/garden/media', {
      range: `bytes=${file.length - 10}-${file.length + 500}`,
    });
    expect([clipped.status, clipped.body.length]).toEqual([206, 10]);
    const past = await rawGet(url, '/v1/videos/garden/media', { range: `bytes=${file.length}-` });
    expect(past.status).toBe(416);
    expect(past.headers['content-range']).toBe(`bytes */${file.length}`);
    expect(json(past).error.code).toBe('RANGE_NOT_SATISFIABLE');

    // A malformed Range is ignored: the whole file.
    const malformed = await rawGet(url, '/v1/videos/garden/media', { range: 'bytes=abc' });
    expect([malformed.status, malformed.body.length]).toEqual([200, file.length]);
    const head = await rawGet(url, '/v1/videos/garden/media', {}, 'HEAD');
    expect([head.status, head.headers['content-length'], head.body.length]).toEqual([200, String(file.length), 0]);

    const notYet = await rawGet(url, '/v1/videos/fresh/media');
    expect([notYet.status, json(notYet).error.code]).toEqual([404, 'MEDIA_NOT_READY']);
    expect((await rawGet(url, '/v1/videos/nope/media')).status).toBe(404);
  });

  it('GET /v1/videos/:id/subtitles.vtt is the transcript as WebVTT', async () => {
    const res = await rawGet(url, '/v1/videos/garden/subtitles.vtt');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/vtt/);
    const text = res.body.toString('utf8');
    expect(text.startsWith('WEBVTT')).toBe(true);
    for (const s of SENTENCES) expect(text).toContain(s);
  });

  it('GET /v1/search is hybrid with embeddings configured, filters by video, and refuses bad parameters', async () => {
    const res = json(await rawGet(url, `/v1/search?q=${encodeURIComponent('tomatoes grow')}&limit=3`));
    expect(res.mode).toBe('hybrid');
    expect(res.results.length).toBeGreaterThan(0);
    expect(res.results.length).toBeLessThanOrEqual(3);
    expect(res.results[0]).toMatchObject({ video_id: 'garden', kind: 'segment', text: SENTENCES[1] });
    expect(res.results[0].t_end).toBeGreaterThan(res.results[0].t_start);
    expect(json(await rawGet(url, '/v1/search?q=tomatoes&video=fresh')).results).toEqual([]);
    for (const [q, code] of [
      ['', 'INVALID_REQUEST'],
      ['q=', 'INVALID_REQUEST'],
      ['q=%20%20', 'INVALID_REQUEST'],
      ['q=x&limit=1000', 'INVALID_REQUEST'],
      ['q=x&video=..%2Fx', 'INVALID_ID'],
    ] as const) {
      const r = await rawGet(url, `/v1/search?${q}`);
      expect([r.status, json(r).error.code], q).toEqual([400, code]);
    }
  });

  it('other methods on read routes are 405', async () => {
    const r = await rawGet(url, '/v1/videos/garden', {}, 'PUT'); // DELETE deletes (lifecycle routes)
    expect([r.status, json(r).error.code]).toEqual([405, 'METHOD_NOT_ALLOWED']);
  });
});

describe('read API with a token', () => {
  let vq: Videoqa;
  let url: string;
  let closeApi: () => Promise<void>;
  beforeAll(async () => {
    vq = await createVideoqa({
      dataDir: tempDir('vq-read-auth-'),
      inMemory: true,
      databaseUrl: null,
      config: { openaiApiKey: fake.apiKey, openaiBaseUrl: fake.url },
    });
    await vq.store.saveVideo({ id: 'v1', originalPath: 'uploads/v1_x.mp4', status: 'pending' });
    const api = await startApiServer({
      db: vq.db,
      store: vq.store,
      config: { ...vq.config, apiToken: TOKEN },
      source: noQueue,
      port: 0,
    });
    url = api.url;
    closeApi = api.close;
  });
  afterAll(async () => {
    await closeApi();
    await vq.close();
  });

  it('needs the bearer token, or ?access_token= on GETs (for <video>, <img> and EventSource)', async () => {
    for (const path of [
      '/v1/videos',
      '/v1/videos/v1',
      '/v1/videos/v1/media',
      '/v1/videos/v1/frames/v1_frame_000',
      '/v1/search?q=x',
      '/v1/events',
    ]) {
      const anonymous = await rawGet(url, path);
      expect([anonymous.status, json(anonymous).error.code], path).toEqual([401, 'UNAUTHORIZED']);
      expect((await rawGet(url, path, { authorization: 'Bearer wrong-token-0123456' })).status, path).toBe(401);
    }
    expect((await rawGet(url, '/v1/videos', { authorization: `Bearer ${TOKEN}` })).status).toBe(200);
    expect((await rawGet(url, `/v1/videos/v1?access_token=${TOKEN}`)).status).toBe(200);
    expect((await rawGet(url, '/v1/videos/v1?access_token=nope')).status).toBe(401);
    // Not for requests that change things: a token in a URL ends up in logs and histories.
    const post = await fetch(`${url}/v1/ask?access_token=${TOKEN}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"question":"x"}',
    });
    expect(post.status).toBe(401);
  });
});
