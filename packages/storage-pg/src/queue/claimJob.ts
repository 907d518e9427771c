import type { Queryable } from '../db.ts';
import { JOB_COLUMNS, jobFromRow, type Job, type JobRow } from './job.ts';

export interface ClaimOptions {
  workerId: string;
  leaseMs: number;
  /** WORKER_MAX_ATTEMPTS, for jobs whose max_attempts is NULL. */
  defaultMaxAttempts: number;
}

/**
 * Claims one job in one statement: the oldest due pending job, or a processing
 * job whose lease expired (its worker died). Rows other workers are claiming are
 * skipped, never waited for. An expired job that has used all its attempts is
 * failed here instead of being run again.
 */
export async function claimJob(db: Queryable, options: ClaimOptions): Promise<Job | null> {
  const res = await db.query<JobRow>(
    `WITH exhausted AS (
       UPDATE jobs
          SET status = 'failed',
              error = 'lease expired after ' || attempts || ' attempt(s): the worker holding the job stopped without finishing',
              locked_by = NULL, locked_until = NULL, updated_at = now()
        WHERE status = 'processing' AND locked_until < now() AND attempts >= coalesce(max_attempts, $3)
        RETURNING video_id, error
     ), failed_videos AS (
       UPDATE videos v SET status = 'failed', error = e.error, updated_at = now()
         FROM exhausted e WHERE v.id = e.video_id
     ),
     -- Two index-ordered picks (due pending, expired lease) instead of one OR: O(1) in the backlog size.
     due AS (
       SELECT id, run_at, created_at FROM jobs
        WHERE status = 'pending' AND run_at <= now()
        ORDER BY run_at, created_at LIMIT 1
        FOR UPDATE SKIP LOCKED
     ), expired AS (
       SELECT id, run_at, created_at FROM jobs
        WHERE status = 'processing' AND locked_until < now() AND attempts < coalesce(max_attempts, $3)
        ORDER BY locked_until LIMIT 1
        FOR UPDATE SKIP LOCKED
     ), next AS (
       SELECT id FROM (SELECT * FROM due UNION ALL SELECT * FROM expired) AS c ORDER BY run_at, created_at LIMIT 1
     )
     UPDATE jobs j
        SET status = 'processing', attempts = j.attempts + 1, locked_by = $1,
            locked_until = now() + $2 * interval '1 millisecond', updated_at = now()
       FROM next
      WHERE j.id = next.id
     RETURNING ${JOB_COLUMNS.split(', ').map((c) => `j.${c}`).join(', ')}`,
    [options.workerId, options.leaseMs, options.defaultMaxAttempts],
  );
  return res.rows[0] ? jobFromRow(res.rows[0]) : null;
}
