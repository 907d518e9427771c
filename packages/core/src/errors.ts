import type { ErrorCode } from './error-codes.ts';

/**
 * Every error videoqa raises on purpose is a VideoqaError with a stable `code`
 * (safe to switch on across versions) and a `retryable` flag that the job queue
 * uses to decide between "try again later" and "fail now".
 */
export interface VideoqaErrorOptions {
  cause?: unknown;
  /** What the user can do about it; appended to the message. */
  fix?: string;
  details?: Record<string, unknown>;
}

export class VideoqaError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly fix: string | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, retryable: boolean, options: VideoqaErrorOptions = {}) {
    super(
      options.fix ? `${message} — ${options.fix}` : message,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = new.target.name;
    this.code = code;
    this.retryable = retryable;
    this.fix = options.fix;
    this.details = options.details;
  }

  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      retryable: this.retryable,
      details: this.details,
    };
  }
}

/** An environment variable or option has an invalid value. */
export class ConfigError extends VideoqaError {
  readonly issues: readonly { variable: string; message: string }[];
  constructor(issues: readonly { variable: string; message: string }[]) {
    super(
      'CONFIG_INVALID',
      `Invalid configuration: ${issues.map((i) => `${i.variable}: ${i.message}`).join('; ')}`,
      false,
    );
    this.issues = issues;
  }
}

/** A video or job id that is unsafe to use in file names or too long. */
export class InvalidIdError extends VideoqaError {
  constructor(kind: string, id: string, reason: string) {
    super('INVALID_ID', `Invalid ${kind} id ${JSON.stringify(id.slice(0, 80))}: ${reason}`, false, {
      fix: 'use 1-128 characters from A-Z a-z 0-9 . _ - (not starting with "." and without "..")',
    });
  }
}

/** A path resolves outside DATA_DIR (via "..", an absolute path elsewhere, or a symlink). */
export class PathOutsideDataDirError extends VideoqaError {
  constructor(path: string, _dataDir: string) {
    // The message reaches API clients: name the path they gave, never the server's DATA_DIR.
    super('PATH_OUTSIDE_DATA_DIR', `Path ${JSON.stringify(path)} is outside DATA_DIR`, false, {
      fix: 'keep uploads and outputs inside DATA_DIR, or point DATA_DIR at the directory that holds them',
      details: { path },
    });
  }
}

/**
 * A file to read does not exist. `source` says whose path it is, since the fix differs:
 * - video: the path a video row points at (the worker's convention: videos.original_path under DATA_DIR);
 * - input: a path the user gave (`videoqa process <file>`, `vq.process(file)`), read as given.
 */
export class FileNotFoundError extends VideoqaError {
  constructor(path: string, what = 'Video path not found', source: 'video' | 'input' = 'video') {
    super('FILE_NOT_FOUND', `${what}: ${path}`, false, {
      fix:
        source === 'input'
          ? 'check the path (a relative path is read from the current directory): it must name an existing, readable video file'
          : 'check DATA_DIR, that the file exists at the resolved path, and videos.original_path',
      details: { path },
    });
  }
}

export class VideoNotFoundError extends VideoqaError {
  constructor(videoId: string) {
    super('VIDEO_NOT_FOUND', `Unknown video id ${JSON.stringify(videoId)}`, false, {
      fix: `videoqa list shows the ids; a job's video needs a row in videos or its file at uploads/${videoId}_<name> under DATA_DIR`,
    });
  }
}

export class JobNotFoundError extends VideoqaError {
  constructor(jobId: string) {
    super('JOB_NOT_FOUND', `Unknown job id ${JSON.stringify(jobId)}`, false);
  }
}

/** The input is not a usable video: empty, truncated, not media, audio-only... */
export class InvalidMediaError extends VideoqaError {
  readonly reason: string;
  constructor(path: string, reason: string, options: VideoqaErrorOptions = {}) {
    super('INVALID_MEDIA', `Cannot process ${JSON.stringify(path)}: ${reason}`, false, options);
    this.reason = reason;
  }
}

/** The stage graph is unusable: unknown dependency, duplicate name or a cycle. */
export class PipelineGraphError extends VideoqaError {
  constructor(message: string) {
    super('PIPELINE_GRAPH_INVALID', message, false);
  }
}

/** Work stopped because an AbortSignal fired (shutdown, lease lost, user cancel). */
export class AbortedError extends VideoqaError {
  constructor(message = 'Operation aborted', options: VideoqaErrorOptions = {}) {
    super('ABORTED', message, true, options);
  }
}

