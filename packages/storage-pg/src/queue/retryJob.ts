import { InvalidStateError, JobNotFoundError } from '@videoqa/core';
import type { Db } from '../db.ts';
import { JOB_COLUMNS, jobFromRow, type Job, type JobRow } from './job.ts';

/** Puts a failed job back in the queue with its attempts reset (`videoqa retry <job>`). */
export async function retryJob(db: Db, jobId: string): Promise<Job> {
  return db.transaction(async (tx) => {
    const current = await tx.query<{ status: string }>('SELECT status FROM jobs WHERE id = $1 FOR UPDATE', [jobId]);
    const status = current.rows[0]?.status;
    if (!status) throw new JobNotFoundError(jobId);
    if (status !== 'failed') throw new InvalidStateError(`Job ${jobId} is ${status}; only failed jobs can be retried`);
    const res = await tx.query<JobRow>(
      `UPDATE jobs SET status = 'pending', attempts = 0, run_at = now(), error = NULL, error_stack = NULL,
              locked_by = NULL, locked_until = NULL, updated_at = now()
        WHERE id = $1 RETURNING ${JOB_COLUMNS}`,
      [jobId],
    );
    const job = jobFromRow(res.rows[0]!);
    await tx.query(`UPDATE videos SET status = 'pending', error = NULL, updated_at = now() WHERE id = $1`, [
      job.videoId,
    ]);
    return job;
  });
}
