import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { combineRanges, parse as parseRange } from 'range-parser';
import { z } from 'zod';
import {
  resolveInDataDir,
  validateId,
  validateVideoId,
  VideoNotFoundError,
  type Config,
  type Logger,
  type Store,
  type VideoStatus,
} from '@videoqa/core';
import { embeddingsFromConfig } from '@videoqa/stages';
import { listVideos, searchContent, type Db } from '@videoqa/storage-pg';
import { HttpError, parse, send } from './api-http.ts';
import { EventStream } from './event-stream.ts';
import { buildVideoExport, exportVideo } from './export.ts';
import { videoSummaryView } from './library-view.ts';

export interface ReadRoutesOptions {
  db: Db;
  store: Store;
  config: Config;
  log?: Logger;
}

export interface ReadRoutes {
  /** Answers a read route; false when the request is not one (the caller goes on). */
  handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean>;
  readonly events: EventStream;
  close(): Promise<void>;
}

const STATUSES = ['pending', 'processing', 'ready', 'failed'] as const satisfies readonly VideoStatus[];
/** Query-string numbers arrive as text. */
const intParam = (max: number) =>
  z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(1).max(max);
const listQuery = z
  .object({
    status: z.enum(STATUSES).optional(),
    limit: intParam(10_000).default(100),
    access_token: z.string().optional(),
  })
  .strict();
const searchQuery = z
  .object({
    q: z.string({ error: 'q is required' }).trim().min(1, 'must not be empty').max(1000),
    video: z.string().optional(),
    limit: intParam(100).default(10),
    access_token: z.string().optional(),
  })
  .strict();
const eventsQuery = z.object({ video: z.string().optional(), access_token: z.string().optional() }).strict();

/** A %-encoded path segment, or 400 when it does not decode (e.g. `%E0%A4%A`). */
function segment(raw: string, kind: string): string {
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    throw new HttpError(400, 'INVALID_ID', `the ${kind} id in the path is not valid percent-encoding`);
  }
  return validateId(decoded, kind);
}

/** A file under DATA_DIR named by a stored relative path, or 404 when it is not there (anymore). */
async function dataFile(
  config: Config,
  relPath: string,
  what: string,
): Promise<{ path: string; size: number; mtime: Date }> {
  // resolveInDataDir refuses "..", absolute paths elsewhere and symlinks pointing out of DATA_DIR.
  const path = resolveInDataDir(config.dataDir, relPath);
  const info = await stat(path).catch(() => null);
  if (!info?.isFile()) throw new HttpError(404, 'FILE_NOT_FOUND', `${what} is missing from DATA_DIR: ${relPath}`);
  return { path, size: info.size, mtime: info.mtime };
}

/**
 * Streams a file, honouring one HTTP Range (RFC 9110 §14) so a browser's <video> can seek:
 * 206 with Content-Range for a satisfiable range, 416 with `Content-Range: bytes * /size` for
 * one past the end, the whole file otherwise (a malformed or multi-part Range may be ignored).
 */
async function sendFile(
  req: IncomingMessage,
  res: ServerResponse,
  file: { path: string; size: number; mtime: Date },
  contentType: string,
): Promise<void> {
  const headers: Record<string, string | number> = {
    'content-type': contentType,
    'accept-ranges': 'bytes',
    'last-modified': file.mtime.toUTCString(),
    'cache-control': 'no-cache',
  };
  let start = 0;
  let end = file.size - 1;
  let status = 200;
  const header = req.headers.range;
  if (header) {
    const parsed = parseRange(file.size, header);
    // Malformed (bit 1) or another unit: the header is ignored and the whole file sent, as RFC 9110 allows.
    if (parsed.type === 'bytes' && (parsed.code & 1) === 0) {
      const ranges = combineRanges(parsed.ranges);
      if (ranges.length === 0) {
        res.setHeader('content-range', `bytes */${file.size}`);
        throw new HttpError(
          416,
          'RANGE_NOT_SATISFIABLE',
          `the range ${header.slice(0, 100)} is outside the file's ${file.size} bytes`,
        );
      }
      // Several disjoint ranges would need multipart/byteranges; browsers ask for one.
      if (ranges.length === 1) {
        start = ranges[0]!.start;
        end = ranges[0]!.end;
        status = 206;
        headers['content-range'] = `bytes ${start}-${end}/${file.size}`;
      }
    }
  }
  headers['content-length'] = file.size === 0 ? 0 : end - start + 1;
  res.writeHead(status, headers);
  if (req.method === 'HEAD' || file.size === 0) {
    res.end();
    return;
  }
  // A client that stops reading (a seek cancels the previous request) ends the stream early: not an error.
  await pipeline(createReadStream(file.path, { start, end }), res).catch(() => res.destroy());
}

