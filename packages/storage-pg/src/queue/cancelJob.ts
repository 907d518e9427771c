import { InvalidStateError, JobNotFoundError } from '@videoqa/core';
import type { Db, Queryable } from '../db.ts';
import { JOB_COLUMNS, jobFromRow, type Job, type JobRow, type JobStatus } from './job.ts';

/** The channel a cancel notifies, so a worker running the job can stop before its next lease renewal. */
export const CANCEL_CHANNEL = 'videoqa_cancel';

export interface CancelResult {
  job: Job;
  /** The status the job had: 'cancelled' when it already was (cancelling twice is not an error). */
  previous: JobStatus;
  /** A worker still holds it: it stops at its next lease renewal (or on the NOTIFY) and then lets go. */
  running: boolean;
}

/**
 * Cancels a pending or processing job. A pending job is never claimed afterwards (claims take
 * only 'pending' and expired 'processing' rows); a processing one keeps `locked_by` until its
 * worker sees the cancel and acknowledges it, so `delete --force` can wait for the worker to
 * let go before removing files under it. finished jobs are refused: there is nothing to stop.
 */
export async function cancelJob(db: Db, jobId: string): Promise<CancelResult> {
  return db.transaction(async (tx) => {
    const current = await tx.query<{ status: JobStatus }>('SELECT status FROM jobs WHERE id = $1 FOR UPDATE', [jobId]);
    const previous = current.rows[0]?.status;
    if (!previous) throw new JobNotFoundError(jobId);
    if (previous === 'done' || previous === 'failed') {
      throw new InvalidStateError(`Job ${jobId} is ${previous}; only pending or processing jobs can be cancelled`);
    }
    const res = await tx.query<JobRow>(
      `UPDATE jobs SET status = 'cancelled', error = coalesce(error, 'cancelled'),
              locked_by = CASE WHEN status = 'processing' THEN locked_by END,
              locked_until = CASE WHEN status = 'processing' THEN locked_until END,
              updated_at = now()
        WHERE id = $1 RETURNING ${JOB_COLUMNS}`,
      [jobId],
    );
    const job = jobFromRow(res.rows[0]!);
    if (previous !== 'cancelled') {
      // The video was waiting for or being processed by this job: it will not become ready now.
      await tx.query(
        `UPDATE videos SET status = 'failed', error = $2, updated_at = now()
          WHERE id = $1 AND status IN ('pending', 'processing')
            AND NOT EXISTS (SELECT 1 FROM jobs WHERE video_id = $1 AND id <> $3 AND status IN ('pending', 'processing'))`,
        [job.videoId, `job ${jobId} was cancelled`, jobId],
      );
      await tx.query('SELECT pg_notify($1, $2)', [CANCEL_CHANNEL, jobId]);
    }
    const running = previous === 'processing' && job.lockedBy !== null;
    return { job, previous, running };
  });
}

/** The worker has stopped a cancelled job: it lets go of it (only if it still held it). */
export async function acknowledgeCancel(db: Queryable, options: { jobId: string; workerId: string }): Promise<boolean> {
  const res = await db.query(
    `UPDATE jobs SET locked_by = NULL, locked_until = NULL, updated_at = now()
      WHERE id = $1 AND locked_by = $2 AND status = 'cancelled'`,
    [options.jobId, options.workerId],
  );
  return res.rowCount === 1;
}

/**
 * Is a worker still holding this cancelled (or processing) job? false once it let go or its
 * lease ran out. Jobs mirrored from Redis have no locked_until: held while locked_by is set.
 */
export async function jobStillHeld(db: Queryable, jobId: string): Promise<boolean> {
  const res = await db.query<{ held: boolean }>(
    `SELECT (locked_by IS NOT NULL AND (locked_until > now() OR (locked_until IS NULL AND run_at = 'infinity'::timestamptz))) AS held FROM jobs WHERE id = $1`,
    [jobId],
  );
  return res.rows[0]?.held ?? false;
}