/** A program videoqa runs (ffmpeg, ffprobe, redis-server...) is missing. */
export class DependencyMissingError extends VideoqaError {
  constructor(program: string, fix: string) {
    super('DEPENDENCY_MISSING', `${program} not found`, false, { fix });
  }
}

/**
 * OCR could not run: OCR_LANGUAGE_MISSING (the traineddata package for a
 * language in OCR_LANGUAGES is not installed; not retryable) or OCR_FAILED
 * (the engine failed on a frame; retryable).
 */
export class OcrError extends VideoqaError {
  constructor(code: 'OCR_LANGUAGE_MISSING' | 'OCR_FAILED', message: string, options: VideoqaErrorOptions = {}) {
    super(code, message, code === 'OCR_FAILED', options);
  }
}

/** An external tool ran but failed (ffmpeg exit code != 0 on a file that probed fine). */
export class ToolFailedError extends VideoqaError {
  constructor(program: string, message: string, options: VideoqaErrorOptions = {}) {
    super('TOOL_FAILED', `${program} failed: ${message}`, true, options);
  }
}

export type ProviderErrorKind =
  | 'rate_limited'
  | 'server'
  | 'timeout'
  | 'network'
  | 'auth'
  | 'bad_request'
  | 'not_found'
  | 'malformed_reply';

const PROVIDER_CODES: Record<ProviderErrorKind, ErrorCode> = {
  rate_limited: 'PROVIDER_RATE_LIMITED',
  server: 'PROVIDER_SERVER_ERROR',
  timeout: 'PROVIDER_TIMEOUT',
  network: 'PROVIDER_NETWORK_ERROR',
  auth: 'PROVIDER_AUTH',
  bad_request: 'PROVIDER_BAD_REQUEST',
  not_found: 'PROVIDER_NOT_FOUND',
  malformed_reply: 'PROVIDER_MALFORMED_REPLY',
};
const RETRYABLE_KINDS = new Set<ProviderErrorKind>(['rate_limited', 'server', 'timeout', 'network', 'malformed_reply']);

/** An AI provider call failed after the client's own retries. */
export class ProviderError extends VideoqaError {
  readonly kind: ProviderErrorKind;
  readonly status: number | undefined;
  readonly provider: string;
  constructor(
    provider: string,
    kind: ProviderErrorKind,
    message: string,
    options: VideoqaErrorOptions & { status?: number } = {},
  ) {
    super(
      PROVIDER_CODES[kind],
      `${provider} API error${options.status ? ` (${options.status})` : ''}: ${message}`,
      RETRYABLE_KINDS.has(kind),
      {
        ...options,
        fix: options.fix ?? providerFix(kind),
      },
    );
    this.kind = kind;
    this.status = options.status;
    this.provider = provider;
  }
}

function providerFix(kind: ProviderErrorKind): string | undefined {
  switch (kind) {
    case 'auth':
      return 'verify OPENAI_API_KEY (or the provider key) is valid and has credits';
    case 'rate_limited':
      // Said of every caller (a queued job, `process`, a library run): nothing here promises a retry.
      return 'requests are retried with backoff up to OPENAI_MAX_RETRIES; if it persists, lower VISION_MAX_CONCURRENT or raise the account rate limit';
    case 'not_found':
      return 'check the model names and OPENAI_BASE_URL';
    case 'network':
    case 'timeout':
      return 'check network access to the API (OPENAI_BASE_URL) and OPENAI_TIMEOUT_MS';
    default:
      return undefined;
  }
}

/** The database cannot be reached (connection refused, restarted, dropped). */
export class DatabaseUnavailableError extends VideoqaError {
  constructor(message: string, options: VideoqaErrorOptions = {}) {
    super('DATABASE_UNAVAILABLE', `Database connection failed: ${message}`, true, {
      fix: 'check DATABASE_URL, that PostgreSQL is running and reachable',
      ...options,
    });
  }
}

/** A worker tried to change a job it no longer owns (its lease expired and another worker took it). */
export class LeaseLostError extends VideoqaError {
  constructor(jobId: string, workerId: string) {
    super('LEASE_LOST', `Worker ${workerId} no longer holds the lease on job ${jobId}`, true);
  }
}

/** `runPipeline(...).orThrow()` on a run that did not finish: the failing stage's error is the cause. */
export class PipelineFailedError extends VideoqaError {
  readonly result: import('./pipeline-result.ts').PipelineResult;
  constructor(result: import('./pipeline-result.ts').PipelineResult) {
    const cause = result.error;
    const where = result.failedStage ? `stage "${result.failedStage}" failed` : `pipeline ${result.status}`;
    super(
      'PIPELINE_FAILED',
      `Video ${result.videoId}: ${where}: ${cause?.message ?? 'no error recorded'}`,
      isRetryable(cause),
      { cause },
    );
    this.result = result;
  }
}

