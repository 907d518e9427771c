import { newId, validateId, validateVideoId } from '@videoqa/core';
import type { Db } from '../db.ts';
import { JOB_COLUMNS, JOB_KINDS, jobFromRow, type Job, type JobKind, type JobRow } from './job.ts';

export interface EnqueueOptions {
  videoId: string;
  /** Stored on the video when given (relative to DATA_DIR). */
  originalPath?: string;
  jobId?: string;
  kind?: JobKind;
  maxAttempts?: number;
  runAt?: Date;
  /** Scheduled by another queue (Redis): run_at = 'infinity', so Postgres workers never claim it. */
  external?: boolean;
  /** Where the job's ready/failed event is POSTed (jobs.webhook_url; checked by the caller). */
  webhookUrl?: string;
}

/** Creates the video row when missing and a pending job for it, in one transaction. */
export async function enqueueJob(db: Db, options: EnqueueOptions): Promise<Job> {
  const videoId = validateVideoId(options.videoId);
  const jobId = validateId(options.jobId ?? newId('job_'), 'job');
  const kind = options.kind ?? 'process';
  if (!JOB_KINDS.includes(kind))
    throw new TypeError(`unknown job kind ${String(kind)} (expected ${JOB_KINDS.join(' or ')})`);
  return db.transaction(async (tx) => {
    await tx.query(
      `INSERT INTO videos (id, original_path, status) VALUES ($1, $2, 'pending')
       ON CONFLICT (id) DO UPDATE SET original_path = coalesce($2, videos.original_path), status = 'pending', error = NULL, updated_at = now()`,
      [videoId, options.originalPath ?? null],
    );
    const res = await tx.query<JobRow>(
      `INSERT INTO jobs (id, video_id, kind, max_attempts, run_at, webhook_url) VALUES ($1, $2, $3, $4, CASE WHEN $6 THEN 'infinity'::timestamptz ELSE coalesce($5, now()) END, $7) RETURNING ${JOB_COLUMNS}`,
      [
        jobId,
        videoId,
        kind,
        options.maxAttempts ?? null,
        options.runAt ?? null,
        options.external ?? false,
        options.webhookUrl ?? null,
      ],
    );
    return jobFromRow(res.rows[0]!);
  });
}
