import type { Queryable } from '../db.ts';

/**
 * Gives a running job back to the queue without counting the attempt (graceful
 * shutdown). Returns false when this worker did not hold it any more.
 */
export async function releaseJob(db: Queryable, options: { jobId: string; workerId: string }): Promise<boolean> {
  const res = await db.query(
    `UPDATE jobs SET status = 'pending', attempts = greatest(attempts - 1, 0), run_at = now(),
            locked_by = NULL, locked_until = NULL, updated_at = now()
      WHERE id = $1 AND locked_by = $2 AND status = 'processing'`,
    [options.jobId, options.workerId],
  );
  return res.rowCount === 1;
}
