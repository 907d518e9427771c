import { hostname } from 'node:os';
import { z } from 'zod';
import { ConfigError } from './errors.ts';

/** Accepts a number or a numeric string from the environment. */
const int = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  z.preprocess(
    (v) => (typeof v === 'string' && v.trim() !== '' ? Number(v.trim()) : v),
    z
      .number({ error: 'must be a number' })
      .int('must be an integer')
      .min(min, `must be at least ${min}`)
      .max(max, `must be at most ${max}`),
  );
const num = (min: number, max = Number.MAX_VALUE) =>
  z.preprocess(
    (v) => (typeof v === 'string' && v.trim() !== '' ? Number(v.trim()) : v),
    z.number({ error: 'must be a number' }).min(min, `must be at least ${min}`).max(max, `must be at most ${max}`),
  );
const bool = z.preprocess(
  (v) => {
    if (typeof v !== 'string') return v;
    const s = v.trim().toLowerCase();
    if (['1', 'true', 'yes', 'on'].includes(s)) return true;
    if (['0', 'false', 'no', 'off'].includes(s)) return false;
    return v;
  },
  z.boolean({ error: 'must be true or false' }),
);
const str = z.string().trim().min(1, 'must not be empty');
const url = (protocols: string[]) =>
  str.refine(
    (v) => {
      try {
        return protocols.includes(new URL(v).protocol);
      } catch {
        return false;
      }
    },
    `must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}`,
  );

const LOG_LEVEL_ALIASES: Record<string, string> = { warning: 'warn', critical: 'fatal', notset: 'trace' };
const logLevel = z.preprocess(
  (v) => (typeof v === 'string' ? (LOG_LEVEL_ALIASES[v.trim().toLowerCase()] ?? v.trim().toLowerCase()) : v),
  z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
    error: 'must be one of fatal, error, warn, info, debug, trace, silent',
  }),
);

/**
 * Every setting videoqa reads, in one schema. Keys are camelCase; ENV_NAMES maps
 * each to its environment variable. Defaults follow the seed worker.
 */