/**
 * The read API, beside the job API in the same server and behind the same auth:
 *   GET /v1/videos[?status=&limit=]          the library
 *   GET /v1/videos/{id}                      the export document (schema_version 1)
 *   GET /v1/videos/{id}/frames/{frameId}     a keyframe JPEG
 *   GET /v1/videos/{id}/media                the normalized MP4, with Range support
 *   GET /v1/videos/{id}/subtitles.vtt        the transcript as WebVTT (the player's captions)
 *   GET /v1/search?q=&video=&limit=          hybrid search (text only without embeddings)
 *   GET /v1/events[?video=]                  Server-Sent Events from every worker
 */
export function createReadRoutes(options: ReadRoutesOptions): ReadRoutes {
  const { db, store, config } = options;
  const events = new EventStream({ db, heartbeatMs: config.apiEventsHeartbeatMs, log: options.log });

  const video = async (id: string) => {
    const v = await store.getVideo(id);
    if (!v) throw new VideoNotFoundError(id);
    return v;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    // Matched on the path as sent: URL parsing resolves `..` and `%2e%2e` segments away, and a
    // request naming one is refused as such rather than answered for some other path.
    const rawPath = (req.url ?? '/').split('?')[0]!;
    if (/(^|\/)(\.|%2e){1,2}(\/|$)/i.test(rawPath))
      throw new HttpError(400, 'INVALID_PATH', 'the path has "." or ".." segments');
    const path = url.pathname;
    const query = () => Object.fromEntries(url.searchParams);

    if (path === '/v1/videos') {
      const q = parse(listQuery, query());
      const videos = await listVideos(db, { status: q.status, limit: q.limit });
      send(res, 200, { videos: videos.map(videoSummaryView) });
      return true;
    }
    if (path === '/v1/search') {
      const q = parse(searchQuery, query());
      const videoId = q.video === undefined ? undefined : validateVideoId(q.video);
      const { provider } = embeddingsFromConfig(config);
      const hits = await searchContent(db, q.q, { limit: q.limit, videoId, embeddings: provider });
      send(res, 200, {
        query: q.q,
        mode: provider ? 'hybrid' : 'text',
        results: hits.map((h) => ({
          video_id: h.videoId,
          kind: h.kind,
          id: h.id,
          t_start: h.tStart,
          t_end: h.tEnd,
          text: h.text,
          score: h.score,
          frame: h.frame ?? null,
        })),
      });
      return true;
    }
    // A stream has no HEAD form: it would hold the connection open with nothing to say.
    if (path === '/v1/events' && req.method === 'GET') {
      const q = parse(eventsQuery, query());
      await events.subscribe(req, res, q.video === undefined ? undefined : validateVideoId(q.video));
      return true;
    }

    const m = /^\/v1\/videos\/([^/]+)(?:\/(media|subtitles\.vtt)|\/frames\/([^/]+))?$/.exec(rawPath);
    if (!m) return false;
    const videoId = segment(m[1]!, 'video');
    const frameId = m[3] === undefined ? undefined : segment(m[3], 'frame');
    switch (m[2] ?? (frameId ? 'frame' : 'export')) {
      case 'export':
        send(res, 200, await buildVideoExport(store, videoId));
        return true;
      case 'subtitles.vtt': {
        const vtt = await exportVideo(store, videoId, 'vtt');
        res.writeHead(200, { 'content-type': 'text/vtt; charset=utf-8', 'cache-control': 'no-cache' });
        res.end(req.method === 'HEAD' ? undefined : vtt);
        return true;
      }
      case 'media': {
        const v = await video(videoId);
        if (!v.normalizedPath)
          throw new HttpError(
            404,
            'MEDIA_NOT_READY',
            `video ${videoId} has no normalized media yet (status ${v.status ?? 'pending'})`,
          );
        await sendFile(req, res, await dataFile(config, v.normalizedPath, 'the normalized video'), 'video/mp4');
        return true;
      }
      default: {
        await video(videoId);
        // Looked up among this video's frames: a path can only come from the database, never from the URL.
        const frame = (await store.listFrames(videoId)).find((f) => f.id === frameId);
        if (!frame) throw new HttpError(404, 'FRAME_NOT_FOUND', `video ${videoId} has no frame ${frameId}`);
        await sendFile(req, res, await dataFile(config, frame.path, 'the frame image'), 'image/jpeg');
        return true;
      }
    }
  };

  return { handle, events, close: () => events.close() };
}
