import { LeaseLostError } from '@videoqa/core';
import type { Queryable } from '../db.ts';

export interface FailJobOptions {
  jobId: string;
  workerId: string;
  message: string;
  stack?: string | null;
  retryable: boolean;
  /** Delay before the next attempt (computed by the caller: exponential backoff with jitter). */
  retryDelayMs: number;
  defaultMaxAttempts: number;
}

/**
 * Records a failure. A retryable error with attempts left goes back to
 * pending with run_at in the future and the video stays processing; otherwise
 * job and video are failed. Returns what happened.
 */
export async function failJob(db: Queryable, options: FailJobOptions): Promise<'retry' | 'failed'> {
  const res = await db.query<{ status: string }>(
    `WITH j AS (
       UPDATE jobs
          SET status = CASE WHEN $4 AND attempts < coalesce(max_attempts, $6) THEN 'pending' ELSE 'failed' END,
              run_at = CASE WHEN $4 AND attempts < coalesce(max_attempts, $6) THEN now() + $5 * interval '1 millisecond' ELSE run_at END,
              error = $3, error_stack = $7, locked_by = NULL, locked_until = NULL, updated_at = now()
        WHERE id = $1 AND locked_by = $2 AND status = 'processing'
        RETURNING video_id, status
     ), v AS (
       UPDATE videos SET status = CASE WHEN j.status = 'failed' THEN 'failed' ELSE 'processing' END, error = $3, updated_at = now()
         FROM j WHERE videos.id = j.video_id RETURNING 1
     )
     SELECT status FROM j`,
    [
      options.jobId,
      options.workerId,
      options.message,
      options.retryable,
      Math.max(0, Math.round(options.retryDelayMs)),
      options.defaultMaxAttempts,
      options.stack ?? null,
    ],
  );
  const status = res.rows[0]?.status;
  if (!status) throw new LeaseLostError(options.jobId, options.workerId);
  return status === 'pending' ? 'retry' : 'failed';
}
