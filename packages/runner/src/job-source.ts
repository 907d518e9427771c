import type { JobKind } from '@videoqa/storage-pg';

/** A job handed to the worker by a queue (Postgres or Redis). */
export interface ClaimedJob {
  id: string;
  videoId: string;
  kind: JobKind;
  /** This attempt's number, from 1. */
  attempts: number;
  maxAttempts: number;
}

/**
 * Where the worker gets jobs and reports on them. Every state change is
 * guarded by ownership: a worker that lost a job cannot overwrite its result.
 */
export interface JobSource {
  readonly name: string;
  start(): Promise<void>;
  /** The next job, or null when the signal fires first. */
  next(signal: AbortSignal): Promise<ClaimedJob | null>;
  /** Extends the lease; throws LeaseLostError when the job was taken over. */
  renew(job: ClaimedJob): Promise<void>;
  /** Marks it done and its video ready; a transcription job's text is built by the queue from the stored segments. */
  complete(job: ClaimedJob): Promise<void>;
  /** Records the failure; retryable errors with attempts left are scheduled again. */
  fail(job: ClaimedJob, error: Error, retryable: boolean): Promise<'retry' | 'failed'>;
  /** Gives the job back without counting the attempt (shutdown). */
  release(job: ClaimedJob): Promise<void>;
  stop(): Promise<void>;
}
