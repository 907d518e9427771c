import type { VideoStatus } from '@videoqa/core';
import type { Queryable } from './db.ts';

/** One line of the library: a video with what it holds. */
export interface VideoSummary {
  id: string;
  /** Relative to DATA_DIR. */
  originalPath: string | null;
  durationSec: number | null;
  status: VideoStatus;
  error: string | null;
  createdAt: Date;
  updatedAt: Date;
  counts: { segments: number; scenes: number; frames: number; captions: number };
}

export interface ListVideosOptions {
  status?: VideoStatus;
  /** Newest first; default 100, at most 10,000. */
  limit?: number;
}

interface Row {
  id: string;
  original_path: string | null;
  duration_sec: number | null;
  status: VideoStatus;
  error: string | null;
  created_at: Date;
  updated_at: Date;
  segments: number;
  scenes: number;
  frames: number;
  captions: number;
}

/** Videos, newest first, with their row counts (one query; each count uses its video index). */
export async function listVideos(db: Queryable, options: ListVideosOptions = {}): Promise<VideoSummary[]> {
  const limit = Math.min(Math.max(1, Math.trunc(options.limit ?? 100)), 10_000);
  const res = await db.query<Row>(
    `SELECT v.id, v.original_path, v.duration_sec, v.status, v.error, v.created_at, v.updated_at,
            (SELECT count(*)::int FROM transcript_segments s WHERE s.video_id = v.id) AS segments,
            (SELECT count(*)::int FROM scenes s WHERE s.video_id = v.id) AS scenes,
            (SELECT count(*)::int FROM frames f WHERE f.video_id = v.id) AS frames,
            (SELECT count(*)::int FROM frame_captions c WHERE c.video_id = v.id) AS captions
       FROM videos v
      WHERE ($1::text IS NULL OR v.status = $1)
      ORDER BY v.created_at DESC, v.id
      LIMIT $2`,
    [options.status ?? null, limit],
  );
  return res.rows.map((r) => ({
    id: r.id,
    originalPath: r.original_path,
    durationSec: r.duration_sec === null ? null : Number(r.duration_sec),
    status: r.status,
    error: r.error,
    createdAt: new Date(r.created_at),
    updatedAt: new Date(r.updated_at),
    counts: { segments: r.segments, scenes: r.scenes, frames: r.frames, captions: r.captions },
  }));
}

/** The newest video made from a file with this SHA-256 that did not fail, if any. */
export async function findVideoByContent(
  db: Queryable,
  sha256: string,
): Promise<{ id: string; status: VideoStatus } | null> {
  const res = await db.query<{ id: string; status: VideoStatus }>(
    `SELECT id, status FROM videos WHERE content_sha256 = $1 AND status <> 'failed' ORDER BY created_at DESC LIMIT 1`,
    [sha256],
  );
  return res.rows[0] ?? null;
}

/** Records the SHA-256 of the file a video was made from. */
export async function setVideoContentHash(db: Queryable, videoId: string, sha256: string): Promise<void> {
  await db.query(`UPDATE videos SET content_sha256 = $2, updated_at = now() WHERE id = $1`, [videoId, sha256]);
}
