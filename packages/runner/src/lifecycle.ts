import { lstat, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  resolveInDataDir,
  sleep,
  toDataDirRelative,
  validateId,
  validateVideoId,
  VideoNotFoundError,
  type Config,
  type Logger,
} from '@videoqa/core';
import {
  cancelJob,
  databaseSize,
  deleteVideoRows,
  jobStillHeld,
  mediaDueForRemoval,
  removeMediaIfIdle,
  videoMediaStates,
  videoRowUsage,
  type CancelResult,
  type Db,
  type MediaKind,
  type RowUsage,
} from '@videoqa/storage-pg';

/** What the lifecycle operations need: the database and DATA_DIR. */
export interface LifecycleContext {
  db: Db;
  config: Pick<Config, 'dataDir' | 'workerLeaseMs' | 'retainUploadsDays' | 'retainNormalizedDays'>;
}

/** Bytes of a file, or of everything under a directory; 0 when it is missing. Symlinks are not followed. */
async function bytesAt(path: string): Promise<number> {
  const info = await lstat(path).catch(() => null);
  if (!info) return 0;
  if (!info.isDirectory()) return info.isFile() ? info.size : 0;
  let total = 0;
  for (const name of await readdir(path).catch(() => [] as string[])) total += await bytesAt(join(path, name));
  return total;
}

/** The absolute path of a stored path when it is inside DATA_DIR, else null (never touched). */
function insideDataDir(dataDir: string, stored: string | null): string | null {
  if (!stored) return null;
  try {
    return resolveInDataDir(dataDir, stored);
  } catch {
    return null;
  }
}

/**
 * The upload videoqa may remove: a copy it made under uploads/ (`enqueue`, `process`, the
 * upload API). A file elsewhere in DATA_DIR that a job was pointed at is the user's own and is
 * kept, and so is a file another video still names.
 */
async function removableUpload(
  ctx: LifecycleContext,
  videoId: string,
  originalPath: string | null,
): Promise<string | null> {
  const abs = insideDataDir(ctx.config.dataDir, originalPath);
  if (!abs || !originalPath) return null;
  const rel = toDataDirRelative(ctx.config.dataDir, abs);
  if (!rel.startsWith('uploads/')) return null;
  const shared = await ctx.db.query(
    'SELECT 1 FROM videos WHERE id <> $1 AND (original_path = $2 OR original_path = $3) LIMIT 1',
    [videoId, originalPath, rel],
  );
  return shared.rowCount > 0 ? null : abs;
}

/** The directories and files named after a video id (DESIGN §3), absolute. */
function derivedPaths(dataDir: string, videoId: string) {
  const root = resolveInDataDir(dataDir, '.');
  return {
    processed: join(root, 'processed', videoId),
    normalized: join(root, 'processed', videoId, 'normalized.mp4'),
    audio: join(root, 'processed', videoId, 'audio.wav'),
    frames: join(root, 'frames', videoId),
    subs: join(root, 'subs', `${videoId}.srt`),
  };
}

/** Removes paths that exist; returns them relative to DATA_DIR with the bytes they held. */
async function removeAll(dataDir: string, paths: readonly string[]): Promise<{ files: string[]; bytes: number }> {
  const files: string[] = [];
  let bytes = 0;
  for (const given of paths) {
    // Checked again here: a directory on the way that is a symlink out of DATA_DIR is skipped, never followed.
    const p = insideDataDir(dataDir, given);
    if (!p) continue;
    const size = await bytesAt(p);
    if (!(await lstat(p).catch(() => null))) continue;
    await rm(p, { recursive: true, force: true });
    files.push(toDataDirRelative(dataDir, p));
    bytes += size;
  }
  return { files, bytes };
}

/**
 * Waits until no worker holds the job any more: it acknowledged the cancel, or its lease ran
 * out. A Postgres lease bounds this by itself; a Redis-mirrored row has no lease in Postgres,
 * so after two leases the worker is taken for dead.
 */
async function waitUntilReleased(db: Db, jobId: string, leaseMs: number): Promise<void> {
  const giveUpAt = Date.now() + 2 * leaseMs;
  while ((await jobStillHeld(db, jobId)) && Date.now() < giveUpAt) await sleep(100);
}

export interface DeleteOptions {
  /** Keep the uploaded file (uploads/...): only the results and derived media go. */
  keepUpload?: boolean;
  /** Cancel a running job of the video first (and wait for its worker to let go) instead of refusing. */
  force?: boolean;
}

