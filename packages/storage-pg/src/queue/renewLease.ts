import { LeaseLostError } from '@videoqa/core';
import type { Queryable } from '../db.ts';

/** Extends this worker's lease on a running job; LeaseLostError when it no longer holds it. */
export async function renewLease(db: Queryable, options: { jobId: string; workerId: string; leaseMs: number }): Promise<void> {
  const res = await db.query(
    `UPDATE jobs SET locked_until = now() + $3 * interval '1 millisecond', updated_at = now()
      WHERE id = $1 AND locked_by = $2 AND status = 'processing'`,
    [options.jobId, options.workerId, options.leaseMs],
  );
  if (res.rowCount !== 1) throw new LeaseLostError(options.jobId, options.workerId);
}