export const configSchema = z.object({
  databaseUrl: url(['postgres:', 'postgresql:']).optional(),
  openaiApiKey: str.optional(),
  openaiBaseUrl: url(['http:', 'https:']).optional(),
  openaiTimeoutMs: int(100).default(120_000),
  openaiMaxRetries: int(0, 20).default(4),
  transcriptionModel: str.default('whisper-1'),
  visionModel: str.default('gpt-4o'),
  embeddingModel: str.default('text-embedding-3-small'),
  chatModel: str.default('gpt-4o-mini'),
  // Per-capability endpoints (issue 19): each falls back to the shared OpenAI settings above.
  transcriptionBaseUrl: url(['http:', 'https:']).optional(),
  transcriptionApiKey: str.optional(),
  transcriptionTimeoutMs: int(100).optional(),
  transcriptionMaxRetries: int(0, 20).optional(),
  visionBaseUrl: url(['http:', 'https:']).optional(),
  visionApiKey: str.optional(),
  visionTimeoutMs: int(100).optional(),
  visionMaxRetries: int(0, 20).optional(),
  embeddingBaseUrl: url(['http:', 'https:']).optional(),
  embeddingApiKey: str.optional(),
  embeddingTimeoutMs: int(100).optional(),
  embeddingMaxRetries: int(0, 20).optional(),
  /** Vector size of the embedding model; the schema's vector columns follow it on first migrate. */
  embeddingDimensions: int(1, 16_000).default(1536),
  /** Embedding requests in flight at once. */
  embeddingMaxConcurrent: int(1, 64).default(2),
  chatBaseUrl: url(['http:', 'https:']).optional(),
  chatApiKey: str.optional(),
  chatTimeoutMs: int(100).optional(),
  chatMaxRetries: int(0, 20).optional(),
  transcriptionProvider: z.enum(['openai', 'supadata'], { error: 'must be openai or supadata' }).default('openai'),
  supadataApiKey: str.optional(),
  supadataBaseUrl: url(['http:', 'https:']).default('https://api.supadata.ai/v1'),
  supadataMediaBaseUrl: url(['http:', 'https:']).optional(),

  dataDir: str.default('./data'),
  /**
   * The CLI on the embedded database runs V8's WebAssembly baseline compiler only
   * (`node --liftoff-only`): PGlite's optimizing-tier compile alone peaks at ~500 MB.
   * true keeps the optimizing tier (faster SQL and OCR once warm, far more memory).
   */
  wasmOptimize: bool.default(false),
  ffmpegPath: str.default('ffmpeg'),
  ffprobePath: str.default('ffprobe'),

  workerId: str.default(() => `${hostname()}:${process.pid}`),
  workerPollMs: int(10).default(1500),
  workerPollMaxMs: int(10).default(15_000),
  workerMaxAttempts: int(1, 100).default(3),
  workerConcurrency: int(1, 256).default(1),
  workerLeaseMs: int(1000).default(60_000),
  workerShutdownTimeoutMs: int(0).default(30_000),
  workerJobSource: z.enum(['postgres', 'redis'], { error: 'must be postgres or redis' }).default('postgres'),
  retryDelaySec: num(0).default(60),
  retryDelayMaxSec: num(0).default(3600),

  logLevel: logLevel.default('info'),
  logFileFormat: z.enum(['text', 'json'], { error: 'must be text or json' }).default('text'),
  workerDevHttp: bool.default(false),
  workerHttpPort: int(0, 65535).default(8000),
  workerHttpHost: str.default('127.0.0.1'),

  visionMaxConcurrent: int(1, 256).default(5),
  transcribeMaxConcurrent: int(1, 64).default(3),
  embeddingBatchSize: int(1, 2048).default(256),

  askTokenBudget: int(200, 100_000).default(3000),
  askMaxPassages: int(1, 50).default(8),
  askWindowSec: num(5, 600).default(30),

  sceneThreshold: num(0.1).default(3),
  sceneMinContent: num(0).default(15),
  sceneMinLenFrames: int(1).default(15),
  framesSceneSpanSec: num(1).default(15),
  framesDuplicateDistance: int(0, 64).default(10),

  /** The chapters stage (chapters, summary, key points, tags); it also needs a chat provider (OPENAI_API_KEY). */
  chaptersEnabled: bool.default(true),
  /** Shortest chapter, seconds: at most one chapter per this many seconds of video. */
  chaptersMinSec: num(10, 24 * 3600).default(120),
  /** Estimated tokens of video text one chapters request may carry; longer videos are split into windows (map-reduce). */
  chaptersTokenBudget: int(500, 200_000).default(8000),

  ocrEnabled: bool.default(true),
  /** Tesseract language codes, "+" or "," separated; each needs its @tesseract.js-data/<code> package. */
  ocrLanguages: z
    .preprocess(
      (v) => (typeof v === 'string' ? v.split(/[+,\s]+/).filter(Boolean) : v),
      z
        .array(z.string().regex(/^[a-z][a-z0-9_]{1,15}$/, 'must be tesseract language codes such as eng or eng+deu'))
        .min(1, 'must name at least one language'),
    )
    .default(['eng']),
  ocrMinConfidence: num(0, 100).default(60),
  /** 0 = the CPU count, at most 4. */
  ocrWorkers: int(0, 64).default(0),

  redisUrl: url(['redis:', 'rediss:']).optional(),
  queueName: str.default('video_processing_queue'),
  redisPoolSize: int(1).default(20),
  redisMaxConnections: int(1).default(50),

  apiHttp: bool.default(false),
  apiHttpPort: int(0, 65535).default(8080),
  apiHttpHost: str.default('127.0.0.1'),
  apiToken: str.optional(),
  apiMaxUploadBytes: int(1).default(2 * 1024 ** 3),
  /** A request (an upload included) is cut off after this long in all. */
  apiRequestTimeoutMs: int(1000).default(15 * 60_000),
  /** A connection that sends nothing for this long is closed (slow-loris uploads). */
  apiIdleTimeoutMs: int(1000).default(30_000),
  /** Uploads streamed at once; more get 503 UPLOADS_BUSY with Retry-After. */
  apiMaxConcurrentUploads: int(1, 1000).default(4),
  /** A comment line on each open GET /v1/events stream this often, so proxies and idle timeouts keep it open. */
  apiEventsHeartbeatMs: int(1000, 600_000).default(15_000),

  /** Days after a video is ready before its upload is removed (unset: kept forever). */
  retainUploadsDays: num(0).optional(),
  /** Days after a video is ready before processed/{id}/ (normalized.mp4, audio.wav) is removed (unset: kept forever). */
  retainNormalizedDays: num(0).optional(),
  /** How often a worker applies the retention settings (only when one is set). */
  gcIntervalMs: int(1000).default(60 * 60_000),

  /** Where every job's ready/failed event is POSTed when the job names no URL of its own. */
  webhookUrl: url(['http:', 'https:']).optional(),
  /** Standard Webhooks signing secret: whsec_ and base64 of 24-64 random bytes. */
  webhookSecret: str
    .regex(
      /^whsec_[A-Za-z0-9+/]{32,88}={0,2}$/,
      'must be whsec_ followed by base64 of 24 to 64 random bytes (e.g. whsec_$(openssl rand -base64 32))',
    )
    .optional(),
  /** Let webhooks reach loopback/private addresses (SSRF guard off for webhooks). */
  webhookAllowPrivate: bool.default(false),
  webhookMaxAttempts: int(1, 100).default(8),
  webhookTimeoutMs: int(100).default(10_000),
  webhookRetryDelaySec: num(0).default(10),
  webhookRetryDelayMaxSec: num(0).default(6 * 3600),
  webhookPollMs: int(10).default(2000),

  /** Let URL ingest reach loopback/private addresses (SSRF guard off for ingest). */
  ingestAllowPrivate: bool.default(false),
  ingestMaxBytes: int(1).default(2 * 1024 ** 3),
  /** The whole download, redirects included. */
  ingestTimeoutMs: int(100).default(30 * 60_000),
  ingestMaxRedirects: int(0, 20).default(5),
  /** Address ranges (CIDR) that ingest and webhooks may reach although private, e.g. an internal media server. */
  outboundAllowCidrs: z
    .preprocess(
      (v) => (typeof v === 'string' ? v.split(/[\s,]+/).filter(Boolean) : v),
      z.array(
        z
          .string()
          .regex(/^[0-9A-Fa-f:.]+\/\d{1,3}$/, 'must be CIDR ranges such as 10.0.5.0/24 or fd00::/8, comma separated'),
      ),
    )
    .default([]),
});

