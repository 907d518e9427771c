import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import busboy from 'busboy';
import sharp from 'sharp';
import { answerChapters, chaptersRequest, type ChaptersMode } from './fake-chapters.ts';
import { diarize, medianPitchHz, type KnownVoice } from './fake-diarize.ts';
import { hashingEmbedding, tokens } from './hashing-embeddings.ts';
import { decodeToPcm, detectSpeech, PCM_RATE } from './speech-regions.ts';

export type FakeRoute = 'transcriptions' | 'chat' | 'embeddings' | 'models';

/** A failure to inject into the next request(s) of a route. */
export interface Fault {
  /** HTTP status to answer with (429, 500, 400, 401...). */
  status?: number;
  /** Retry-After header, in seconds. */
  retryAfter?: number;
  /** Answer 200 with a body that is not what the API promises (bad JSON, or schema-violating content). */
  malformed?: 'json' | 'schema';
  /** Never answer (the client's timeout fires). */
  hang?: boolean;
  /** Close the connection without an answer. */
  reset?: boolean;
  /** How many requests this fault applies to (default 1). */
  times?: number;
}

export interface RecordedRequest {
  route: FakeRoute;
  method: string;
  path: string;
  status: number;
  startedAt: number;
  endedAt: number;
  /** What the request carried, summarised (never the API key). */
  model?: string;
  fileName?: string;
  fileBytes?: number;
  imageCount?: number;
  imageBytes?: number;
  inputs?: string[];
  encodingFormat?: string;
  responseFormat?: string;
  /** Chat requests: the text of each message, in order. */
  messages?: { role: string; content: string }[];
  /** Transcription requests: the known_speaker_names[] sent, and chunking_strategy. */
  knownSpeakerNames?: string[];
  chunkingStrategy?: string;
  /** Chat requests: whether the reply was streamed (stream: true). */
  stream?: boolean;
  authorization: 'ok' | 'missing' | 'wrong';
}

export interface FakeOpenAIOptions {
  apiKey?: string;
  /** Added to every request of a route, in ms. */
  latencyMs?: Partial<Record<FakeRoute, number>>;
  /** Texts given to detected speech regions, in order (default: a description of each region). */
  transcriptScript?: string[];
  /** How grounded-answer (ask) requests are answered; default 'grounded'. */
  askMode?: AskMode;
  /** How chapters requests are answered; default 'faithful'. */
  chaptersMode?: ChaptersMode;
  ffmpegPath?: string;
  /** Port on 127.0.0.1 (default: any free port). */
  port?: number;
  /**
   * Behave like a local OpenAI-compatible server (Ollama, vLLM, LocalAI, a speech
   * server): no auth (any or no key), any model name, no strict json_schema (400),
   * no verbose_json (400), no base64 embeddings (400), `dimensions` ignored and
   * embeddings of `local.embeddingDimensions` (default 768).
   */
  local?: boolean | { embeddingDimensions?: number };
}

/** Size of the local mode's embeddings (nomic-embed-text and many others are 768). */
export const LOCAL_EMBEDDING_DIMENSIONS = 768;

/**
 * How the fake answers a grounded-answer request (a chat completion whose user
 * message is a JSON object with a question and passages):
 * - grounded: from the passage sharing most words with the question, quoting its best sentence, with its id;
 * - not_found: found false, no citations, whatever the passages say;
 * - invalid_citations: the grounded reply plus three bad citations (unknown id, times outside the passage, a quote not in it);
 * - obey_injection: a model that falls for instructions in passage text: when a passage says
 *   "ignore ... instructions", it answers with the system prompt, cites a made-up passage and adds a field.
 */
export type AskMode = 'grounded' | 'not_found' | 'invalid_citations' | 'obey_injection';

/** Words of a question that say nothing about its subject. */
const QUESTION_WORDS = new Set([
  'what',
  'who',
  'whom',
  'when',
  'where',
  'which',
  'why',
  'how',
  'doe',
  'do',
  'did',
  'video',
  'say',
  'said',
  'show',
  'shown',
  'mention',
  'tell',
  'about',
  'there',
  'any',
]);

interface AskPassage {
  id: string;
  video?: string;
  start: number;
  end: number;
  text: string;
  scene_caption?: string;
}

