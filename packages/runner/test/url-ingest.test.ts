import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { loadConfig, type Config } from '@videoqa/core';
import { PostgresJobSource, startApiServer } from '@videoqa/runner';
import { downloadForVideo } from '../src/outbound/url-ingest.ts';
import { enqueueJob, getVideoSourceUrl, openDatabase, PgStore, type Db } from '@videoqa/storage-pg';
import { badInputs, createTestDatabase, makeVideo } from '@videoqa/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runCli, startCli, tempDir } from './helpers.ts';

/** A local web server with the shapes a video URL comes in, counting the requests it gets. */
interface MediaServer {
  url: string;
  hits: Map<string, number>;
  close(): Promise<void>;
}

async function startMediaServer(
  host: string,
  routes: Record<string, (req: IncomingMessage, res: ServerResponse, base: string) => void>,
): Promise<MediaServer> {
  const hits = new Map<string, number>();
  let base = '';
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const route =
      routes[path] ?? Object.entries(routes).find(([p]) => p.endsWith('*') && path.startsWith(p.slice(0, -1)))?.[1];
    if (!route) {
      res.writeHead(404).end('not found');
      return;
    }
    route(req, res, base);
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  base = `http://${host}:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

let videoBytes: Buffer;
let noise: Buffer;
let audioOnly: Buffer;
let media: MediaServer;
/** Listens on another loopback address: the target of a redirect the guard must refuse. */
let inner: MediaServer;
let dataDir: string;

const serve =
  (body: Buffer, type: string | null, withLength = true) =>
  (_req: IncomingMessage, res: ServerResponse) => {
    const headers: Record<string, string> = {};
    if (type) headers['content-type'] = type;
    if (withLength) headers['content-length'] = String(body.length);
    res.writeHead(200, headers);
    if (withLength) res.end(body);
    else {
      // chunked: the size is only known by counting
      for (let i = 0; i < body.length; i += 16_384) res.write(body.subarray(i, i + 16_384));
      res.end();
    }
  };

beforeAll(async () => {
  videoBytes = readFileSync(
    (await makeVideo({ shots: [{ source: 'testsrc2', seconds: 2 }], width: 320, height: 240, audio: { kind: 'tone' } }))
      .path,
  );
  audioOnly = readFileSync(await badInputs.audioOnly());
  noise = randomBytes(64 * 1024);
  inner = await startMediaServer('127.0.0.2', { '/secret': (_q, res) => res.end('internal') });
  media = await startMediaServer('127.0.0.1', {
    '/video.mp4': serve(videoBytes, 'video/mp4'),
    '/chunked.mp4': serve(videoBytes, 'video/mp4', false),
    '/untyped': serve(videoBytes, null),
    '/page.html': serve(Buffer.from('<html><body>a page about a video</body></html>'), 'text/html; charset=utf-8'),
    '/noise.bin': serve(noise, 'application/octet-stream'),
    '/sound.m4a': serve(audioOnly, 'application/octet-stream'),
    '/sound-typed.m4a': serve(audioOnly, 'audio/mp4'),
    '/slow.mp4': (_req, res) => {
      // headers and a first chunk, then nothing: only the timeout ends it
      res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': String(videoBytes.length) });
      res.write(videoBytes.subarray(0, 1000));
    },
    '/huge.mp4': (_req, res) => {
      res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': String(10 * 1024 ** 3) });
      res.write(videoBytes.subarray(0, 1000));
    },
    '/hop/*': (req, res) => {
      // /hop/N redirects N more times, then to the video
      const n = Number(req.url!.split('/').pop());
      res.writeHead(n > 0 ? 302 : 301, { location: n > 0 ? `/hop/${n - 1}` : '/video.mp4' }).end();
    },
    '/to-inner': (_req, res, _base) => res.writeHead(302, { location: `${inner.url}/secret` }).end(),
    '/to-file': (_req, res) => res.writeHead(302, { location: 'file:///etc/passwd' }).end(),
  });
  dataDir = tempDir('vq-ingest-');
});
afterAll(async () => {
  await media?.close();
  await inner?.close();
});

/** Waits for a state the system reaches on its own (a hang guard, not a timing assertion). */
async function until(probe: () => boolean, limitMs = 60_000): Promise<void> {
  const started = Date.now();
  while (!probe()) {
    if (Date.now() - started > limitMs) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 25));
  }
}

const configFor = (overrides: Record<string, unknown> = {}): Config =>
  loadConfig({ env: {}, overrides: { dataDir, ingestAllowPrivate: true, ingestTimeoutMs: 20_000, ...overrides } });

/** Every name in uploads/, temp files and download directories included. */
const uploadsListing = () => {
  try {
    return readdirSync(join(dataDir, 'uploads')).sort();
  } catch {
    return [];
  }
};

describe('downloadForVideo', () => {
  it('streams a video into uploads/{id}_{name}, checked by ffprobe', async () => {
    const { originalPath, result } = await downloadForVideo(`${media.url}/video.mp4?sig=abc`, 'dl1', configFor());
    expect(originalPath).toBe('uploads/dl1_video.mp4');
    expect(readFileSync(join(dataDir, originalPath)).equals(videoBytes)).toBe(true);
    expect(result).toMatchObject({ bytes: videoBytes.length, contentType: 'video/mp4', redirects: 0 });
    // chunked (no length) and untyped answers are fine too: the bytes and ffprobe decide
    expect((await downloadForVideo(`${media.url}/chunked.mp4`, 'dl2', configFor())).result.bytes).toBe(
      videoBytes.length,
    );
    expect((await downloadForVideo(`${media.url}/untyped`, 'dl3', configFor())).originalPath).toBe(
      'uploads/dl3_untyped.mp4',
    );
  });

  it('refuses over INGEST_MAX_BYTES, declared or counted, leaving no file', async () => {
    const before = uploadsListing();
    await expect(downloadForVideo(`${media.url}/huge.mp4`, 'big1', configFor())).rejects.toMatchObject({
      code: 'INGEST_TOO_LARGE',
      retryable: false,
    });
    await expect(
      downloadForVideo(`${media.url}/chunked.mp4`, 'big2', configFor({ ingestMaxBytes: 20_000 })),
    ).rejects.toMatchObject({
      code: 'INGEST_TOO_LARGE',
      message: expect.stringMatching(/went over INGEST_MAX_BYTES \(20000 bytes\)/),
    });
    expect(uploadsListing()).toEqual(before);
  });

  it('gives up after INGEST_TIMEOUT_MS on a server that stops sending, leaving no file', async () => {
    const before = uploadsListing();
    const err = await downloadForVideo(`${media.url}/slow.mp4`, 'slow', configFor({ ingestTimeoutMs: 1500 })).catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({
      code: 'INGEST_TIMEOUT',
      retryable: true,
      message: expect.stringMatching(/not downloaded within INGEST_TIMEOUT_MS \(1500 ms\)/),
    });
    expect(uploadsListing()).toEqual(before);
  });

  it('refuses what is not a video: a web page by its type, noise and audio alone by ffprobe', async () => {
    const before = uploadsListing();
    await expect(downloadForVideo(`${media.url}/page.html`, 'w1', configFor())).rejects.toMatchObject({
      code: 'INGEST_WRONG_TYPE',
      message: expect.stringMatching(/is text\/html, not a video/),
    });
    const noiseErr = await downloadForVideo(`${media.url}/noise.bin`, 'w2', configFor()).catch((e: Error) => e);
    expect(noiseErr).toMatchObject({ code: 'INVALID_MEDIA' });
    // the message names the URL, never the temp file
    expect((noiseErr as Error).message).toContain(`${media.url}/noise.bin`);
    expect((noiseErr as Error).message).not.toMatch(/\.tmp|vq-ingest-/);
    await expect(downloadForVideo(`${media.url}/sound.m4a`, 'w3', configFor())).rejects.toMatchObject({
      code: 'INVALID_MEDIA',
      message: expect.stringMatching(/audio-only/),
    });
    await expect(downloadForVideo(`${media.url}/sound-typed.m4a`, 'w4', configFor())).rejects.toMatchObject({
      code: 'INGEST_WRONG_TYPE',
      message: expect.stringMatching(/is audio\/mp4, not a video/),
    });
    expect(media.hits.get('/page.html')).toBe(1);
    expect(uploadsListing()).toEqual(before);
  });

  it('refuses loopback and private targets unless INGEST_ALLOW_PRIVATE=true', async () => {
    const before = media.hits.get('/video.mp4') ?? 0;
    for (const url of [
      `${media.url}/video.mp4`,
      `http://localhost:${new URL(media.url).port}/video.mp4`,
      `http://[::ffff:127.0.0.1]:${new URL(media.url).port}/video.mp4`,
    ]) {
      const err = await downloadForVideo(url, 'ssrf', configFor({ ingestAllowPrivate: false })).catch((e: Error) => e);
      expect(err, url).toMatchObject({
        code: 'URL_NOT_ALLOWED',
        retryable: false,
        message: expect.stringMatching(/loopback address.*server-side request forgery/),
      });
    }
    expect(media.hits.get('/video.mp4') ?? 0).toBe(before); // refused before any connection
    const allowed = await downloadForVideo(
      `${media.url}/video.mp4`,
      'ssrf_ok',
      configFor({ ingestAllowPrivate: true }),
    );
    expect(allowed.result.bytes).toBe(videoBytes.length);
    await expect(downloadForVideo('ftp://example.com/a.mp4', 'x', configFor())).rejects.toMatchObject({
      code: 'URL_NOT_ALLOWED',
    });
  });

  it('follows at most INGEST_MAX_REDIRECTS redirects', async () => {
    const ok = await downloadForVideo(`${media.url}/hop/2`, 'hops3', configFor({ ingestMaxRedirects: 3 }));
    expect(ok.result).toMatchObject({ redirects: 3, finalUrl: `${media.url}/video.mp4` });
    const before = uploadsListing();
    await expect(
      downloadForVideo(`${media.url}/hop/3`, 'hops4', configFor({ ingestMaxRedirects: 3 })),
    ).rejects.toMatchObject({
      code: 'INGEST_TOO_MANY_REDIRECTS',
      message: expect.stringMatching(/more than 3 redirect/),
    });
    await expect(
      downloadForVideo(`${media.url}/hop/0`, 'hops0', configFor({ ingestMaxRedirects: 0 })),
    ).rejects.toMatchObject({ code: 'INGEST_TOO_MANY_REDIRECTS' });
    expect(uploadsListing()).toEqual(before);
  });

  it('checks every redirect target: one to a private address is refused although the first host was allowed', async () => {
    // only the first server's address is opened (OUTBOUND_ALLOW_CIDRS); the redirect leads to 127.0.0.2
    const config = configFor({ ingestAllowPrivate: false, outboundAllowCidrs: '127.0.0.1/32' });
    expect((await downloadForVideo(`${media.url}/video.mp4`, 'cidr_ok', config)).result.bytes).toBe(videoBytes.length);
    const err = await downloadForVideo(`${media.url}/to-inner`, 'inner', config).catch((e: Error) => e);
    expect(err).toMatchObject({
      code: 'URL_NOT_ALLOWED',
      message: expect.stringMatching(/refused to connect to 127\.0\.0\.2/),
    });
    expect(inner.hits.get('/secret') ?? 0).toBe(0);
    await expect(downloadForVideo(`${media.url}/to-file`, 'tofile', config)).rejects.toMatchObject({
      code: 'URL_NOT_ALLOWED',
      message: expect.stringMatching(/redirect target must start with http/),
    });
    expect(media.hits.get('/to-inner')).toBe(1);
  });
});

