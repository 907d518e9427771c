import { JobNotFoundError } from '@videoqa/core';
import type { Queryable } from '../db.ts';
import { JOB_COLUMNS, jobFromRow, type Job, type JobRow } from './job.ts';

export async function getJob(db: Queryable, jobId: string): Promise<Job> {
  const res = await db.query<JobRow>(`SELECT ${JOB_COLUMNS} FROM jobs WHERE id = $1`, [jobId]);
  if (!res.rows[0]) throw new JobNotFoundError(jobId);
  return jobFromRow(res.rows[0]);
}

/** Jobs of one video, newest first. */
export async function listJobsForVideo(db: Queryable, videoId: string): Promise<Job[]> {
  const res = await db.query<JobRow>(`SELECT ${JOB_COLUMNS} FROM jobs WHERE video_id = $1 ORDER BY created_at DESC`, [
    videoId,
  ]);
  return res.rows.map(jobFromRow);
}

/** The video's job that is pending or processing, if any (Redis-mirrored jobs included). */
export async function activeJobForVideo(db: Queryable, videoId: string): Promise<Job | null> {
  const res = await db.query<JobRow>(
    `SELECT ${JOB_COLUMNS} FROM jobs WHERE video_id = $1 AND status IN ('pending', 'processing') ORDER BY created_at LIMIT 1`,
    [videoId],
  );
  return res.rows[0] ? jobFromRow(res.rows[0]) : null;
}
