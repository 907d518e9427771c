import { timingSafeEqual } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { z } from 'zod';
import {
  ConfigError,
  FileNotFoundError,
  newId,
  resolveInDataDir,
  safeFileName,
  tempPathFor,
  toDataDirRelative,
  validateId,
  validateVideoId,
  VideoBusyError,
  VideoqaError,
  httpStatusForCode,
  type ErrorCode,
  type Config,
  type Logger,
  type Store,
} from '@videoqa/core';
import { activeJobForVideo, getJob, listWebhookDeliveries, type Db, type JobKind } from '@videoqa/storage-pg';
import { listenOn, sendJson } from './http-helpers.ts';
import { handleAsk } from './ask-http.ts';
import { handleLifecycleRoute } from './lifecycle-http.ts';
import { createUrlIngest } from './url-jobs-http.ts';
import { resolveJobWebhook } from './webhooks/webhook-target.ts';
import type { EnqueuingJobSource } from './job-sources.ts';
import { createReadRoutes } from './read-http.ts';
import { createViewerFiles } from './viewer-http.ts';

export interface ApiServerOptions {
  db: Db;
  store: Store;
  config: Config;
  /** Where jobs are put (the Postgres queue or Redis). */
  source: Pick<EnqueuingJobSource, 'enqueue' | 'name'>;
  log?: Logger;
  host?: string;
  port?: number;
  /** Also serve the web viewer's pages at / (`videoqa serve`). */
  viewer?: boolean;
}

export interface ApiServer {
  url: string;
  /** GET /v1/events streams open now. */
  readonly eventClients: number;
  close(): Promise<void>;
}

const kind = z.enum(['process', 'transcribe']);
const submitSchema = z
  .object({
    path: z
      .string()
      .min(1, 'path must not be empty')
      .describe('the media file, relative to DATA_DIR (or absolute inside it)')
      .optional(),
    url: z
      .string()
      .min(1, 'url must not be empty')
      .max(4096)
      .describe('an http(s) URL to download the media file from')
      .optional(),
    webhook_url: z.string().min(1).max(4096).describe('where the ready/failed event is POSTed').optional(),
    kind: kind.default('transcribe'),
    video_id: z.string().optional(),
    max_attempts: z.number().int().min(1).max(100).optional(),
  })
  .strict()
  .refine((b) => (b.path === undefined) !== (b.url === undefined), {
    message: 'give either path or url',
    path: ['path'],
  });
const uploadQuery = z
  .object({
    filename: z.string().min(1).max(200).default('upload.mp4'),
    kind: kind.default('transcribe'),
    video_id: z.string().optional(),
    webhook_url: z.string().min(1).max(4096).optional(),
  })
  .strict();

/**
 * A refused request: a VideoqaError (one error class, codes from ERROR_CODES) with the
 * status to answer, when the status is not the code's usual one, and the zod issues.
 */
export class HttpError extends VideoqaError {
  readonly status: number;
  readonly issues: unknown;
  constructor(status: number, code: ErrorCode, message: string, issues?: unknown) {
    super(code, message, status >= 500);
    this.status = status;
    this.issues = issues;
  }
}

/** A %-encoded path segment, or 400 when it does not decode (e.g. `%E0%A4%A`). */
function decodePathSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpError(400, 'INVALID_ID', 'the id in the path is not valid percent-encoding');
  }
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/** The JSON reply of every route (shared with the dev server: http-helpers.ts). */
export const send = sendJson;

