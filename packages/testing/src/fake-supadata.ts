import { randomBytes } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, normalize, sep } from 'node:path';
import { decodeToPcm, detectSpeech } from './speech-regions.ts';

export interface FakeSupadataOptions {
  apiKey?: string;
  /** Answer with a job id (as Supadata does for long files) instead of the transcript. */
  asyncJobs?: boolean;
  /** Polls that report "active" before a job completes. */
  pollsUntilDone?: number;
  /** Texts for detected speech regions, in order. */
  transcriptScript?: string[];
}

interface FakeJob {
  polls: number;
  content?: { text: string; offset: number; duration: number; lang: string }[];
  error?: string;
}

/**
 * A local stand-in for Supadata's transcript API: GET /v1/transcript?url=...
 * (x-api-key auth) fetches the media from the URL, finds speech regions and
 * answers with `content` chunks in milliseconds, or with a job id to poll at
 * GET /v1/transcript/{jobId}.
 */
export class FakeSupadataServer {
  readonly apiKey: string;
  readonly requests: { path: string; url?: string; status: number }[] = [];
  private readonly server: Server;
  private readonly jobs = new Map<string, FakeJob>();
  private readonly options: FakeSupadataOptions;
  private port = 0;

  private constructor(options: FakeSupadataOptions) {
    this.options = options;
    this.apiKey = options.apiKey ?? `sd-${randomBytes(8).toString('hex')}`;
    this.server = createServer((req, res) => {
      const u = new URL(req.url ?? '/', 'http://x');
      const send = (status: number, body: unknown) => {
        this.requests.push({ path: u.pathname, url: u.searchParams.get('url') ?? undefined, status });
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (req.headers['x-api-key'] !== this.apiKey)
        return send(401, { error: 'unauthorized', message: 'Invalid or missing API key' });
      if (u.pathname === '/v1/transcript') {
        const media = u.searchParams.get('url');
        if (!media) return send(400, { error: 'invalid-request', message: 'url is required' });
        const transcribe = this.transcribe(media);
        if (this.options.asyncJobs) {
          const id = randomBytes(6).toString('hex');
          const job: FakeJob = { polls: 0 };
          this.jobs.set(id, job);
          transcribe.then((content) => (job.content = content)).catch((err: Error) => (job.error = err.message));
          return send(202, { jobId: id });
        }
        transcribe
          .then((content) => send(200, { content, lang: 'en', availableLangs: ['en'] }))
          .catch((err: Error) => send(400, { error: 'invalid-request', message: err.message }));
        return;
      }
      const m = /^\/v1\/transcript\/([\w-]+)$/.exec(u.pathname);
      if (m) {
        const job = this.jobs.get(m[1]!);
        if (!job) return send(404, { error: 'not-found', message: 'job not found' });
        job.polls++;
        if (job.error) return send(200, { status: 'failed', error: job.error });
        if (!job.content || job.polls <= (this.options.pollsUntilDone ?? 1))
          return send(200, { status: job.polls === 1 ? 'queued' : 'active' });
        return send(200, { status: 'completed', content: job.content, lang: 'en' });
      }
      send(404, { error: 'not-found', message: `no route ${u.pathname}` });
    });
  }

  static async start(options: FakeSupadataOptions = {}): Promise<FakeSupadataServer> {
    const s = new FakeSupadataServer(options);
    await new Promise<void>((resolve) => s.server.listen(0, '127.0.0.1', resolve));
    s.port = (s.server.address() as AddressInfo).port;
    return s;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/v1`;
  }

  private async transcribe(mediaUrl: string) {
    const res = await fetch(mediaUrl);
    if (!res.ok) throw new Error(`could not fetch ${mediaUrl}: HTTP ${res.status}`);
    const pcm = await decodeToPcm(new Uint8Array(await res.arrayBuffer()));
    return detectSpeech(pcm).map((r, i) => ({
      text: this.options.transcriptScript?.[i] ?? `speech ${i + 1}`,
      offset: Math.round(r.start * 1000),
      duration: Math.round((r.end - r.start) * 1000),
      lang: 'en',
    }));
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** Serves a directory read-only over HTTP on 127.0.0.1 (what SUPADATA_MEDIA_BASE_URL points at in tests). */
export async function serveDirectory(dir: string): Promise<{ url: string; close: () => Promise<void> }> {
  const root = normalize(dir);
  const server = createServer((req, res) => {
    const path = normalize(join(root, decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)));
    if (!path.startsWith(root + sep)) {
      res.writeHead(403).end();
      return;
    }
    try {
      const size = statSync(path).size;
      res.writeHead(200, { 'content-length': size, 'content-type': 'application/octet-stream' });
      createReadStream(path).pipe(res);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
