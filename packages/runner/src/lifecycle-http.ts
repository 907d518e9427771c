import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { InvalidStateError } from '@videoqa/core';
import { HttpError, parse, send } from './api-http.ts';
import { cancelJobById, deleteVideo, diskUsage, type LifecycleContext } from './lifecycle.ts';

const flag = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');
const deleteQuery = z.object({ keep_upload: flag.optional(), force: flag.optional() }).strict();

function segment(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new HttpError(400, 'INVALID_ID', 'the id in the path is not valid percent-encoding');
  }
}

/**
 * The lifecycle routes of the job API (auth already checked by the caller):
 *   DELETE /v1/videos/{id}?keep_upload=true&force=true   → 200 what was removed (deleted:false when already gone)
 *   DELETE /v1/jobs/{id}                                 → 200 the job cancelled
 *   GET    /v1/videos/{id}/usage                         → 200 bytes per kind for one video
 *   GET    /v1/storage                                   → 200 bytes per video and totals
 * Returns false for any other request, which the caller then routes.
 */
export async function handleLifecycleRoute(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  ctx: LifecycleContext,
): Promise<boolean> {
  const path = url.pathname;
  const video = /^\/v1\/videos\/([^/]+)(\/usage)?$/.exec(path);
  if (video && req.method === 'DELETE' && !video[2]) {
    const q = parse(deleteQuery, Object.fromEntries(url.searchParams));
    send(res, 200, await deleteVideo(ctx, segment(video[1]!), { keepUpload: q.keep_upload, force: q.force }));
    return true;
  }
  if (video && req.method === 'GET' && video[2]) {
    const usage = await diskUsage(ctx, segment(video[1]!));
    send(res, 200, { ...usage.videos[0], method: usage.method });
    return true;
  }
  if (path === '/v1/storage' && req.method === 'GET') {
    send(res, 200, await diskUsage(ctx));
    return true;
  }
  const job = /^\/v1\/jobs\/([^/]+)$/.exec(path);
  if (job && req.method === 'DELETE') {
    try {
      send(res, 200, await cancelJobById(ctx, segment(job[1]!)));
    } catch (err) {
      // A finished job cannot be cancelled: a conflict with its state, not a malformed request.
      if (err instanceof InvalidStateError) throw new HttpError(409, err.code, err.message);
      throw err;
    }
    return true;
  }
  return false;
}
