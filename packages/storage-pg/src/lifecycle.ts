import { VideoBusyError } from '@videoqa/core';
import type { Db, Queryable } from './db.ts';

/** Same advisory-lock namespace as claimJob: a delete or gc of a video serialises with claims of it. */
const VIDEO_CLAIM_LOCK = 719_320;

/** Only catalog names of this shape are put into SQL text (the values always go in as parameters). */
const SAFE_IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

/**
 * Every table of the schema with a video_id column, from the catalog rather than a list, so a
 * table a later migration adds is deleted and counted too. `jobs` has no foreign key to videos
 * (the seed enqueues with a bare INSERT), so cascades alone would leave its rows behind.
 */
export async function videoTables(db: Queryable): Promise<string[]> {
  const res = await db.query<{ table_name: string }>(
    `SELECT c.table_name FROM information_schema.columns c
       JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
      WHERE c.table_schema = current_schema() AND c.column_name = 'video_id' AND t.table_type = 'BASE TABLE'
      ORDER BY c.table_name`,
  );
  return res.rows.map((r) => r.table_name).filter((t) => SAFE_IDENTIFIER.test(t));
}

export interface DeletedVideoRows {
  /** false: there was no such video (nor rows of it): deleting is idempotent. */
  found: boolean;
  originalPath: string | null;
  /** Rows removed per table, the videos row included; tables with none are left out. */
  rows: Record<string, number>;
}

/**
 * Deletes a video and every row that names it, in one transaction. Refuses with VIDEO_BUSY
 * while a worker holds a job of it (processing, or cancelled but not yet let go); pending jobs
 * go with the video, so they are never claimed. The claim lock of the video is held to commit,
 * so no worker claims one of its jobs half-way through.
 */
export async function deleteVideoRows(db: Db, videoId: string): Promise<DeletedVideoRows> {
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [VIDEO_CLAIM_LOCK, videoId]);
    const video = await tx.query<{ original_path: string | null }>(
      'SELECT original_path FROM videos WHERE id = $1 FOR UPDATE',
      [videoId],
    );
    const held = await tx.query<{ id: string; status: string }>(
      `SELECT id, status FROM jobs WHERE video_id = $1
          AND (status = 'processing' OR (status = 'cancelled' AND locked_by IS NOT NULL AND locked_until > now()))
        ORDER BY created_at LIMIT 1 FOR UPDATE`,
      [videoId],
    );
    if (held.rows[0])
      throw new VideoBusyError(
        videoId,
        held.rows[0].id,
        held.rows[0].status === 'cancelled' ? 'still stopping after its cancel' : 'running',
      );
    const rows: Record<string, number> = {};
    for (const table of await videoTables(tx)) {
      const res = await tx.query(`DELETE FROM ${table} WHERE video_id = $1`, [videoId]);
      if (res.rowCount > 0) rows[table] = res.rowCount;
    }
    const v = await tx.query('DELETE FROM videos WHERE id = $1', [videoId]);
    if (v.rowCount > 0) rows.videos = v.rowCount;
    return { found: Object.keys(rows).length > 0, originalPath: video.rows[0]?.original_path ?? null, rows };
  });
}

export interface RowUsage {
  /** Per table: rows and the bytes of their tuples (pg_column_size of the whole row). */
  tables: Record<string, { rows: number; bytes: number }>;
  bytes: number;
}

/**
 * What a video's rows weigh: the sum of pg_column_size(row) over its rows in every table with
 * a video_id, plus its videos row. This is the data itself (TOAST-compressed sizes included);
 * index entries and page overhead are not counted, so the table files on disk are larger.
 */
export async function videoRowUsage(db: Queryable, videoIds?: readonly string[]): Promise<Map<string, RowUsage>> {
  const out = new Map<string, RowUsage>();
  const add = (videoId: string, table: string, rows: number, bytes: number) => {
    const u = out.get(videoId) ?? { tables: {}, bytes: 0 };
    u.tables[table] = { rows, bytes };
    u.bytes += bytes;
    out.set(videoId, u);
  };
  const ids = videoIds ? [...videoIds] : null;
  const v = await db.query<{ video_id: string; n: number; bytes: string }>(
    `SELECT t.id AS video_id, 1 AS n, pg_column_size(t.*)::bigint AS bytes FROM videos t WHERE ($1::text[] IS NULL OR t.id = ANY($1))`,
    [ids],
  );
  for (const r of v.rows) add(r.video_id, 'videos', Number(r.n), Number(r.bytes));
  for (const table of await videoTables(db)) {
    const res = await db.query<{ video_id: string; n: number; bytes: string }>(
      `SELECT t.video_id, count(*)::int AS n, coalesce(sum(pg_column_size(t.*)), 0)::bigint AS bytes
         FROM ${table} t WHERE ($1::text[] IS NULL OR t.video_id = ANY($1)) GROUP BY t.video_id`,
      [ids],
    );
    for (const r of res.rows) add(r.video_id, table, Number(r.n), Number(r.bytes));
  }
  return out;
}