export type Config = z.output<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
export type ConfigKey = keyof Config;

export const ENV_NAMES: Record<ConfigKey, string> = {
  databaseUrl: 'DATABASE_URL',
  openaiApiKey: 'OPENAI_API_KEY',
  openaiBaseUrl: 'OPENAI_BASE_URL',
  openaiTimeoutMs: 'OPENAI_TIMEOUT_MS',
  openaiMaxRetries: 'OPENAI_MAX_RETRIES',
  transcriptionModel: 'OPENAI_TRANSCRIPTION_MODEL',
  visionModel: 'OPENAI_VISION_MODEL',
  embeddingModel: 'OPENAI_EMBEDDING_MODEL',
  chatModel: 'OPENAI_CHAT_MODEL',
  transcriptionBaseUrl: 'OPENAI_TRANSCRIPTION_BASE_URL',
  transcriptionApiKey: 'OPENAI_TRANSCRIPTION_API_KEY',
  transcriptionTimeoutMs: 'OPENAI_TRANSCRIPTION_TIMEOUT_MS',
  transcriptionMaxRetries: 'OPENAI_TRANSCRIPTION_MAX_RETRIES',
  visionBaseUrl: 'OPENAI_VISION_BASE_URL',
  visionApiKey: 'OPENAI_VISION_API_KEY',
  visionTimeoutMs: 'OPENAI_VISION_TIMEOUT_MS',
  visionMaxRetries: 'OPENAI_VISION_MAX_RETRIES',
  embeddingBaseUrl: 'OPENAI_EMBEDDING_BASE_URL',
  embeddingApiKey: 'OPENAI_EMBEDDING_API_KEY',
  embeddingTimeoutMs: 'OPENAI_EMBEDDING_TIMEOUT_MS',
  embeddingMaxRetries: 'OPENAI_EMBEDDING_MAX_RETRIES',
  embeddingDimensions: 'OPENAI_EMBEDDING_DIMENSIONS',
  embeddingMaxConcurrent: 'EMBEDDING_MAX_CONCURRENT',
  chatBaseUrl: 'OPENAI_CHAT_BASE_URL',
  chatApiKey: 'OPENAI_CHAT_API_KEY',
  chatTimeoutMs: 'OPENAI_CHAT_TIMEOUT_MS',
  chatMaxRetries: 'OPENAI_CHAT_MAX_RETRIES',
  transcriptionProvider: 'TRANSCRIPTION_PROVIDER',
  supadataApiKey: 'SUPADATA_API_KEY',
  supadataBaseUrl: 'SUPADATA_BASE_URL',
  supadataMediaBaseUrl: 'SUPADATA_MEDIA_BASE_URL',
  dataDir: 'DATA_DIR',
  wasmOptimize: 'WASM_OPTIMIZE',
  ffmpegPath: 'FFMPEG_PATH',
  ffprobePath: 'FFPROBE_PATH',
  workerId: 'WORKER_ID',
  workerPollMs: 'WORKER_POLL_MS',
  workerPollMaxMs: 'WORKER_POLL_MAX_MS',
  workerMaxAttempts: 'WORKER_MAX_ATTEMPTS',
  workerConcurrency: 'WORKER_CONCURRENCY',
  workerLeaseMs: 'WORKER_LEASE_MS',
  workerShutdownTimeoutMs: 'WORKER_SHUTDOWN_TIMEOUT_MS',
  workerJobSource: 'WORKER_JOB_SOURCE',
  retryDelaySec: 'RETRY_DELAY',
  retryDelayMaxSec: 'RETRY_DELAY_MAX',
  logLevel: 'LOG_LEVEL',
  logFileFormat: 'LOG_FILE_FORMAT',
  workerDevHttp: 'WORKER_DEV_HTTP',
  workerHttpPort: 'WORKER_HTTP_PORT',
  workerHttpHost: 'WORKER_HTTP_HOST',
  visionMaxConcurrent: 'VISION_MAX_CONCURRENT',
  transcribeMaxConcurrent: 'TRANSCRIBE_MAX_CONCURRENT',
  embeddingBatchSize: 'EMBEDDING_BATCH_SIZE',
  askTokenBudget: 'ASK_TOKEN_BUDGET',
  askMaxPassages: 'ASK_MAX_PASSAGES',
  askWindowSec: 'ASK_WINDOW_SEC',
  sceneThreshold: 'SCENE_THRESHOLD',
  sceneMinContent: 'SCENE_MIN_CONTENT',
  sceneMinLenFrames: 'SCENE_MIN_LEN_FRAMES',
  framesSceneSpanSec: 'FRAMES_SCENE_SPAN_SEC',
  framesDuplicateDistance: 'FRAMES_DUPLICATE_DISTANCE',
  chaptersEnabled: 'CHAPTERS_ENABLED',
  chaptersMinSec: 'CHAPTERS_MIN_SEC',
  chaptersTokenBudget: 'CHAPTERS_TOKEN_BUDGET',
  ocrEnabled: 'OCR_ENABLED',
  ocrLanguages: 'OCR_LANGUAGES',
  ocrMinConfidence: 'OCR_MIN_CONFIDENCE',
  ocrWorkers: 'OCR_WORKERS',
  redisUrl: 'REDIS_URL',
  queueName: 'QUEUE_NAME',
  redisPoolSize: 'REDIS_POOL_SIZE',
  redisMaxConnections: 'REDIS_MAX_CONNECTIONS',
  apiHttp: 'API_HTTP',
  apiHttpPort: 'API_HTTP_PORT',
  apiHttpHost: 'API_HTTP_HOST',
  apiToken: 'API_TOKEN',
  apiMaxUploadBytes: 'API_MAX_UPLOAD_BYTES',
  apiRequestTimeoutMs: 'API_REQUEST_TIMEOUT_MS',
  apiIdleTimeoutMs: 'API_IDLE_TIMEOUT_MS',
  apiMaxConcurrentUploads: 'API_MAX_CONCURRENT_UPLOADS',
  apiEventsHeartbeatMs: 'API_EVENTS_HEARTBEAT_MS',
  retainUploadsDays: 'RETAIN_UPLOADS_DAYS',
  retainNormalizedDays: 'RETAIN_NORMALIZED_DAYS',
  gcIntervalMs: 'GC_INTERVAL_MS',
  webhookUrl: 'WEBHOOK_URL',
  webhookSecret: 'WEBHOOK_SECRET',
  webhookAllowPrivate: 'WEBHOOK_ALLOW_PRIVATE',
  webhookMaxAttempts: 'WEBHOOK_MAX_ATTEMPTS',
  webhookTimeoutMs: 'WEBHOOK_TIMEOUT_MS',
  webhookRetryDelaySec: 'WEBHOOK_RETRY_DELAY',
  webhookRetryDelayMaxSec: 'WEBHOOK_RETRY_DELAY_MAX',
  webhookPollMs: 'WEBHOOK_POLL_MS',
  ingestAllowPrivate: 'INGEST_ALLOW_PRIVATE',
  ingestMaxBytes: 'INGEST_MAX_BYTES',
  ingestTimeoutMs: 'INGEST_TIMEOUT_MS',
  ingestMaxRedirects: 'INGEST_MAX_REDIRECTS',
  outboundAllowCidrs: 'OUTBOUND_ALLOW_CIDRS',
};

