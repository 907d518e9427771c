import { LeaseLostError } from '@videoqa/core';
import type { Queryable } from '../db.ts';

/**
 * The text a finished transcription job returns (seed 003's `jobs.transcription`), built
 * here in the statement that completes the job: the segments are already in this
 * database, so they never travel to the worker and back. Other job kinds keep theirs.
 */
export const JOB_TRANSCRIPTION_SQL = `CASE WHEN jobs.kind = 'transcribe'
  THEN (SELECT string_agg(s.text, ' ' ORDER BY s.idx) FROM transcript_segments s WHERE s.video_id = jobs.video_id)
  ELSE jobs.transcription END`;

/**
 * Marks a job done and its video ready, only if this worker still holds it.
 * Throws LeaseLostError otherwise (another worker took it over).
 */
export async function completeJob(db: Queryable, options: { jobId: string; workerId: string }): Promise<void> {
  const res = await db.query<{ n: number }>(
    `WITH j AS (
       UPDATE jobs
          SET status = 'done', transcription = ${JOB_TRANSCRIPTION_SQL}, error = NULL, error_stack = NULL,
              locked_by = NULL, locked_until = NULL, updated_at = now()
        WHERE id = $1 AND locked_by = $2 AND status = 'processing'
        RETURNING video_id
     ), v AS (
       UPDATE videos SET status = 'ready', error = NULL, updated_at = now() FROM j WHERE videos.id = j.video_id RETURNING 1
     )
     SELECT count(*)::int AS n FROM j`,
    [options.jobId, options.workerId],
  );
  if (res.rows[0]?.n !== 1) throw new LeaseLostError(options.jobId, options.workerId);
}
