import type { Queryable } from '../db.ts';
import { JOB_TRANSCRIPTION_SQL } from './completeJob.ts';
import type { JobStatus } from './job.ts';

export interface ExternalJobState {
  jobId: string;
  status: JobStatus;
  workerId?: string | null;
  attempts?: number;
  error?: string | null;
  stack?: string | null;
  /** The video's status to set alongside (omit to leave it). */
  videoStatus?: 'pending' | 'processing' | 'ready' | 'failed';
}

/**
 * Mirrors the state of a job scheduled elsewhere (the Redis queue) into the
 * jobs and videos tables, so status, errors and transcriptions are still read
 * from Postgres. Such rows keep run_at = 'infinity': a Postgres worker never
 * claims them.
 */
export async function setExternalJobState(db: Queryable, s: ExternalJobState): Promise<boolean> {
  const res = await db.query<{ n: number }>(
    `WITH j AS (
       UPDATE jobs SET status = $2, attempts = coalesce($3, attempts), locked_by = $4, locked_until = NULL,
              error = CASE WHEN $2 = 'done' THEN NULL ELSE coalesce($5, error) END,
              error_stack = CASE WHEN $2 = 'done' THEN NULL ELSE coalesce($6, error_stack) END,
              transcription = CASE WHEN $2 = 'done' THEN ${JOB_TRANSCRIPTION_SQL} ELSE jobs.transcription END, run_at = 'infinity', updated_at = now()
        WHERE id = $1
        RETURNING video_id
     ), v AS (
       UPDATE videos SET status = $7, error = CASE WHEN $7 IN ('ready', 'processing') AND $5::text IS NULL THEN NULL ELSE coalesce($5, videos.error) END, updated_at = now()
         FROM j WHERE videos.id = j.video_id AND $7::text IS NOT NULL
       RETURNING 1
     )
     SELECT count(*)::int AS n FROM j`,
    [
      s.jobId,
      s.status,
      s.attempts ?? null,
      s.workerId ?? null,
      s.error ?? null,
      s.stack ?? null,
      s.videoStatus ?? null,
    ],
  );
  return res.rows[0]?.n === 1;
}