describe('URL ingest through the CLI and the job API', () => {
  let dbInfo: { url: string; drop: () => Promise<void> };
  let db: Db;
  beforeAll(async () => {
    dbInfo = await createTestDatabase(inject('pgUrl'));
    db = await openDatabase({ databaseUrl: dbInfo.url });
  });
  afterAll(async () => {
    await db?.close();
    await dbInfo?.drop();
  });

  it('enqueue <url> downloads, stores the URL on the video and enqueues; a refused URL is one line and exit 4', async () => {
    const dir = tempDir('vq-ingest-cli-');
    const env = { DATABASE_URL: dbInfo.url, DATA_DIR: dir, INGEST_ALLOW_PRIVATE: 'true' };
    const url = `${media.url}/video.mp4?token=t1`;
    const ok = await runCli(['enqueue', url, '--id', 'fromurl', '--json'], env);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({
      video_id: 'fromurl',
      original_path: 'uploads/fromurl_video.mp4',
      source_url: url,
    });
    expect(await getVideoSourceUrl(db, 'fromurl')).toBe(url);
    expect(readdirSync(join(dir, 'uploads'))).toEqual(['fromurl_video.mp4']); // the download directory is gone

    const refused = await runCli(['enqueue', `${media.url}/video.mp4`], { ...env, INGEST_ALLOW_PRIVATE: 'false' });
    expect(refused.code).toBe(4);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toMatch(
      /^videoqa: URL_NOT_ALLOWED: refused to connect to 127\.0\.0\.1: it is a loopback address/,
    );
    const wrong = await runCli(['process', `${media.url}/page.html`], env);
    expect(wrong.code).toBe(4);
    expect(wrong.stderr).toMatch(
      /^downloading http:\/\/127\.0\.0\.1:\d+\/page\.html\nvideoqa: INGEST_WRONG_TYPE: .* is text\/html, not a video/,
    );
    expect(readdirSync(join(dir, 'uploads'))).toEqual(['fromurl_video.mp4']);
  });

  it('process <url> runs the pipeline on the download and records where it came from', async () => {
    const dir = tempDir('vq-ingest-proc-');
    const url = `${media.url}/hop/1`;
    const res = await runCli(['process', url, '--json', '--stages', 'normalize'], {
      DATABASE_URL: dbInfo.url,
      DATA_DIR: dir,
      INGEST_ALLOW_PRIVATE: 'true',
    });
    expect(res.code).toBe(0);
    const summary = JSON.parse(res.stdout);
    expect(summary).toMatchObject({ status: 'ready', original_path: `uploads/${summary.video_id}_1.mp4` });
    expect(summary.duration_sec).toBeGreaterThan(1.5);
    expect(await getVideoSourceUrl(db, summary.video_id)).toBe(url);
    expect(readdirSync(join(dir, 'uploads'))).toEqual([`${summary.video_id}_1.mp4`]);
  });

  it('Ctrl-C during a download stops it and leaves nothing in uploads/', async () => {
    const dir = tempDir('vq-ingest-int-');
    const cli = startCli(['process', `${media.url}/slow.mp4`], {
      DATABASE_URL: dbInfo.url,
      DATA_DIR: dir,
      INGEST_ALLOW_PRIVATE: 'true',
    });
    await cli.waitFor(/downloading http/);
    // the download directory exists while the transfer hangs
    await until(() => {
      try {
        return readdirSync(join(dir, 'uploads')).some((n) => n.startsWith('.ingest-'));
      } catch {
        return false; // not created yet
      }
    });
    cli.child.kill('SIGINT');
    expect(await cli.exited).toBe(1);
    expect(cli.output()).toMatch(/videoqa: ABORTED: download aborted/);
    expect(readdirSync(join(dir, 'uploads'))).toEqual([]);
  });

  it('POST /v1/jobs {"url"} downloads before enqueueing and answers refusals with a 4xx/5xx code', async () => {
    const dir = tempDir('vq-ingest-api-');
    const config = loadConfig({
      env: {},
      overrides: { dataDir: dir, databaseUrl: dbInfo.url, ingestAllowPrivate: true, ingestTimeoutMs: 1500 },
    });
    const source = Object.assign(new PostgresJobSource(db, config), {
      enqueue: (o: Parameters<typeof enqueueJob>[1]) => enqueueJob(db, o),
    });
    const api = await startApiServer({ db, store: new PgStore(db), config, source, port: 0 });
    const strict = await startApiServer({
      db,
      store: new PgStore(db),
      config: { ...config, ingestAllowPrivate: false },
      source,
      port: 0,
    });
    const post = (base: string, body: unknown) =>
      fetch(`${base}/v1/jobs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    try {
      const created = await post(api.url, { url: `${media.url}/video.mp4`, video_id: 'apiurl', kind: 'process' });
      expect(created.status).toBe(201);
      expect(await created.json()).toMatchObject({ video_id: 'apiurl', status: 'pending', kind: 'process' });
      expect(await getVideoSourceUrl(db, 'apiurl')).toBe(`${media.url}/video.mp4`);
      expect(readFileSync(join(dir, 'uploads/apiurl_video.mp4')).length).toBe(videoBytes.length);

      const cases: [string, unknown, number, string][] = [
        [api.url, { url: `${media.url}/page.html` }, 415, 'INGEST_WRONG_TYPE'],
        [api.url, { url: `${media.url}/noise.bin` }, 400, 'INVALID_MEDIA'],
        [api.url, { url: `${media.url}/hop/9` }, 502, 'INGEST_TOO_MANY_REDIRECTS'],
        [api.url, { url: `${media.url}/missing.mp4` }, 502, 'INGEST_HTTP_STATUS'],
        [api.url, { url: `${media.url}/slow.mp4` }, 504, 'INGEST_TIMEOUT'],
        [api.url, { url: 'file:///etc/passwd' }, 400, 'URL_NOT_ALLOWED'],
        [api.url, { url: `${media.url}/video.mp4`, path: 'uploads/x.mp4' }, 400, 'INVALID_REQUEST'],
        [api.url, {}, 400, 'INVALID_REQUEST'],
        [strict.url, { url: `${media.url}/video.mp4` }, 400, 'URL_NOT_ALLOWED'],
      ];
      for (const [base, body, status, code] of cases) {
        const res = await post(base, body);
        expect({ body, status: res.status }).toEqual({ body, status });
        expect((await res.json()) as { error: { code: string } }).toMatchObject({ error: { code } });
      }
      expect(readdirSync(join(dir, 'uploads'))).toEqual(['apiurl_video.mp4']);
    } finally {
      await api.close();
      await strict.close();
    }
  });
});