export async function readJson(req: IncomingMessage, limit = 64 * 1024): Promise<unknown> {
  if (!/^application\/json\b/i.test(req.headers['content-type'] ?? ''))
    throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', 'send JSON with Content-Type: application/json');
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new HttpError(413, 'PAYLOAD_TOO_LARGE', `JSON body over ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, 'INVALID_JSON', 'the body is not valid JSON');
  }
}

export function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const r = schema.safeParse(value);
  if (!r.success) {
    throw new HttpError(
      400,
      'INVALID_REQUEST',
      r.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '),
      r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    );
  }
  return r.data;
}

/**
 * The transcription service API of seed 003, for other systems to call:
 *   POST /v1/jobs            {"path": "uploads/x.mp4", "kind": "transcribe"}   → 201 job
 *   POST /v1/uploads?filename=x.mp4&kind=transcribe   (raw bytes, size-limited) → 201 job
 *   GET  /v1/jobs/{id}       status, error, and the transcription when done
 *   GET  /v1/jobs/{id}/segments, GET /healthz
 * Off unless API_HTTP=true. Bound beyond loopback it requires API_TOKEN as a bearer token.
 */
export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const { db, store, config, source } = options;
  const host = options.host ?? config.apiHttpHost;
  const token = config.apiToken;
  if (!LOOPBACK.has(host) && !token) {
    throw new ConfigError([
      { variable: 'API_TOKEN', message: `is required when the API listens beyond loopback (API_HTTP_HOST=${host})` },
    ]);
  }
  if (!source.enqueue) throw new Error('the job source cannot enqueue');
  const enqueue = source.enqueue.bind(source);
  const ingestUrl = createUrlIngest({ db, config });

  const authorized = (req: IncomingMessage): boolean => {
    if (!token) return true;
    // Only the Bearer scheme: a bare token in the header is refused, as RFC 6750 has it.
    const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    // <video>, <img> and EventSource cannot send headers: GETs may carry the token as
    // ?access_token= instead (RFC 6750 §2.3).
    const fromQuery =
      req.method === 'GET' || req.method === 'HEAD'
        ? new URL(req.url ?? '/', 'http://api').searchParams.get('access_token')
        : null;
    const given = Buffer.from(m?.[1] ?? fromQuery ?? '');
    const want = Buffer.from(token);
    return given.length === want.length && timingSafeEqual(given, want);
  };

  const jobView = async (id: string) => {
    const job = await getJob(db, id);
    return {
      job_id: job.id,
      video_id: job.videoId,
      kind: job.kind,
      status: job.status,
      attempts: job.attempts,
      max_attempts: job.maxAttempts ?? config.workerMaxAttempts,
      error: job.error,
      transcription: job.status === 'done' ? job.transcription : null,
      created_at: job.createdAt,
      updated_at: job.updatedAt,
      webhooks: (await listWebhookDeliveries(db, job.id)).map((d) => ({
        webhook_id: d.id,
        type: d.eventType,
        status: d.status,
        attempts: d.attempts,
        last_status_code: d.lastStatusCode,
        last_error: d.lastError,
        delivered_at: d.deliveredAt,
      })),
    };
  };

  /** Refuses a video that has a job pending or running: a second one would race it (rename collisions, AI calls doubled). */
  const ensureIdle = async (videoId: string) => {
    const active = await activeJobForVideo(db, videoId);
    if (active) throw new VideoBusyError(videoId, active.id, active.status);
  };

  const submit = async (
    videoId: string,
    originalPath: string,
    jobKind: JobKind,
    maxAttempts?: number,
    webhookUrl?: string,
  ) => {
    const job = await enqueue({ videoId, originalPath, kind: jobKind, maxAttempts, webhookUrl });
    return jobView(job.id);
  };

  /** Streams the request body to uploads/, size-limited, then enqueues it. */
  const receiveUpload = async (req: IncomingMessage, res: ServerResponse, url: URL) => {
    const q = parse(uploadQuery, Object.fromEntries(url.searchParams));
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (Number.isFinite(declared) && declared > config.apiMaxUploadBytes)
      throw new HttpError(
        413,
        'PAYLOAD_TOO_LARGE',
        `upload of ${declared} bytes is over API_MAX_UPLOAD_BYTES (${config.apiMaxUploadBytes})`,
      );
    const videoId = validateVideoId(q.video_id ?? newId());
    const webhookUrl = await resolveJobWebhook(config, q.webhook_url);
    await ensureIdle(videoId); // before the upload replaces the file under a pending job
    const target = resolveInDataDir(config.dataDir, join('uploads', `${videoId}_${safeFileName(q.filename)}`));
    await mkdir(join(config.dataDir, 'uploads'), { recursive: true });
    const temp = tempPathFor(target);
    let received = 0;
    try {
      await pipeline(
        req,
        async function* (source: AsyncIterable<Buffer>) {
          for await (const chunk of source) {
            received += chunk.length;
            if (received > config.apiMaxUploadBytes)
              throw new HttpError(
                413,
                'PAYLOAD_TOO_LARGE',
                `upload is over API_MAX_UPLOAD_BYTES (${config.apiMaxUploadBytes})`,
              );
            yield chunk;
          }
        },
        createWriteStream(temp),
      );
      if (received === 0) throw new HttpError(400, 'EMPTY_UPLOAD', 'the upload is empty');
      await rename(temp, target);
    } catch (err) {
      await rm(temp, { force: true });
      throw err;
    }
    return send(
      res,
      201,
      await submit(videoId, toDataDirRelative(config.dataDir, target), q.kind, undefined, webhookUrl),
    );
  };

  let uploadsInFlight = 0;
  const reads = createReadRoutes({ db, store, config, log: options.log });
  const viewer = options.viewer ? await createViewerFiles() : undefined;

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://api');
    const path = url.pathname;
    if (path === '/healthz' && req.method === 'GET') {
      await db.query('SELECT 1');
      return send(res, 200, { ok: true, status: 'healthy', queue: source.name });
    }
    if (viewer && (await viewer.handle(req, res, path))) return;
    if (!authorized(req)) throw new HttpError(401, 'UNAUTHORIZED', 'missing or wrong bearer token');

    if (path === '/v1/jobs' && req.method === 'POST') {
      const body = parse(submitSchema, await readJson(req));
      const webhookUrl = await resolveJobWebhook(config, body.webhook_url);
      if (body.url !== undefined) {
        const videoId = validateVideoId(body.video_id ?? newId());
        await ensureIdle(videoId);
        return send(
          res,
          201,
          await submit(videoId, await ingestUrl(body.url, videoId), body.kind, body.max_attempts, webhookUrl),
        );
      }
      if (body.path === undefined) throw new HttpError(400, 'INVALID_REQUEST', 'give either path or url');
      const abs = resolveInDataDir(config.dataDir, body.path);
      const info = await stat(abs).catch(() => null);
      if (!info?.isFile()) throw new FileNotFoundError(body.path, 'Media file not found in DATA_DIR');
      const videoId = validateVideoId(body.video_id ?? newId());
      await ensureIdle(videoId);
      return send(
        res,
        201,
        await submit(videoId, toDataDirRelative(config.dataDir, abs), body.kind, body.max_attempts, webhookUrl),
      );
    }

    if (path === '/v1/uploads' && req.method === 'POST') {
      if (uploadsInFlight >= config.apiMaxConcurrentUploads) {
        res.setHeader('retry-after', '5');
        throw new HttpError(
          503,
          'UPLOADS_BUSY',
          `${uploadsInFlight} uploads are in progress (API_MAX_CONCURRENT_UPLOADS); try again shortly`,
        );
      }
      uploadsInFlight++;
      try {
        return await receiveUpload(req, res, url);
      } finally {
        uploadsInFlight--;
      }
    }

    if (path === '/v1/ask' && req.method === 'POST') return handleAsk(req, res, { db, config, log: options.log });
    if (await reads.handle(req, res, url)) return;

    if (await handleLifecycleRoute(req, res, url, { db, config })) return;

    const jobMatch = /^\/v1\/jobs\/([^/]+)(\/segments)?$/.exec(path);
    if (jobMatch && req.method === 'GET') {
      const id = validateId(decodePathSegment(jobMatch[1]!), 'job');
      const view = await jobView(id);
      if (!jobMatch[2]) return send(res, 200, view);
      const segments = await store.listSegments(view.video_id);
      return send(res, 200, {
        job_id: id,
        video_id: view.video_id,
        segments: segments.map((s) => ({ id: s.id, t_start: s.tStart, t_end: s.tEnd, text: s.text })),
      });
    }
    if (path.startsWith('/v1/'))
      throw new HttpError(405, 'METHOD_NOT_ALLOWED', `${req.method} ${path} is not supported`);
    throw new HttpError(404, 'NOT_FOUND', `no route ${path}`);
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (err instanceof HttpError)
        return send(res, err.status, {
          error: { code: err.code, message: err.message, ...(err.issues ? { issues: err.issues } : {}) },
        });
      if (err instanceof VideoqaError)
        return send(res, httpStatusForCode(err.code, err.retryable), {
          error: { code: err.code, message: err.message },
        });
      options.log?.error({ err }, 'API request failed');
      send(res, 500, { error: { code: 'INTERNAL', message: 'internal error' } });
    });
  });
  // Node holds a slow request for 300 s by default; a trickling upload must not pin a slot that long.
  server.requestTimeout = config.apiRequestTimeoutMs;
  server.headersTimeout = Math.min(60_000, config.apiRequestTimeoutMs);
  server.timeout = config.apiIdleTimeoutMs;
  const url = await listenOn(server, options.port ?? config.apiHttpPort, host);
  options.log?.info({ url, auth: Boolean(token) }, `transcription API listening on ${url}`);
  return {
    url,
    get eventClients() {
      return reads.events.clientCount;
    },
    close: async () => {
      // Event streams never end by themselves: end them first, or close() would wait for them.
      await reads.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
