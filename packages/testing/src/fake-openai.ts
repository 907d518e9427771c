import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { ChaptersMode } from './fake-chapters.ts';
import type { AskMode } from './fake-openai/chat-ask.ts';
import { chat } from './fake-openai/chat.ts';
import { streamChat } from './fake-openai/chat-stream.ts';
import { embeddings } from './fake-openai/embeddings.ts';
import { HttpError } from './fake-openai/http-error.ts';
import { listModels } from './fake-openai/models.ts';
import { type MultipartBody, readJson, readMultipart } from './fake-openai/request-body.ts';
import { transcribe } from './fake-openai/transcriptions.ts';
import type {
  FakeOpenAIOptions,
  FakeRoute,
  Fault,
  Malformed,
  RecordedRequest,
  RouteContext,
} from './fake-openai/types.ts';

// The server core: HTTP, auth, injected faults, latency, the request log and concurrency
// peaks. What each route answers lives in fake-openai/ (one module per route), so a
// test's expectations about, say, embeddings can be read in one small file.
export type { AskMode } from './fake-openai/chat-ask.ts';
export { MAX_AUDIO_BYTES } from './fake-openai/request-body.ts';
export type { FakeOpenAIOptions, FakeRoute, Fault, RecordedRequest } from './fake-openai/types.ts';

/** Size of the local mode's embeddings (nomic-embed-text and many others are 768). */
export const LOCAL_EMBEDDING_DIMENSIONS = 768;

const ROUTES: Record<string, FakeRoute> = {
  '/v1/audio/transcriptions': 'transcriptions',
  '/v1/chat/completions': 'chat',
  '/v1/embeddings': 'embeddings',
  '/v1/models': 'models',
};

const perRoute = <T>(value: T): Record<FakeRoute, T> => ({
  transcriptions: value,
  chat: value,
  embeddings: value,
  models: value,
});

/**
 * An OpenAI-compatible HTTP server for tests and benchmarks. It checks requests
 * the way the real API does (auth, models, strict JSON schemas, image inputs,
 * the 25 MB audio limit, embedding input limits), answers deterministically
 * (speech regions found in the audio; captions from the image's colours;
 * hashing embeddings where similar texts get similar vectors), records every
 * request, and can be told to be slow, rate-limited, broken or silent.
 *
 * It is stricter than the real API in one way: a wrong key is echoed back in
 * full in the 401 message, so tests can prove videoqa never logs it.
 */
export class FakeOpenAIServer {
  readonly apiKey: string;
  readonly requests: RecordedRequest[] = [];
  private readonly server: Server;
  private readonly faults: Record<FakeRoute, Fault[]> = { transcriptions: [], chat: [], embeddings: [], models: [] };
  private readonly latency: Partial<Record<FakeRoute, number>>;
  private readonly inFlight = perRoute(0);
  private readonly peak = perRoute(0);
  private readonly sockets = new Set<Socket>();
  private readonly options: FakeOpenAIOptions;
  private port = 0;
  private askMode: AskMode;
  private chaptersMode: ChaptersMode;

  /** The local-server mode, when on. */
  get local(): { embeddingDimensions: number } | undefined {
    const l = this.options.local;
    if (!l) return undefined;
    return {
      embeddingDimensions: (typeof l === 'object' ? l.embeddingDimensions : undefined) ?? LOCAL_EMBEDDING_DIMENSIONS,
    };
  }