/** Settings whose values are never printed or logged. */
export const SECRET_KEYS: readonly ConfigKey[] = [
  'openaiApiKey',
  'supadataApiKey',
  'apiToken',
  'transcriptionApiKey',
  'visionApiKey',
  'embeddingApiKey',
  'chatApiKey',
  'webhookSecret',
];

export interface LoadConfigOptions {
  /** Environment to read; default process.env. */
  env?: Record<string, string | undefined>;
  /** Values set in code; they win over the environment. */
  overrides?: Partial<ConfigInput>;
}

/**
 * Reads and validates the configuration. Invalid values throw a ConfigError
 * naming each variable and what is wrong with it (secret values are not echoed).
 */
export function loadConfig(options: LoadConfigOptions = {}): Config {
  const env = options.env ?? process.env;
  const raw: Record<string, unknown> = {};
  for (const [key, name] of Object.entries(ENV_NAMES)) {
    const value = env[name];
    if (value !== undefined && value.trim() !== '') raw[key] = value;
  }
  // Seed 003 names the retry count MAX_RETRIES (retries after the first try).
  if (raw.workerMaxAttempts === undefined && env.MAX_RETRIES !== undefined && env.MAX_RETRIES.trim() !== '') {
    const retries = Number(env.MAX_RETRIES);
    if (!Number.isInteger(retries) || retries < 0) {
      throw new ConfigError([
        { variable: 'MAX_RETRIES', message: `must be a non-negative integer (got ${JSON.stringify(env.MAX_RETRIES)})` },
      ]);
    }
    raw.workerMaxAttempts = retries + 1;
  }
  // TRANSCRIPTION_MODEL is accepted as another name for OPENAI_TRANSCRIPTION_MODEL (which wins when both are set).
  if (
    raw.transcriptionModel === undefined &&
    env.TRANSCRIPTION_MODEL !== undefined &&
    env.TRANSCRIPTION_MODEL.trim() !== ''
  )
    raw.transcriptionModel = env.TRANSCRIPTION_MODEL;
  for (const [key, value] of Object.entries(options.overrides ?? {})) {
    if (value !== undefined) raw[key] = value;
  }
  return parseConfig(raw, (key) => ENV_NAMES[key as ConfigKey] ?? key);
}