export const MAX_AUDIO_BYTES = 25 * 1024 * 1024;
const TRANSCRIPTION_MODELS = new Set([
  'whisper-1',
  'gpt-4o-transcribe',
  'gpt-4o-mini-transcribe',
  'gpt-4o-transcribe-diarize',
]);
const DIARIZE_MODEL = 'gpt-4o-transcribe-diarize';
const CHAT_MODELS = new Set(['gpt-4o', 'gpt-4o-mini', 'gpt-4.1', 'gpt-4.1-mini', 'gpt-5', 'gpt-5-mini']);
const EMBEDDING_MODELS: Record<string, number> = {
  'text-embedding-3-small': 1536,
  'text-embedding-3-large': 3072,
  'text-embedding-ada-002': 1536,
};
const MAX_EMBEDDING_INPUTS = 2048;
const MAX_EMBEDDING_TOKENS = 8192;

interface ChatCompletion {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: {
    index: number;
    message: { role: 'assistant'; content: string; refusal: null };
    finish_reason: string;
    logprobs: null;
  }[];
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}

const clock = (s: number) =>
  `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(Math.floor(s % 60)).padStart(2, '0')}`;

/** A grounded-answer request: the user message is JSON with a question and passages. */
function askRequest(
  messages: { role: string; content: string }[],
): { question: string; passages: AskPassage[]; system: string } | undefined {
  const user = messages.filter((m) => m.role === 'user').at(-1);
  if (!user) return undefined;
  try {
    const body = JSON.parse(user.content) as { question?: unknown; passages?: unknown };
    if (typeof body.question !== 'string' || !Array.isArray(body.passages)) return undefined;
    return {
      question: body.question,
      passages: body.passages as AskPassage[],
      system: messages
        .filter((m) => m.role === 'system')
        .map((m) => m.content)
        .join('\n'),
    };
  } catch {
    return undefined;
  }
}

class HttpError extends Error {
  readonly status: number;
  readonly type: string;
  readonly code: string | null;
  readonly param: string | null;
  constructor(
    status: number,
    message: string,
    type = 'invalid_request_error',
    code: string | null = null,
    param: string | null = null,
  ) {
    super(message);
    this.status = status;
    this.type = type;
    this.code = code;
    this.param = param;
  }
}

type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean;
  items?: JsonSchema;
  enum?: unknown[];
  anyOf?: JsonSchema[];
  $ref?: string;
  definitions?: Record<string, JsonSchema>;
  $defs?: Record<string, JsonSchema>;
  minimum?: number;
};

/** Rejects schemas the real structured-outputs API rejects in strict mode. */
function checkStrictSchema(schema: JsonSchema, path = '$'): void {
  if (schema.anyOf) {
    schema.anyOf.forEach((s, i) => {
      checkStrictSchema(s, `${path}.anyOf[${i}]`);
    });
    return;
  }
  if (schema.$ref) return;
  const types = Array.isArray(schema.type) ? schema.type : [schema.type];
  if (types.includes('object')) {
    const props = Object.keys(schema.properties ?? {});
    if (schema.additionalProperties !== false)
      throw new HttpError(
        400,
        `Invalid schema for response_format: In context=${path}, 'additionalProperties' is required to be supplied and to be false.`,
      );
    const required = new Set(schema.required ?? []);
    const missing = props.filter((p) => !required.has(p));
    if (missing.length > 0)
      throw new HttpError(
        400,
        `Invalid schema for response_format: In context=${path}, 'required' is required to be supplied and to be an array including every key in properties. Missing '${missing[0]}'.`,
      );
    for (const [k, v] of Object.entries(schema.properties ?? {})) checkStrictSchema(v, `${path}.${k}`);
  }
  if (types.includes('array') && schema.items) checkStrictSchema(schema.items, `${path}[]`);
}

/** The JSON Schema a json_object request states in its prompt (the last JSON object after "JSON Schema"), if any. */
function schemaFromPrompt(messages: { role: string; content: string }[]): JsonSchema | undefined {
  for (const m of messages) {
    if (m.role !== 'system' || !/JSON Schema/i.test(m.content)) continue;
    const start = m.content.indexOf('{', m.content.search(/JSON Schema/i));
    if (start < 0) continue;
    try {
      return JSON.parse(m.content.slice(start)) as JsonSchema;
    } catch {
      /* not a bare schema: keep looking */
    }
  }
  return undefined;
}