  private constructor(options: FakeOpenAIOptions) {
    this.options = options;
    this.apiKey = options.apiKey ?? `sk-test-${randomBytes(12).toString('hex')}`;
    this.latency = { ...options.latencyMs };
    this.askMode = options.askMode ?? 'grounded';
    this.chaptersMode = options.chaptersMode ?? 'faithful';
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  static async start(options: FakeOpenAIOptions = {}): Promise<FakeOpenAIServer> {
    const s = new FakeOpenAIServer(options);
    await new Promise<void>((resolve) => s.server.listen(options.port ?? 0, '127.0.0.1', resolve));
    s.port = (s.server.address() as AddressInfo).port;
    return s;
  }

  /** Base URL for the openai SDK (OPENAI_BASE_URL). */
  get url(): string {
    return `http://127.0.0.1:${this.port}/v1`;
  }

  inject(route: FakeRoute, fault: Fault): void {
    this.faults[route].push({ times: 1, ...fault });
  }

  /** Changes how grounded-answer requests are answered from now on. */
  setAskMode(mode: AskMode): void {
    this.askMode = mode;
  }

  /** Changes how chapters requests are answered from now on. */
  setChaptersMode(mode: ChaptersMode): void {
    this.chaptersMode = mode;
  }

  setLatency(route: FakeRoute, ms: number): void {
    this.latency[route] = ms;
  }

  /** Most requests of a route that were in flight at the same time. */
  maxConcurrent(route: FakeRoute): number {
    return this.peak[route];
  }

  requestsFor(route: FakeRoute): RecordedRequest[] {
    return this.requests.filter((r) => r.route === route);
  }

  reset(): void {
    this.requests.length = 0;
    for (const r of Object.keys(this.faults) as FakeRoute[]) {
      this.faults[r] = [];
      this.peak[r] = 0;
    }
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private takeFault(route: FakeRoute): Fault | undefined {
    const f = this.faults[route][0];
    if (!f) return undefined;
    f.times = (f.times ?? 1) - 1;
    if (f.times <= 0) this.faults[route].shift();
    return f;
  }

  /** What the route handlers see of the server, read per request since the modes can change. */
  private context(): RouteContext {
    return {
      local: this.local,
      ffmpegPath: this.options.ffmpegPath,
      transcriptScript: this.options.transcriptScript,
      askMode: this.askMode,
      chaptersMode: this.chaptersMode,
    };
  }

  /**
   * One request, in the real API's order: the body is read (and size-checked) first,
   * then the latency, then auth, then an injected fault, then the route's answer.
   */
  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!;
    const route: FakeRoute | undefined = ROUTES[path];
    if (!route)
      return this.send(res, 404, {
        error: {
          message: `Unknown request URL: ${req.method} ${path}`,
          type: 'invalid_request_error',
          code: 'unknown_url',
          param: null,
        },
      });
    const auth = req.headers.authorization ?? '';
    const record: RecordedRequest = {
      route,
      method: req.method ?? 'GET',
      path,
      status: 0,
      startedAt: Date.now(),
      endedAt: 0,
      authorization: auth === `Bearer ${this.apiKey}` ? 'ok' : auth ? 'wrong' : 'missing',
    };
    this.requests.push(record);
    this.inFlight[route]++;
    this.peak[route] = Math.max(this.peak[route], this.inFlight[route]);
    const finish = (status: number) => {
      record.status = status;
      record.endedAt = Date.now();
      this.inFlight[route]--;
    };
    try {
      const body = await this.readRequest(route, req, record);
      const latency = this.latency[route] ?? 0;
      if (latency > 0) await new Promise((r) => setTimeout(r, latency));
      if (record.authorization !== 'ok' && !this.local) {
        const given = auth.replace(/^Bearer\s+/i, '');
        throw new HttpError(
          401,
          given
            ? `Incorrect API key provided: ${given}. You can find your API key at https://platform.openai.com/account/api-keys.`
            : 'You did not provide an API key.',
          'invalid_request_error',
          'invalid_api_key',
        );
      }
      const fault = this.takeFault(route);
      if (fault?.hang) {
        finish(0);
        return; // leave the socket open; the client times out
      }
      if (fault?.reset) {
        finish(0);
        req.socket.destroy();
        return;
      }
      if (fault?.status) {
        finish(fault.status);
        return this.sendFault(res, fault.status, fault.retryAfter);
      }
      const result = await this.answer(route, body, record, fault?.malformed);
      finish(200);
      if (route === 'chat' && (body as { stream?: unknown }).stream === true && typeof result !== 'string') {
        record.stream = true;
        return streamChat(
          res,
          result as Awaited<ReturnType<typeof chat>>,
          Boolean((body as { stream_options?: { include_usage?: boolean } }).stream_options?.include_usage),
        );
      }
      if (typeof result === 'string') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(result);
      } else this.send(res, 200, result);
    } catch (err) {
      const e = err instanceof HttpError ? err : new HttpError(500, (err as Error).message, 'server_error');
      finish(e.status);
      this.send(res, e.status, { error: { message: e.message, type: e.type, code: e.code, param: e.param } });
    }
  }

  /** An injected error status, typed the way OpenAI types it (429 rate limit, 5xx server error). */
  private sendFault(res: ServerResponse, status: number, retryAfter: number | undefined): void {
    const headers: Record<string, string> = retryAfter !== undefined ? { 'retry-after': String(retryAfter) } : {};
    const type = status === 429 ? 'rate_limit_exceeded' : status >= 500 ? 'server_error' : 'invalid_request_error';
    const error = {
      message: `Injected ${status}`,
      type,
      code: status === 429 ? 'rate_limit_exceeded' : null,
      param: null,
    };
    this.send(res, status, { error }, headers);
  }

  private send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    if (res.headersSent || res.destroyed) return;
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  }

  private async readRequest(route: FakeRoute, req: IncomingMessage, record: RecordedRequest): Promise<unknown> {
    if (route === 'models') return null;
    if (route === 'transcriptions') return readMultipart(req, record);
    return readJson(req, record);
  }

  /** The route's answer; a 'json' fault answers 200 with a body that is not JSON, whatever the route. */
  private async answer(
    route: FakeRoute,
    body: unknown,
    record: RecordedRequest,
    malformed?: Malformed,
  ): Promise<unknown> {
    if (malformed === 'json') return '{"this is": not json';
    const ctx = this.context();
    switch (route) {
      case 'models':
        return listModels();
      case 'transcriptions':
        return transcribe(body as MultipartBody, ctx, malformed, record);
      case 'chat':
        return chat(body as Record<string, unknown>, record, ctx, malformed);
      case 'embeddings':
        return embeddings(body as Record<string, unknown>, record, ctx, malformed);
    }
  }
}