/** Validates an object of camelCase settings (defaults applied). */
export function parseConfig(
  input: Partial<ConfigInput> | Record<string, unknown>,
  nameOf: (key: string) => string = (k) => k,
): Config {
  const result = configSchema.safeParse(input);
  if (result.success) {
    if (result.data.workerPollMaxMs < result.data.workerPollMs) result.data.workerPollMaxMs = result.data.workerPollMs;
    return result.data;
  }
  const issues = result.error.issues.map((issue) => {
    const key = String(issue.path[0] ?? '');
    const value = (input as Record<string, unknown>)[key];
    const secret = SECRET_KEYS.includes(key as ConfigKey) || key === 'databaseUrl';
    const shown = value === undefined || secret ? '' : ` (got ${JSON.stringify(value)})`;
    return { variable: nameOf(key), message: `${issue.message}${shown}` };
  });
  throw new ConfigError(issues);
}

/** Masks the password in a postgres:// URL. */
export function redactUrl(value: string): string {
  try {
    const u = new URL(value);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '[unparseable url]';
  }
}

/** A copy safe to print: secrets replaced, URL passwords masked. */
export function redactConfig(config: Config): Record<string, unknown> {
  const out: Record<string, unknown> = { ...config };
  for (const key of SECRET_KEYS) if (out[key] !== undefined) out[key] = '[redacted]';
  if (config.databaseUrl) out.databaseUrl = redactUrl(config.databaseUrl);
  if (config.redisUrl) out.redisUrl = redactUrl(config.redisUrl);
  return out;
}

/** The secret strings of a config, for scrubbing logs and error messages. */
export function configSecrets(config: Partial<Config>): string[] {
  const secrets: string[] = [];
  for (const key of SECRET_KEYS) {
    const v = config[key];
    if (typeof v === 'string' && v.length >= 4) secrets.push(v);
  }
  for (const u of [config.databaseUrl, config.redisUrl]) {
    if (!u) continue;
    try {
      const password = decodeURIComponent(new URL(u).password);
      if (password.length >= 3) secrets.push(password);
    } catch {
      /* not a URL: nothing to extract */
    }
  }
  return secrets;
}