export interface DeleteResult {
  video_id: string;
  /** false: nothing of this video was left (a second delete): not an error. */
  deleted: boolean;
  /** Rows removed per table. */
  rows: Record<string, number>;
  /** Files and directories removed, relative to DATA_DIR. */
  files: string[];
  bytes_freed: number;
  /** Jobs cancelled because of --force. */
  cancelled_jobs: string[];
}

/**
 * Deletes a video: every row of it in one transaction, then its files under DATA_DIR
 * (processed/{id}/, frames/{id}/, subs/{id}.srt, and its upload unless keepUpload).
 * VIDEO_BUSY while a job of it runs, unless force (cancel first). Idempotent: deleting a video
 * that is gone succeeds with deleted=false, and still sweeps files left under its id.
 */
export async function deleteVideo(
  ctx: LifecycleContext,
  videoId: string,
  options: DeleteOptions = {},
): Promise<DeleteResult> {
  validateVideoId(videoId);
  const cancelled: string[] = [];
  if (options.force) {
    const running = await ctx.db.query<{ id: string }>(
      `SELECT id FROM jobs WHERE video_id = $1 AND status IN ('pending', 'processing', 'cancelled') ORDER BY created_at`,
      [videoId],
    );
    for (const { id } of running.rows) {
      const r = await cancelJob(ctx.db, id).catch(() => null);
      if (r && r.previous !== 'cancelled') cancelled.push(id);
      await waitUntilReleased(ctx.db, id, ctx.config.workerLeaseMs);
    }
  }
  const removedRows = await deleteVideoRows(ctx.db, videoId);
  const d = derivedPaths(ctx.config.dataDir, videoId);
  const paths = [d.processed, d.frames, d.subs];
  if (!options.keepUpload) {
    const upload = await removableUpload(ctx, videoId, removedRows.originalPath);
    if (upload) paths.push(upload);
  }
  const removed = await removeAll(ctx.config.dataDir, paths);
  return {
    video_id: videoId,
    deleted: removedRows.found,
    rows: removedRows.rows,
    files: removed.files,
    bytes_freed: removed.bytes,
    cancelled_jobs: cancelled,
  };
}

export interface CancelView {
  job_id: string;
  video_id: string;
  status: 'cancelled';
  previous_status: string;
  /** A worker was running it: it stops at once on the notification, at the latest at its next lease renewal. */
  stopping: boolean;
}

/** Cancels a job (JOB_NOT_FOUND, INVALID_STATE for a finished one); cancelling twice is fine. */
export async function cancelJobById(ctx: Pick<LifecycleContext, 'db'>, jobId: string): Promise<CancelView> {
  validateId(jobId, 'job');
  const r: CancelResult = await cancelJob(ctx.db, jobId);
  return {
    job_id: r.job.id,
    video_id: r.job.videoId,
    status: 'cancelled',
    previous_status: r.previous,
    stopping: r.running,
  };
}

export interface GcResult {
  retain_uploads_days: number | null;
  retain_normalized_days: number | null;
  removed: { video_id: string; kind: MediaKind; files: string[]; bytes: number }[];
  bytes_freed: number;
}

/**
 * Applies RETAIN_UPLOADS_DAYS and RETAIN_NORMALIZED_DAYS: removes the upload and/or
 * processed/{id}/ (normalized.mp4, audio.wav) of videos ready for longer than that, and
 * records when. Transcripts, subtitles, keyframes, captions, OCR and vectors stay, so search
 * and ask keep working. A setting left unset removes nothing of its kind.
 */
export async function collectGarbage(ctx: LifecycleContext, log?: Logger): Promise<GcResult> {
  const result: GcResult = {
    retain_uploads_days: ctx.config.retainUploadsDays ?? null,
    retain_normalized_days: ctx.config.retainNormalizedDays ?? null,
    removed: [],
    bytes_freed: 0,
  };
  const plan: [MediaKind, number | undefined][] = [
    ['upload', ctx.config.retainUploadsDays],
    ['normalized', ctx.config.retainNormalizedDays],
  ];
  for (const [kind, days] of plan) {
    if (days === undefined) continue;
    for (const video of await mediaDueForRemoval(ctx.db, kind, days)) {
      let removed = { files: [] as string[], bytes: 0 };
      // Looked up before the transaction: on PGlite (one connection) a query beside it would wait for it forever.
      const target =
        kind === 'upload'
          ? await removableUpload(ctx, video.id, video.originalPath)
          : derivedPaths(ctx.config.dataDir, video.id).processed;
      const done = await removeMediaIfIdle(ctx.db, video.id, kind, async () => {
        removed = await removeAll(ctx.config.dataDir, target ? [target] : []);
      });
      if (!done) continue;
      result.removed.push({ video_id: video.id, kind, ...removed });
      result.bytes_freed += removed.bytes;
      log?.info(
        { videoId: video.id, kind, bytes: removed.bytes },
        `GC: removed the ${kind} media of video ${video.id} (${removed.bytes} bytes; retention ${days} days)`,
      );
    }
  }
  return result;
}