/** Size of the whole database (tables, indexes, TOAST, free space): what `du` cannot attribute to a video. */
export async function databaseSize(db: Queryable): Promise<number> {
  const res = await db.query<{ bytes: string }>('SELECT pg_database_size(current_database())::bigint AS bytes');
  return Number(res.rows[0]?.bytes ?? 0);
}

export interface VideoMediaState {
  id: string;
  status: string;
  originalPath: string | null;
  readyAt: Date | null;
  uploadRemovedAt: Date | null;
  normalizedRemovedAt: Date | null;
}

interface MediaRow {
  id: string;
  status: string;
  original_path: string | null;
  ready_at: Date | null;
  upload_removed_at: Date | null;
  normalized_removed_at: Date | null;
}

const fromMediaRow = (r: MediaRow): VideoMediaState => ({
  id: r.id,
  status: r.status,
  originalPath: r.original_path,
  readyAt: r.ready_at ? new Date(r.ready_at) : null,
  uploadRemovedAt: r.upload_removed_at ? new Date(r.upload_removed_at) : null,
  normalizedRemovedAt: r.normalized_removed_at ? new Date(r.normalized_removed_at) : null,
});

/** Media state of some videos (all when ids is omitted), oldest first. */
export async function videoMediaStates(db: Queryable, videoIds?: readonly string[]): Promise<VideoMediaState[]> {
  const res = await db.query<MediaRow>(
    `SELECT id, status, original_path, ready_at, upload_removed_at, normalized_removed_at FROM videos
      WHERE ($1::text[] IS NULL OR id = ANY($1)) ORDER BY created_at, id`,
    [videoIds ? [...videoIds] : null],
  );
  return res.rows.map(fromMediaRow);
}

export type MediaKind = 'upload' | 'normalized';

/**
 * Ready videos whose media of this kind has outlived its retention (ready for longer than
 * `days`) and is still there. The clock is videos.ready_at, set by a trigger when a video
 * becomes ready.
 */
export async function mediaDueForRemoval(db: Queryable, kind: MediaKind, days: number): Promise<VideoMediaState[]> {
  const column = kind === 'upload' ? 'upload_removed_at' : 'normalized_removed_at';
  const res = await db.query<MediaRow>(
    `SELECT id, status, original_path, ready_at, upload_removed_at, normalized_removed_at FROM videos
      WHERE status = 'ready' AND ${column} IS NULL AND ready_at < now() - $1 * interval '1 day'
      ORDER BY ready_at, id`,
    [days],
  );
  return res.rows.map(fromMediaRow);
}

/**
 * Runs `remove` (which deletes the files) for one video and records the removal, only if the
 * video is still ready with no job pending or running, under the video's claim lock: a job
 * claimed for it meanwhile would need the media. Returns false when it was skipped.
 */
export async function removeMediaIfIdle(
  db: Db,
  videoId: string,
  kind: MediaKind,
  remove: () => Promise<void>,
): Promise<boolean> {
  const column = kind === 'upload' ? 'upload_removed_at' : 'normalized_removed_at';
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [VIDEO_CLAIM_LOCK, videoId]);
    const ok = await tx.query(
      `SELECT 1 FROM videos WHERE id = $1 AND status = 'ready' AND ${column} IS NULL
          AND NOT EXISTS (SELECT 1 FROM jobs WHERE video_id = $1 AND status IN ('pending', 'processing'))
        FOR UPDATE`,
      [videoId],
    );
    if (ok.rowCount === 0) return false;
    await remove();
    await tx.query(`UPDATE videos SET ${column} = now(), updated_at = now() WHERE id = $1`, [videoId]);
    return true;
  });
}
