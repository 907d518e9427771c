/**
 * Every code a VideoqaError can carry: a closed set, so callers can switch on `code`
 * exhaustively and a new code is a deliberate, reviewed addition (with its HTTP status
 * and CLI exit class) rather than a string made up on the spot.
 *
 * `http`: the status an API reply uses (absent: 503 when retryable, 400 otherwise).
 * `exit`: the CLI's exit code class — `usage` (2: fix the command or configuration),
 * `badInput` (4: the input was refused), `failed` (1: anything else).
 */
export const ERROR_CODES = {
  // Configuration and usage
  /** An environment variable or option has an invalid value. */
  CONFIG_INVALID: { exit: 'usage' },
  /** A question for `ask` is empty or only whitespace. */
  QUESTION_EMPTY: { exit: 'usage' },
  /** A `search` query that is empty or only whitespace. */
  QUERY_EMPTY: { http: 400, exit: 'usage' },
  /** A question for `ask` is longer than QUESTION_MAX_CHARS. */
  QUESTION_TOO_LONG: { exit: 'usage' },
  /** OPENAI_EMBEDDING_DIMENSIONS differs from the size the schema was made with (fix: `videoqa reembed`). */
  EMBEDDING_DIMENSIONS_MISMATCH: { exit: 'usage' },
  /** A command that embeds (reembed) has no embeddings provider configured. */
  EMBEDDINGS_NOT_CONFIGURED: { exit: 'usage' },
  /** The stage graph is unusable: unknown dependency, duplicate name, cycle, or a selection that cannot run. */
  PIPELINE_GRAPH_INVALID: { exit: 'failed' },

  // Input refused
  /** A video or job id that is unsafe in file names or too long. */
  INVALID_ID: { http: 400, exit: 'badInput' },
  /** A path resolves outside DATA_DIR. */
  PATH_OUTSIDE_DATA_DIR: { http: 400, exit: 'badInput' },
  /** The file a video points at does not exist. */
  FILE_NOT_FOUND: { http: 404, exit: 'badInput' },
  /** No video with that id. */
  VIDEO_NOT_FOUND: { http: 404, exit: 'badInput' },
  /** No job with that id. */
  JOB_NOT_FOUND: { http: 404, exit: 'badInput' },
  /** Not a usable video: empty, truncated, not media, audio-only where video is needed. */
  INVALID_MEDIA: { http: 400, exit: 'badInput' },
  /** `ask` about a video that has not finished processing. */
  VIDEO_NOT_READY: { http: 409, exit: 'badInput' },

  // State
  /** The video already has a job pending or running (one video, one job at a time). */
  VIDEO_BUSY: { http: 409, exit: 'failed' },
  /** A change that is not allowed in the current state (e.g. retrying a job that has not failed). */
  INVALID_STATE: { http: 409, exit: 'failed' },
  /** A worker lost the lease on its job to another worker. */
  LEASE_LOST: { exit: 'failed' },
  /** The job was cancelled (`videoqa cancel`, DELETE /v1/jobs/:id, `delete --force`); never retried. */
  JOB_CANCELLED: { http: 409, exit: 'failed' },
  /** Work stopped because an AbortSignal fired (shutdown, lease lost, cancel). */
  ABORTED: { exit: 'failed' },
  /** `run.orThrow()` on a run that did not finish; the stage's error is the cause. */
  PIPELINE_FAILED: { exit: 'failed' },

  // The machine and its programs
  /** A program videoqa runs (ffmpeg, ffprobe, redis-server) is missing. */
  DEPENDENCY_MISSING: { exit: 'failed' },
  /** An external program ran and failed. */
  TOOL_FAILED: { exit: 'failed' },
  /** The database cannot be reached. */
  DATABASE_UNAVAILABLE: { http: 503, exit: 'failed' },
  /** The embedded database directory is open in another process. */
  DATABASE_IN_USE: { exit: 'failed' },
  /** OCR_LANGUAGES names a language whose data is not installed. */
  OCR_LANGUAGE_MISSING: { exit: 'failed' },
  /** The OCR engine failed on a frame. */
  OCR_FAILED: { exit: 'failed' },

  // Stages
  /** A stage ran without the output of a stage it needs. */
  STAGE_INPUT_MISSING: { exit: 'failed' },
  /** The vision model failed on one frame (the others are kept). */
  VISION_FRAME_FAILED: { exit: 'failed' },
  /** The model's chapters could not be repaired into valid ones (untitled, none inside the video, empty summary). */
  CHAPTERS_INVALID: { exit: 'failed' },
  /** An embedding's size differs from the schema's. */
  EMBEDDING_DIMENSIONS: { exit: 'failed' },
  /** An embedding holds a non-finite number. */
  EMBEDDING_INVALID: { exit: 'failed' },

  // AI providers (after the client's own retries); the upstream's fault, hence 502/503
  /** 429 from the provider. */
  PROVIDER_RATE_LIMITED: { http: 503, exit: 'failed' },
  /** 5xx from the provider. */
  PROVIDER_SERVER_ERROR: { http: 502, exit: 'failed' },
  /** The provider did not answer in time. */
  PROVIDER_TIMEOUT: { http: 502, exit: 'failed' },
  /** The provider could not be reached. */
  PROVIDER_NETWORK_ERROR: { http: 502, exit: 'failed' },
  /** The provider refused the key. */
  PROVIDER_AUTH: { http: 502, exit: 'failed' },
  /** The provider refused the request as malformed. */
  PROVIDER_BAD_REQUEST: { http: 502, exit: 'failed' },
  /** The provider does not know the model or route. */
  PROVIDER_NOT_FOUND: { http: 502, exit: 'failed' },
  /** The provider's reply was not what its API promises. */
  PROVIDER_MALFORMED_REPLY: { http: 502, exit: 'failed' },

  // Outbound HTTP: URL ingest and webhooks
  /** The SSRF guard refused a URL: not http(s), credentials in it, or a non-public address (a redirect's included). */
  URL_NOT_ALLOWED: { http: 400, exit: 'badInput' },
  /** A download over INGEST_MAX_BYTES. */
  INGEST_TOO_LARGE: { http: 413, exit: 'badInput' },
  /** A download whose Content-Type is not a video (a web page, JSON, an image, audio). */
  INGEST_WRONG_TYPE: { http: 415, exit: 'badInput' },
  /** More redirects than INGEST_MAX_REDIRECTS. */
  INGEST_TOO_MANY_REDIRECTS: { http: 502, exit: 'failed' },
  /** The remote server answered a download with an error status. */
  INGEST_HTTP_STATUS: { http: 502, exit: 'failed' },
  /** A download not finished within INGEST_TIMEOUT_MS. */
  INGEST_TIMEOUT: { http: 504, exit: 'failed' },
  /** The remote server could not be resolved or reached. */
  INGEST_NETWORK: { http: 502, exit: 'failed' },

  // HTTP API requests
  /** Missing or wrong bearer token. */
  UNAUTHORIZED: { http: 401, exit: 'failed' },
  /** No such route. */
  NOT_FOUND: { http: 404, exit: 'failed' },
  /** The route exists, the method does not. */
  METHOD_NOT_ALLOWED: { http: 405, exit: 'failed' },
  /** A body that is not JSON. */
  INVALID_JSON: { http: 400, exit: 'failed' },
  /** A body or query that does not match the route's schema. */
  INVALID_REQUEST: { http: 400, exit: 'failed' },
  /** A path with `.` or `..` segments (also percent-encoded): nothing in a URL names a file. */
  INVALID_PATH: { http: 400, exit: 'failed' },
  /** No keyframe with that id for that video. */
  FRAME_NOT_FOUND: { http: 404, exit: 'failed' },
  /** The video has no normalized media yet (or its file is gone). */
  MEDIA_NOT_READY: { http: 404, exit: 'failed' },
  /** A Range header outside the file. */
  RANGE_NOT_SATISFIABLE: { http: 416, exit: 'failed' },
  /** An upload with no bytes. */
  EMPTY_UPLOAD: { http: 400, exit: 'failed' },
  /** A body over its limit (API_MAX_UPLOAD_BYTES, or 64 KiB of JSON). */
  PAYLOAD_TOO_LARGE: { http: 413, exit: 'failed' },
  /** A JSON route called without Content-Type: application/json. */
  UNSUPPORTED_MEDIA_TYPE: { http: 415, exit: 'failed' },
  /** API_MAX_CONCURRENT_UPLOADS uploads are already in progress. */
  UPLOADS_BUSY: { http: 503, exit: 'failed' },
  /** A fault on the server's side that it does not explain to clients (logged there). */
  INTERNAL: { http: 500, exit: 'failed' },
} as const satisfies Record<string, { http?: number; exit: 'usage' | 'badInput' | 'failed' }>;

export type ErrorCode = keyof typeof ERROR_CODES;
export type ExitClass = (typeof ERROR_CODES)[ErrorCode]['exit'];

export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(ERROR_CODES, code);
}

/** The HTTP status for an error with this code (503 or 400 by retryability when the code names none). */
export function httpStatusForCode(code: ErrorCode, retryable: boolean): number {
  const info: { http?: number; exit: ExitClass } = ERROR_CODES[code];
  return info.http ?? (retryable ? 503 : 400);
}