/** Runs collectGarbage now and every `intervalMs` while retention is configured; the returned function stops it. */
export function startRetentionTimer(ctx: LifecycleContext, intervalMs: number, log: Logger): () => Promise<void> {
  if (ctx.config.retainUploadsDays === undefined && ctx.config.retainNormalizedDays === undefined)
    return async () => {};
  let running: Promise<unknown> = Promise.resolve();
  const tick = () => {
    running = running
      .then(() => collectGarbage(ctx, log))
      .catch((err: unknown) => log.warn({ err }, 'retention run failed; will try again at the next interval'));
  };
  tick();
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}

export const USAGE_KINDS = ['upload', 'normalized', 'audio', 'frames', 'subtitles', 'other', 'database'] as const;
export type UsageKind = (typeof USAGE_KINDS)[number];

export interface VideoUsage {
  video_id: string;
  status: string;
  /** Bytes per kind; `database` is the sum of pg_column_size over the video's rows. */
  bytes: Record<UsageKind, number>;
  total: number;
  database_rows: RowUsage['tables'];
  upload_removed_at: string | null;
  normalized_removed_at: string | null;
}

export interface StorageUsage {
  videos: VideoUsage[];
  totals: Record<UsageKind, number> & { total: number };
  /** pg_database_size: everything in the database, indexes and free space included (absent for one video). */
  database_size_bytes?: number;
  method: string;
}

export const USAGE_METHOD =
  'files: sizes on disk under DATA_DIR (upload = videos.original_path; normalized, audio = processed/{id}/normalized.mp4, audio.wav; other = the rest of processed/{id}/; frames = frames/{id}/; subtitles = subs/{id}.srt); database: sum of pg_column_size(row) over the rows of the video in every table with a video_id, plus its videos row (indexes and page overhead not included)';

/** Bytes per video and per kind: one video with `videoId` (VIDEO_NOT_FOUND if unknown), else all. */
export async function diskUsage(ctx: LifecycleContext, videoId?: string): Promise<StorageUsage> {
  if (videoId !== undefined) validateVideoId(videoId);
  const states = await videoMediaStates(ctx.db, videoId === undefined ? undefined : [videoId]);
  if (videoId !== undefined && states.length === 0) throw new VideoNotFoundError(videoId);
  const rows = await videoRowUsage(ctx.db, videoId === undefined ? undefined : [videoId]);
  const videos: VideoUsage[] = [];
  for (const v of states) {
    const d = derivedPaths(ctx.config.dataDir, v.id);
    const upload = insideDataDir(ctx.config.dataDir, v.originalPath);
    const [uploadBytes, normalized, audio, processed, frames, subtitles] = await Promise.all([
      upload ? bytesAt(upload) : 0,
      bytesAt(d.normalized),
      bytesAt(d.audio),
      bytesAt(d.processed),
      bytesAt(d.frames),
      bytesAt(d.subs),
    ]);
    const r = rows.get(v.id);
    const bytes: Record<UsageKind, number> = {
      upload: uploadBytes,
      normalized,
      audio,
      frames,
      subtitles,
      other: processed - normalized - audio,
      database: r?.bytes ?? 0,
    };
    videos.push({
      video_id: v.id,
      status: v.status,
      bytes,
      total: USAGE_KINDS.reduce((s, k) => s + bytes[k], 0),
      database_rows: r?.tables ?? {},
      upload_removed_at: v.uploadRemovedAt?.toISOString() ?? null,
      normalized_removed_at: v.normalizedRemovedAt?.toISOString() ?? null,
    });
  }
  const totals = Object.fromEntries(USAGE_KINDS.map((k) => [k, videos.reduce((s, v) => s + v.bytes[k], 0)])) as Record<
    UsageKind,
    number
  >;
  return {
    videos,
    totals: { ...totals, total: videos.reduce((s, v) => s + v.total, 0) },
    ...(videoId === undefined ? { database_size_bytes: await databaseSize(ctx.db) } : {}),
    method: USAGE_METHOD,
  };
}