/** Builds a value that satisfies the schema, filling strings from `fill`. */
function instance(schema: JsonSchema, root: JsonSchema, fill: (path: string) => unknown, path = ''): unknown {
  if (schema.$ref) {
    const name = schema.$ref.split('/').pop()!;
    return instance((root.$defs ?? root.definitions)?.[name] ?? {}, root, fill, path);
  }
  if (schema.anyOf) return instance(schema.anyOf.find((s) => s.type !== 'null') ?? schema.anyOf[0]!, root, fill, path);
  const custom = fill(path);
  if (custom !== undefined) return custom;
  if (schema.enum) return schema.enum[0];
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
  switch (type) {
    case 'object':
      return Object.fromEntries(
        Object.entries(schema.properties ?? {}).map(([k, v]) => [
          k,
          instance(v, root, fill, path ? `${path}.${k}` : k),
        ]),
      );
    case 'array':
      return schema.items ? [instance(schema.items, root, fill, `${path}[]`)] : [];
    case 'integer':
    case 'number':
      return Math.max(0, schema.minimum ?? 0);
    case 'boolean':
      return false;
    case 'null':
      return null;
    default:
      return `${path || 'value'}`;
  }
}

const COLOUR_NAMES: [string, [number, number, number]][] = [
  ['black', [0, 0, 0]],
  ['white', [255, 255, 255]],
  ['grey', [128, 128, 128]],
  ['red', [220, 30, 30]],
  ['green', [30, 160, 60]],
  ['blue', [30, 60, 220]],
  ['yellow', [230, 220, 40]],
  ['magenta', [200, 40, 200]],
  ['cyan', [40, 200, 220]],
  ['orange', [240, 140, 30]],
];

/** A deterministic description of an image: its dominant colour and brightness. */
async function describeImage(
  image: Buffer,
): Promise<{ colour: string; brightness: number; width: number; height: number }> {
  const stats = await sharp(image).stats();
  const meta = await sharp(image).metadata();
  const mean = stats.channels.slice(0, 3).map((c) => c.mean) as [number, number, number];
  const [colour] = COLOUR_NAMES.reduce((best, cur) => {
    const d = (c: [number, number, number]) => (c[0] - mean[0]) ** 2 + (c[1] - mean[1]) ** 2 + (c[2] - mean[2]) ** 2;
    return d(cur[1]) < d(best[1]) ? cur : best;
  });
  return {
    colour,
    brightness: Math.round(((mean[0] + mean[1] + mean[2]) / 3 / 255) * 100),
    width: meta.width ?? 0,
    height: meta.height ?? 0,
  };
}

