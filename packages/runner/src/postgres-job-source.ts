import { backoffDelayMs, type Config } from '@videoqa/core';
import {
  acknowledgeCancel,
  CANCEL_CHANNEL,
  completeJob,
  failJob,
  releaseJob,
  renewLease,
  type Db,
} from '@videoqa/storage-pg';
import { JobPoller } from './job-poller.ts';
import type { ClaimedJob, JobSource } from './job-source.ts';

/** The Postgres job queue: FOR UPDATE SKIP LOCKED claims, leases, NOTIFY wake-up. */
export class PostgresJobSource implements JobSource {
  readonly name = 'postgres';
  private readonly poller: JobPoller;
  private readonly db: Db;
  private readonly config: Config;

  constructor(db: Db, config: Config, onError?: (err: unknown) => void) {
    this.db = db;
    this.config = config;
    this.poller = new JobPoller({
      db,
      claim: { workerId: config.workerId, leaseMs: config.workerLeaseMs, defaultMaxAttempts: config.workerMaxAttempts },
      pollMs: config.workerPollMs,
      maxPollMs: config.workerPollMaxMs,
      onError,
    });
  }

  get claimQueries(): number {
    return this.poller.claimQueries;
  }

  start(): Promise<void> {
    return this.poller.start();
  }

  async next(signal: AbortSignal): Promise<ClaimedJob | null> {
    const job = await this.poller.next(signal);
    return job
      ? {
          id: job.id,
          videoId: job.videoId,
          kind: job.kind,
          attempts: job.attempts,
          maxAttempts: job.maxAttempts ?? this.config.workerMaxAttempts,
        }
      : null;
  }

  renew(job: ClaimedJob): Promise<void> {
    return renewLease(this.db, { jobId: job.id, workerId: this.config.workerId, leaseMs: this.config.workerLeaseMs });
  }

  complete(job: ClaimedJob): Promise<void> {
    return completeJob(this.db, { jobId: job.id, workerId: this.config.workerId });
  }

  fail(job: ClaimedJob, error: Error, retryable: boolean): Promise<'retry' | 'failed'> {
    return failJob(this.db, {
      jobId: job.id,
      workerId: this.config.workerId,
      message: error.message,
      stack: error.stack ?? null,
      retryable,
      retryDelayMs: backoffDelayMs(job.attempts, {
        baseMs: this.config.retryDelaySec * 1000,
        maxMs: this.config.retryDelayMaxSec * 1000,
      }),
      defaultMaxAttempts: this.config.workerMaxAttempts,
    });
  }

  async release(job: ClaimedJob): Promise<void> {
    await releaseJob(this.db, { jobId: job.id, workerId: this.config.workerId });
  }

  acknowledgeCancel(job: ClaimedJob): Promise<boolean> {
    return acknowledgeCancel(this.db, { jobId: job.id, workerId: this.config.workerId });
  }

  watchCancels(onCancel: (jobId: string) => void): Promise<() => Promise<void>> {
    return this.db.listen(CANCEL_CHANNEL, onCancel);
  }

  stop(): Promise<void> {
    return this.poller.stop();
  }
}
