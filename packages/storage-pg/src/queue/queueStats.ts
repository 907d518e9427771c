import type { Queryable } from '../db.ts';
import { JOB_COLUMNS, jobFromRow, type Job, type JobRow } from './job.ts';

export interface QueueStats {
  jobs: Record<'pending' | 'processing' | 'done' | 'failed', number> & { total: number };
  videos: Record<'pending' | 'processing' | 'ready' | 'failed', number> & { total: number };
  /** Seconds the oldest due pending job has waited (0 when none). */
  oldestPendingAgeSec: number;
  /** Pending jobs whose run_at is in the future (waiting out a retry backoff). */
  scheduledRetries: number;
  processing: {
    jobId: string;
    videoId: string;
    lockedBy: string | null;
    lockedUntil: Date | null;
    attempts: number;
    runningForSec: number;
  }[];
}

const counts = async <K extends string>(
  db: Queryable,
  table: string,
  keys: readonly K[],
): Promise<Record<K, number> & { total: number }> => {
  const res = await db.query<{ status: K; n: number }>(
    `SELECT status, count(*)::int AS n FROM ${table} GROUP BY status`,
  );
  const byStatus = Object.fromEntries(keys.map((k) => [k, 0])) as Record<string, number>;
  let total = 0;
  for (const r of res.rows) {
    byStatus[r.status] = r.n;
    total += r.n;
  }
  return { ...(byStatus as Record<K, number>), total };
};

/** Counts by status, the age of the oldest due job, and the jobs in progress. */
export async function queueStats(db: Queryable): Promise<QueueStats> {
  const jobs = await counts(db, 'jobs', ['pending', 'processing', 'done', 'failed'] as const);
  const videos = await counts(db, 'videos', ['pending', 'processing', 'ready', 'failed'] as const);
  const pending = await db.query<{ age: number | null; scheduled: number }>(
    `SELECT extract(epoch FROM now() - min(run_at) FILTER (WHERE run_at <= now()))::float8 AS age,
            count(*) FILTER (WHERE run_at > now())::int AS scheduled
       FROM jobs WHERE status = 'pending'`,
  );
  const processing = await db.query<{
    id: string;
    video_id: string;
    locked_by: string | null;
    locked_until: Date | null;
    attempts: number;
    running: number;
  }>(
    `SELECT id, video_id, locked_by, locked_until, attempts, extract(epoch FROM now() - updated_at)::float8 AS running
       FROM jobs WHERE status = 'processing' ORDER BY updated_at LIMIT 100`,
  );
  return {
    jobs,
    videos,
    oldestPendingAgeSec: Math.max(0, pending.rows[0]?.age ?? 0),
    scheduledRetries: pending.rows[0]?.scheduled ?? 0,
    processing: processing.rows.map((r) => ({
      jobId: r.id,
      videoId: r.video_id,
      lockedBy: r.locked_by,
      lockedUntil: r.locked_until,
      attempts: r.attempts,
      runningForSec: r.running,
    })),
  };
}

/** The next pending jobs in claim order (for /jobs/peek). */
export async function peekJobs(db: Queryable, limit = 20): Promise<{ pending: number; jobs: Job[] }> {
  const total = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM jobs WHERE status = 'pending'`);
  const res = await db.query<JobRow>(
    `SELECT ${JOB_COLUMNS} FROM jobs WHERE status = 'pending' ORDER BY run_at, created_at, id LIMIT $1`,
    [limit],
  );
  return { pending: total.rows[0]?.n ?? 0, jobs: res.rows.map(jobFromRow) };
}