async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new HttpError(413, `Request too large: ${size} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

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
  private readonly inFlight: Record<FakeRoute, number> = { transcriptions: 0, chat: 0, embeddings: 0, models: 0 };
  private readonly peak: Record<FakeRoute, number> = { transcriptions: 0, chat: 0, embeddings: 0, models: 0 };
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

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!;
    const route: FakeRoute | undefined =
      path === '/v1/audio/transcriptions'
        ? 'transcriptions'
        : path === '/v1/chat/completions'
          ? 'chat'
          : path === '/v1/embeddings'
            ? 'embeddings'
            : path === '/v1/models'
              ? 'models'
              : undefined;
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
        const headers: Record<string, string> =
          fault.retryAfter !== undefined ? { 'retry-after': String(fault.retryAfter) } : {};
        const type =
          fault.status === 429 ? 'rate_limit_exceeded' : fault.status >= 500 ? 'server_error' : 'invalid_request_error';
        finish(fault.status);
        return this.send(
          res,
          fault.status,
          {
            error: {
              message: `Injected ${fault.status}`,
              type,
              code: fault.status === 429 ? 'rate_limit_exceeded' : null,
              param: null,
            },
          },
          headers,
        );
      }
      const result = await this.answer(route, body, record, fault?.malformed);
      finish(200);
      if (route === 'chat' && (body as { stream?: unknown }).stream === true && typeof result !== 'string') {
        record.stream = true;
        return this.streamChat(
          res,
          result as ChatCompletion,
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

  /**
   * A completion as OpenAI streams it: Server-Sent Events of chat.completion.chunk
   * objects (role first, then the content in small pieces, then the finish
   * reason, then usage when asked for), ending with `data: [DONE]`.
   */
  private streamChat(res: ServerResponse, completion: ChatCompletion, includeUsage: boolean): void {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    const chunk = (delta: Record<string, unknown>, finish: string | null, extra: Record<string, unknown> = {}) => {
      const body = {
        id: completion.id,
        object: 'chat.completion.chunk',
        created: completion.created,
        model: completion.model,
        choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
        ...extra,
      };
      res.write(`data: ${JSON.stringify(body)}\n\n`);
    };
    const content = completion.choices[0]!.message.content;
    chunk({ role: 'assistant', content: '', refusal: null }, null);
    // Pieces of about a word, as a model emits tokens.
    for (const piece of content.match(/\s*\S{1,12}/g) ?? []) chunk({ content: piece }, null);
    chunk({}, 'stop');
    if (includeUsage)
      res.write(
        `data: ${JSON.stringify({ id: completion.id, object: 'chat.completion.chunk', created: completion.created, model: completion.model, choices: [], usage: completion.usage })}\n\n`,
      );
    res.end('data: [DONE]\n\n');
  }

  private send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    if (res.headersSent || res.destroyed) return;
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  }

  private async readRequest(route: FakeRoute, req: IncomingMessage, record: RecordedRequest): Promise<unknown> {
    if (route === 'models') return null;
    if (route === 'transcriptions') return this.readMultipart(req, record);
    const raw = await readBody(req, 50 * 1024 * 1024);
    let json: Record<string, unknown>;
    try {
      json = JSON.parse(raw.toString('utf8'));
    } catch {
      throw new HttpError(400, 'We could not parse the JSON body of your request.');
    }
    record.model = typeof json.model === 'string' ? json.model : undefined;
    return json;
  }

  private readMultipart(
    req: IncomingMessage,
    record: RecordedRequest,
  ): Promise<{ fields: Record<string, string[]>; file?: Buffer }> {
    return new Promise((resolve, reject) => {
      if (!/multipart\/form-data/.test(req.headers['content-type'] ?? ''))
        return reject(new HttpError(400, 'Expected multipart/form-data'));
      const fields: Record<string, string[]> = {};
      let file: Buffer | undefined;
      let tooLarge = false;
      const bb = busboy({ headers: req.headers, limits: { fileSize: MAX_AUDIO_BYTES } });
      bb.on('field', (name, value) => (fields[name] ??= []).push(value));
      bb.on('file', (_name, stream, info) => {
        record.fileName = info.filename;
        const parts: Buffer[] = [];
        stream.on('data', (d: Buffer) => parts.push(d));
        stream.on('limit', () => (tooLarge = true));
        stream.on('end', () => {
          file = Buffer.concat(parts);
          record.fileBytes = file.length + (tooLarge ? 1 : 0);
        });
      });
      bb.on('error', (e) => reject(new HttpError(400, `Malformed multipart body: ${(e as Error).message}`)));
      bb.on('close', () => {
        record.model = fields.model?.[0];
        record.responseFormat = fields.response_format?.[0];
        if (tooLarge)
          return reject(
            new HttpError(
              413,
              `Maximum content size limit (${MAX_AUDIO_BYTES}) exceeded.`,
              'invalid_request_error',
              'file_too_large',
            ),
          );
        resolve({ fields, file });
      });
      req.pipe(bb);
    });
  }

  private async answer(
    route: FakeRoute,
    body: unknown,
    record: RecordedRequest,
    malformed?: 'json' | 'schema',
  ): Promise<unknown> {
    if (malformed === 'json') return '{"this is": not json';
    switch (route) {
      case 'models':
        return {
          object: 'list',
          data: [...TRANSCRIPTION_MODELS, ...CHAT_MODELS, ...Object.keys(EMBEDDING_MODELS)].map((id) => ({
            id,
            object: 'model',
            created: 0,
            owned_by: 'fake',
          })),
        };
      case 'transcriptions':
        return this.transcribe(body as { fields: Record<string, string[]>; file?: Buffer }, malformed, record);
      case 'chat':
        return this.chat(body as Record<string, unknown>, record, malformed);
      case 'embeddings':
        return this.embeddings(body as Record<string, unknown>, record, malformed);
    }
  }

  private async transcribe(
    body: { fields: Record<string, string[]>; file?: Buffer },
    malformed?: 'json' | 'schema',
    record?: RecordedRequest,
  ): Promise<unknown> {
    const model = body.fields.model?.[0];
    if (!model) throw new HttpError(400, 'you must provide a model parameter', 'invalid_request_error', null, 'model');
    if (!TRANSCRIPTION_MODELS.has(model) && !this.local)
      throw new HttpError(400, `Invalid model ${model}`, 'invalid_request_error', 'model_not_found', 'model');
    if (!body.file || body.file.length === 0)
      throw new HttpError(400, 'Missing file', 'invalid_request_error', null, 'file');
    const format = body.fields.response_format?.[0] ?? 'json';
    if (this.local && format === 'verbose_json')
      throw new HttpError(400, "response_format 'verbose_json' is not supported by this server; use json or text");
    if (format === 'verbose_json' && model !== 'whisper-1')
      throw new HttpError(400, `response_format 'verbose_json' is not compatible with model '${model}'`);
    // The rules of gpt-4o-transcribe-diarize, as the openai SDK's types document them.
    if (format === 'diarized_json' && model !== DIARIZE_MODEL)
      throw new HttpError(
        400,
        `response_format 'diarized_json' is only supported by ${DIARIZE_MODEL}`,
        'invalid_request_error',
        null,
        'response_format',
      );
    const diarizing = model === DIARIZE_MODEL;
    if (diarizing && body.fields.prompt)
      throw new HttpError(
        400,
        `prompt is not supported with ${DIARIZE_MODEL}`,
        'invalid_request_error',
        null,
        'prompt',
      );
    if (diarizing && body.fields['timestamp_granularities[]'])
      throw new HttpError(
        400,
        `timestamp_granularities is not supported with ${DIARIZE_MODEL}`,
        'invalid_request_error',
        null,
        'timestamp_granularities',
      );
    const knownNames = body.fields['known_speaker_names[]'] ?? [];
    const knownRefs = body.fields['known_speaker_references[]'] ?? [];
    if (record) {
      record.knownSpeakerNames = knownNames;
      record.chunkingStrategy = body.fields.chunking_strategy?.[0];
    }
    const known: KnownVoice[] = [];
    if (knownNames.length > 0 || knownRefs.length > 0) {
      if (!diarizing)
        throw new HttpError(
          400,
          `known_speaker_names is only supported by ${DIARIZE_MODEL}`,
          'invalid_request_error',
          null,
          'known_speaker_names',
        );
      if (knownNames.length !== knownRefs.length)
        throw new HttpError(
          400,
          'known_speaker_names and known_speaker_references must have the same length',
          'invalid_request_error',
          null,
          'known_speaker_references',
        );
      if (knownNames.length > 4)
        throw new HttpError(
          400,
          'At most 4 known speakers are supported',
          'invalid_request_error',
          null,
          'known_speaker_names',
        );
      for (const [i, ref] of knownRefs.entries()) {
        const m = /^data:audio\/[\w.+-]+;base64,(.+)$/s.exec(ref);
        if (!m)
          throw new HttpError(
            400,
            `known_speaker_references[${i}] must be a data URL of an audio file`,
            'invalid_request_error',
            null,
            'known_speaker_references',
          );
        const refPcm = await decodeToPcm(Buffer.from(m[1]!, 'base64'), this.options.ffmpegPath).catch(() => {
          throw new HttpError(
            400,
            `known_speaker_references[${i}] could not be decoded`,
            'invalid_request_error',
            null,
            'known_speaker_references',
          );
        });
        const seconds = refPcm.length / PCM_RATE;
        if (seconds < 2 || seconds > 10)
          throw new HttpError(
            400,
            `known_speaker_references[${i}] must be between 2 and 10 seconds long (got ${seconds.toFixed(2)})`,
            'invalid_request_error',
            null,
            'known_speaker_references',
          );
        known.push({ name: knownNames[i]!, pitchHz: medianPitchHz(refPcm) });
      }
    }
    let pcm: Int16Array;
    try {
      pcm = await decodeToPcm(body.file, this.options.ffmpegPath);
    } catch {
      throw new HttpError(
        400,
        'Audio file might be corrupted or unsupported',
        'invalid_request_error',
        'invalid_value',
        'file',
      );
    }
    const duration = pcm.length / PCM_RATE;
    if (diarizing && duration > 30 && !body.fields.chunking_strategy) {
      throw new HttpError(
        400,
        `chunking_strategy is required when using ${DIARIZE_MODEL} for inputs longer than 30 seconds`,
        'invalid_request_error',
        null,
        'chunking_strategy',
      );
    }
    const regions = detectSpeech(pcm);
    if (format === 'diarized_json') {
      const script = this.options.transcriptScript;
      const segments = diarize(pcm, regions, known).map((r, i) => ({
        type: 'transcript.text.segment',
        id: `seg_${i}`,
        start: Math.round(r.start * 100) / 100,
        end: Math.round(r.end * 100) / 100,
        text: script?.[i] ?? `speech of ${(r.end - r.start).toFixed(2)} seconds`,
        speaker: r.speaker,
      }));
      if (malformed === 'schema') return { text: 'x', segments: [{ start: 'soon' }] };
      return {
        task: 'transcribe',
        duration,
        text: segments.map((s) => s.text).join(' '),
        segments,
        usage: { type: 'duration', seconds: Math.ceil(duration) },
      };
    }
    const script = this.options.transcriptScript;
    const segments = regions.map((r, i) => ({
      id: i,
      seek: 0,
      start: Math.round(r.start * 100) / 100,
      end: Math.round(r.end * 100) / 100,
      text: ` ${script?.[i] ?? `speech of ${(r.end - r.start).toFixed(2)} seconds`}`,
      tokens: [],
      temperature: 0,
      avg_logprob: -0.2,
      compression_ratio: 1.2,
      no_speech_prob: 0.01,
    }));
    if (malformed === 'schema') return { text: 'no segments here', segments: 'oops' };
    const text = segments.map((s) => s.text.trim()).join(' ');
    if (format === 'verbose_json') return { task: 'transcribe', language: 'english', duration, text, segments };
    return { text };
  }

  private async chat(
    body: Record<string, unknown>,
    record: RecordedRequest,
    malformed?: 'json' | 'schema',
  ): Promise<unknown> {
    const model = body.model as string | undefined;
    if (!model || (!CHAT_MODELS.has(model) && !this.local))
      throw new HttpError(
        404,
        `The model \`${model}\` does not exist or you do not have access to it.`,
        'invalid_request_error',
        'model_not_found',
      );
    const messages = body.messages;
    if (!Array.isArray(messages) || messages.length === 0)
      throw new HttpError(400, "'messages' must be a non-empty array", 'invalid_request_error', null, 'messages');
    const images: Buffer[] = [];
    for (const m of messages as { content?: unknown }[]) {
      if (!Array.isArray(m.content)) continue;
      for (const part of m.content as { type?: string; image_url?: { url?: string } }[]) {
        if (part.type !== 'image_url') continue;
        const url = part.image_url?.url ?? '';
        const match = /^data:(image\/(?:jpeg|png|webp|gif));base64,(.+)$/s.exec(url);
        if (!match)
          throw new HttpError(
            400,
            'Invalid image URL: expected a base64 data URL of a JPEG, PNG, WEBP or GIF image',
            'invalid_request_error',
            'invalid_image_url',
          );
        const bytes = Buffer.from(match[2]!, 'base64');
        const magicOk =
          (bytes[0] === 0xff && bytes[1] === 0xd8) ||
          bytes.subarray(1, 4).toString() === 'PNG' ||
          bytes.subarray(8, 12).toString() === 'WEBP' ||
          bytes.subarray(0, 3).toString() === 'GIF';
        if (!magicOk)
          throw new HttpError(
            400,
            'You uploaded an unsupported image. Please make sure your image is valid.',
            'invalid_request_error',
            'invalid_image_format',
          );
        images.push(bytes);
      }
    }
    record.messages = (messages as { role?: string; content?: unknown }[]).map((m) => ({
      role: String(m.role),
      content:
        typeof m.content === 'string'
          ? m.content
          : Array.isArray(m.content)
            ? (m.content as { type?: string; text?: string }[])
                .filter((p) => p.type === 'text')
                .map((p) => p.text ?? '')
                .join('\n')
            : '',
    }));
    record.imageCount = images.length;
    record.imageBytes = images.reduce((n, b) => n + b.length, 0);
    const rf = body.response_format as
      | { type?: string; json_schema?: { name?: string; strict?: boolean; schema?: JsonSchema } }
      | undefined;
    let content: string;
    if (rf?.type === 'json_schema' && this.local)
      throw new HttpError(400, "response_format type 'json_schema' is not supported by this server; use json_object");
    // json_object: the schema can only come from the prompt; answer it when a message carries one.
    const promptSchema = rf?.type === 'json_object' ? schemaFromPrompt(record.messages) : undefined;
    if (rf?.type === 'json_object') {
      if (!record.messages.some((m) => /json/i.test(m.content)))
        throw new HttpError(
          400,
          "'messages' must contain the word 'json' in some form, to use 'response_format' of type 'json_object'.",
        );
      record.responseFormat = 'json_object';
    }
    if (rf?.type === 'json_schema' || promptSchema) {
      const js = promptSchema ? { name: 'json_object', schema: promptSchema, strict: false } : rf!.json_schema;
      if (!js?.name || !js.schema)
        throw new HttpError(400, "Missing required parameter: 'response_format.json_schema.name'");
      record.responseFormat = js.name;
      if (js.strict) checkStrictSchema(js.schema);
      const ask = askRequest(record.messages);
      if (ask)
        return this.completion(
          model,
          JSON.stringify(malformed === 'schema' ? { answer: 42, citations: 'none' } : this.groundedAnswer(ask)),
          record.messages,
        );
      const chapters = chaptersRequest(record.messages);
      if (chapters)
        return this.completion(
          model,
          JSON.stringify(malformed === 'schema' ? { chapters: 7 } : answerChapters(chapters, this.chaptersMode)),
          record.messages,
        );
      const seen = images[0] ? await describeImage(images[0]) : undefined;
      const value = instance(js.schema, js.schema, (path) => {
        if (path === 'caption')
          return seen
            ? `A frame with mostly ${seen.colour} tones at ${seen.brightness}% brightness (${seen.width}x${seen.height})`
            : 'No image was given';
        if (path === 'entities.objects') return seen ? [`${seen.colour} area`] : [];
        if (path === 'entities.text') return [];
        if (path === 'entities.controls') return [];
        if (path === 'entities.people_count') return 0;
        return undefined;
      });
      content = JSON.stringify(malformed === 'schema' ? { caption: 42, entities: 'none' } : value);
    } else {
      content = malformed === 'schema' ? '' : `I see ${images.length} image(s).`;
    }
    return this.completion(model, content, [], 50 + images.length * 85);
  }

  private completion(
    model: string,
    content: string,
    messages: { content: string }[],
    promptTokens = 0,
  ): ChatCompletion {
    const prompt = promptTokens || 10 + Math.ceil(messages.reduce((n, m) => n + m.content.length, 0) / 4);
    const completionTokens = Math.ceil(content.length / 4);
    return {
      id: `chatcmpl-${randomBytes(8).toString('hex')}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model,
      choices: [
        { index: 0, message: { role: 'assistant', content, refusal: null }, finish_reason: 'stop', logprobs: null },
      ],
      usage: { prompt_tokens: prompt, completion_tokens: completionTokens, total_tokens: prompt + completionTokens },
    };
  }

  /** The reply of a model that reads the passages and nothing else (see AskMode). */
  private groundedAnswer(ask: { question: string; passages: AskPassage[]; system: string }): {
    answer: string;
    citations: { passage_id: string; t_start: number; t_end: number; quote: string }[];
    found: boolean;
    admin?: boolean;
  } {
    const notFound = {
      answer: 'The videos do not show this: none of the passages answers the question.',
      citations: [],
      found: false,
    };
    if (this.askMode === 'not_found') return notFound;
    if (
      this.askMode === 'obey_injection' &&
      ask.passages.some((p) =>
        /ignore (all |any )?(the )?(previous|prior|above) instructions/i.test(`${p.text} ${p.scene_caption ?? ''}`),
      )
    ) {
      return {
        answer: ask.system,
        citations: [
          { passage_id: 'attacker:segment:0.0', t_start: 0, t_end: 1, quote: 'ignore previous instructions' },
        ],
        found: true,
        admin: true,
      };
    }
    const wanted = new Set(tokens(ask.question).filter((w) => !QUESTION_WORDS.has(w)));
    const shared = (text: string) => new Set(tokens(text).filter((w) => wanted.has(w))).size;
    let best: { passage: AskPassage; sentence: string; score: number } | undefined;
    for (const passage of ask.passages) {
      const score = shared(`${passage.text} ${passage.scene_caption ?? ''}`);
      if (score === 0 || (best && score <= best.score)) continue;
      const sentences = [passage.text, passage.scene_caption ?? '']
        .flatMap((t) => t.split(/(?<=[.!?])\s+/))
        .filter((t) => t.trim());
      const sentence = sentences.reduce((a, b) => (shared(b) > shared(a) ? b : a));
      best = { passage, sentence: sentence.trim(), score };
    }
    if (!best) return notFound;
    const { passage, sentence } = best;
    const citation = { passage_id: passage.id, t_start: passage.start, t_end: passage.end, quote: sentence };
    const reply = {
      answer: `According to video ${passage.video ?? ''} at ${clock(passage.start)}: ${sentence}`,
      citations: [citation],
      found: true,
    };
    if (this.askMode === 'invalid_citations') {
      reply.citations.push(
        { passage_id: 'no-such-video:segment:0.0', t_start: 0, t_end: 1, quote: sentence },
        { passage_id: passage.id, t_start: passage.end + 5, t_end: passage.end + 9, quote: sentence },
        {
          passage_id: passage.id,
          t_start: passage.start,
          t_end: passage.end,
          quote: 'words nobody ever said in this video',
        },
      );
    }
    return reply;
  }

  private embeddings(body: Record<string, unknown>, record: RecordedRequest, malformed?: 'json' | 'schema'): unknown {
    const model = body.model as string | undefined;
    const native = this.local && model ? this.local.embeddingDimensions : model ? EMBEDDING_MODELS[model] : undefined;
    if (!native)
      throw new HttpError(
        404,
        `The model \`${model}\` does not exist or you do not have access to it.`,
        'invalid_request_error',
        'model_not_found',
      );
    const input = body.input;
    const inputs = typeof input === 'string' ? [input] : Array.isArray(input) ? input : null;
    if (!inputs || inputs.length === 0)
      throw new HttpError(
        400,
        "'$.input' is invalid. Please check the API reference.",
        'invalid_request_error',
        null,
        'input',
      );
    if (inputs.length > MAX_EMBEDDING_INPUTS)
      throw new HttpError(
        400,
        `'$.input' is too long: at most ${MAX_EMBEDDING_INPUTS} inputs per request.`,
        'invalid_request_error',
        null,
        'input',
      );
    for (const [i, text] of inputs.entries()) {
      if (typeof text !== 'string' || text.length === 0)
        throw new HttpError(
          400,
          `'$.input[${i}]' is invalid: empty strings are not allowed.`,
          'invalid_request_error',
          null,
          'input',
        );
      if (Math.ceil(text.length / 4) > MAX_EMBEDDING_TOKENS)
        throw new HttpError(
          400,
          `This model's maximum context length is ${MAX_EMBEDDING_TOKENS} tokens; input ${i} is longer.`,
          'invalid_request_error',
          null,
          'input',
        );
    }
    // Local servers ignore `dimensions`: the model's size is what comes back.
    const dims = body.dimensions === undefined || this.local ? native : Number(body.dimensions);
    if (!Number.isInteger(dims) || dims < 1 || dims > native)
      throw new HttpError(
        400,
        `dimensions must be between 1 and ${native}`,
        'invalid_request_error',
        null,
        'dimensions',
      );
    const format = (body.encoding_format as string | undefined) ?? 'float';
    if (this.local && format === 'base64')
      throw new HttpError(
        400,
        "encoding_format 'base64' is not supported by this server; use float",
        'invalid_request_error',
        null,
        'encoding_format',
      );
    record.inputs = inputs as string[];
    record.encodingFormat = format;
    const data = (inputs as string[]).map((text, index) => {
      const v = hashingEmbedding(text, malformed === 'schema' ? Math.max(1, dims - 7) : dims);
      const embedding = format === 'base64' ? Buffer.from(new Float32Array(v).buffer).toString('base64') : v;
      return { object: 'embedding', index, embedding };
    });
    const promptTokens = (inputs as string[]).reduce((n, t) => n + Math.max(1, tokens(t).length), 0);
    return { object: 'list', data, model, usage: { prompt_tokens: promptTokens, total_tokens: promptTokens } };
  }
}