/** The video already has a job pending or running: one video is never processed by two jobs at once. */
export class VideoBusyError extends VideoqaError {
  constructor(videoId: string, jobId: string, status: string) {
    super('VIDEO_BUSY', `Video ${JSON.stringify(videoId)} already has job ${jobId} ${status}`, false, {
      fix: 'wait until that job is done or failed, or use another video id',
      details: { videoId, jobId, status },
    });
  }
}

/**
 * The job was cancelled (`videoqa cancel`, DELETE /v1/jobs/:id, `delete --force`): the worker
 * stops it and never retries it.
 */
export class JobCancelledError extends VideoqaError {
  constructor(jobId: string) {
    super('JOB_CANCELLED', `Job ${JSON.stringify(jobId)} was cancelled`, false);
  }
}

/** A request or state change that is not allowed (e.g. retrying a job that has not failed). */
export class InvalidStateError extends VideoqaError {
  constructor(message: string, options: VideoqaErrorOptions = {}) {
    super('INVALID_STATE', message, false, options);
  }
}

/**
 * Codes of requests refused as given, before any work is done (for `ask`: nothing
 * is retrieved and nothing is sent to a model). Plain VideoqaErrors with these
 * codes, not classes of their own: callers switch on `code`.
 */
export type RequestErrorCode = Extract<
  ErrorCode,
  'QUESTION_EMPTY' | 'QUESTION_TOO_LONG' | 'QUERY_EMPTY' | 'VIDEO_NOT_READY'
>;

export function requestError(code: RequestErrorCode, message: string, options: VideoqaErrorOptions = {}): VideoqaError {
  return new VideoqaError(code, message, false, options);
}

const RETRYABLE_SYSTEM_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'EMFILE',
  'ENOSPC',
]);

/**
 * Should a job that failed with this error be tried again?
 * Known bad input says no; network trouble, rate limits, 5xx, timeouts and
 * database restarts say yes. Errors we know nothing about are retried (bounded
 * by max attempts): a transient fault is likelier than a permanent one.
 */
export function isRetryable(err: unknown): boolean {
  if (err instanceof VideoqaError) return err.retryable;
  if (err && typeof err === 'object') {
    const e = err as { name?: unknown; code?: unknown; retryable?: unknown };
    if (typeof e.retryable === 'boolean') return e.retryable;
    if (e.name === 'AbortError') return true;
    if (typeof e.code === 'string') {
      if (RETRYABLE_SYSTEM_CODES.has(e.code)) return true;
      // PostgreSQL SQLSTATE: connection (08), shutdown (57P0x), serialization/deadlock (40), resources (53).
      if (/^[0-9A-Z]{5}$/.test(e.code)) return /^(08|40|53|57P0)/.test(e.code);
    }
  }
  return true;
}

/** Stable code of any error: VideoqaError codes (ErrorCode), system codes (ENOSPC...), or 'UNKNOWN'. */
export function errorCode(err: unknown): string {
  if (err instanceof VideoqaError) return err.code;
  if (err && typeof err === 'object' && typeof (err as { code?: unknown }).code === 'string')
    return (err as { code: string }).code;
  return 'UNKNOWN';
}

export function toError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

/**
 * Codes of outbound HTTP (URL ingest, webhooks) going wrong. URL_NOT_ALLOWED is the
 * SSRF guard's refusal (scheme, credentials in the URL, or a private/loopback target).
 */
export type OutboundErrorCode =
  | 'URL_NOT_ALLOWED'
  | 'INGEST_TOO_LARGE'
  | 'INGEST_WRONG_TYPE'
  | 'INGEST_TOO_MANY_REDIRECTS'
  | 'INGEST_HTTP_STATUS'
  | 'INGEST_TIMEOUT'
  | 'INGEST_NETWORK';

const RETRYABLE_OUTBOUND = new Set<OutboundErrorCode>(['INGEST_TIMEOUT', 'INGEST_NETWORK']);

/** An outbound request was refused by the guard or failed; `retryable` for timeouts, network faults and 5xx/429. */
export class OutboundError extends VideoqaError {
  constructor(code: OutboundErrorCode, message: string, options: VideoqaErrorOptions & { retryable?: boolean } = {}) {
    super(code, message, options.retryable ?? RETRYABLE_OUTBOUND.has(code), options);
  }
}
