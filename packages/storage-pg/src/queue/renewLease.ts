import { JobCancelledError, LeaseLostError } from '@videoqa/core';
import type { Queryable } from '../db.ts';

/**
 * Extends this worker's lease on a running job; JobCancelledError when the job was cancelled
 * meanwhile, LeaseLostError when the worker no longer holds it.
 */
export async function renewLease(
  db: Queryable,
  options: { jobId: string; workerId: string; leaseMs: number },
): Promise<void> {
  const res = await db.query(
    `UPDATE jobs SET locked_until = now() + $3 * interval '1 millisecond', updated_at = now()
      WHERE id = $1 AND locked_by = $2 AND status = 'processing'`,
    [options.jobId, options.workerId, options.leaseMs],
  );
  if (res.rowCount === 1) return;
  const now = await db.query<{ status: string }>(`SELECT status FROM jobs WHERE id = $1 AND locked_by = $2`, [
    options.jobId,
    options.workerId,
  ]);
  if (now.rows[0]?.status === 'cancelled') throw new JobCancelledError(options.jobId);
  throw new LeaseLostError(options.jobId, options.workerId);
}
