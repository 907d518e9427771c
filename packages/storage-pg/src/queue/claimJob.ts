import type { Db } from '../db.ts';
import { JOB_COLUMNS, jobFromRow, type Job, type JobRow } from './job.ts';

export interface ClaimOptions {
  workerId: string;
  leaseMs: number;
  /** WORKER_MAX_ATTEMPTS, for jobs whose max_attempts is NULL. */
  defaultMaxAttempts: number;
}

/** Advisory-lock namespace for claims (the key's second half is hashtext(video_id)). */
const VIDEO_CLAIM_LOCK = 719_320;

/**
 * Another job of the same video is being processed. Jobs mirrored from Redis (run_at =
 * 'infinity') are scheduled there and are not counted.
 */
const VIDEO_BUSY = `EXISTS (SELECT 1 FROM jobs p WHERE p.video_id = jobs.video_id AND p.id <> jobs.id
                            AND p.status = 'processing' AND p.run_at <> 'infinity'::timestamptz)`;

/**
 * Claims one job: a processing job whose lease expired (its worker died) first, so a
 * crashed job does not wait behind the whole backlog, else the oldest due pending job.
 * Rows other workers are claiming are skipped, never waited for. An expired job that
 * has used all its attempts is failed here instead of being run again.
 *
 * One video is never processed by two jobs at once: a job whose video has another
 * job in processing is not a candidate, and because a statement's snapshot predates
 * locks it takes, the claim locks the video first and re-checks in a second
 * statement (a fresh snapshot) before it takes the job. Every claimer of a video
 * serialises on that lock (an advisory lock keyed by the video id, held to commit).
 */
export async function claimJob(db: Db, options: ClaimOptions): Promise<Job | null> {
  return db.transaction(async (tx) => {
    const picked = await tx.query<{ id: string; video_id: string }>(
      `WITH exhausted AS (
         UPDATE jobs
            SET status = 'failed',
                error = 'lease expired after ' || attempts || ' attempt(s): the worker holding the job stopped without finishing',
                locked_by = NULL, locked_until = NULL, updated_at = now()
          WHERE status = 'processing' AND locked_until < now() AND attempts >= coalesce(max_attempts, $1)
          RETURNING video_id, error
       ), failed_videos AS (
         UPDATE videos v SET status = 'failed', error = e.error, updated_at = now()
           FROM exhausted e WHERE v.id = e.video_id
       ),
       -- Two index-ordered picks (expired lease, due pending) instead of one OR: O(1) in the backlog size.
       expired AS (
         SELECT id, video_id, 0 AS priority, run_at, created_at FROM jobs
          WHERE status = 'processing' AND locked_until < now() AND attempts < coalesce(max_attempts, $1)
          ORDER BY locked_until LIMIT 1
          FOR UPDATE SKIP LOCKED
       ), due AS (
         SELECT id, video_id, 1 AS priority, run_at, created_at FROM jobs
          WHERE status = 'pending' AND run_at <= now() AND NOT ${VIDEO_BUSY}
          ORDER BY run_at, created_at LIMIT 1
          FOR UPDATE SKIP LOCKED
       )
       SELECT id, video_id FROM (SELECT * FROM expired UNION ALL SELECT * FROM due) AS c
        ORDER BY priority, run_at, created_at LIMIT 1`,
      [options.defaultMaxAttempts],
    );
    const candidate = picked.rows[0];
    if (!candidate) return null;
    const lock = await tx.query<{ locked: boolean }>(`SELECT pg_try_advisory_xact_lock($1, hashtext($2)) AS locked`, [
      VIDEO_CLAIM_LOCK,
      candidate.video_id,
    ]);
    // Another worker is claiming a job of this video right now: leave it for the next poll.
    if (!lock.rows[0]?.locked) return null;
    // The queue owns the state a job causes: claimed → its video is processing.
    const res = await tx.query<JobRow>(
      `WITH claimed AS (
         UPDATE jobs
            SET status = 'processing', attempts = attempts + 1, locked_by = $2,
                locked_until = now() + $3 * interval '1 millisecond', updated_at = now()
          WHERE id = $1 AND NOT ${VIDEO_BUSY}
         RETURNING ${JOB_COLUMNS}
       ), video AS (
         UPDATE videos SET status = 'processing', error = NULL, updated_at = now()
           FROM claimed WHERE videos.id = claimed.video_id
       )
       SELECT * FROM claimed`,
      [candidate.id, options.workerId, options.leaseMs],
    );
    return res.rows[0] ? jobFromRow(res.rows[0]) : null;
  });
}
