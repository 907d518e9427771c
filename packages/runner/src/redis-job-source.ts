import { randomUUID } from 'node:crypto';
import { Queue, UnrecoverableError, Worker as BullWorker, type Job as BullJob } from 'bullmq';
import { ConfigError, JobCancelledError, LeaseLostError, newId, validateId, type Config } from '@videoqa/core';
import {
  acknowledgeCancel,
  CANCEL_CHANNEL,
  enqueueJob,
  setExternalJobState,
  type Db,
  type JobKind,
} from '@videoqa/storage-pg';
import type { ClaimedJob, JobSource } from './job-source.ts';

interface RedisJobData {
  videoId: string;
  kind: JobKind;
}

interface Held {
  bull: BullJob<RedisJobData>;
  token: string;
}

/**
 * Jobs from a Redis queue (BullMQ, seed 003's REDIS_URL and QUEUE_NAME) instead
 * of Postgres polling: blocking waits, BullMQ's retries with exponential
 * backoff (RETRY_DELAY) up to WORKER_MAX_ATTEMPTS (MAX_RETRIES + 1), stalled-job
 * recovery when a worker dies. Job state, errors and results are mirrored into
 * Postgres, where all results live.
 */
export class RedisJobSource implements JobSource {
  readonly name = 'redis';
  private readonly db: Db;
  private readonly config: Config;
  private readonly queue: Queue<RedisJobData>;
  private bull: BullWorker<RedisJobData> | undefined;
  private readonly held = new Map<string, Held>();
  private readonly connection: { url: string; maxRetriesPerRequest: null };

  constructor(db: Db, config: Config) {
    if (!config.redisUrl)
      throw new ConfigError([{ variable: 'REDIS_URL', message: 'is required when WORKER_JOB_SOURCE=redis' }]);
    this.db = db;
    this.config = config;
    this.connection = { url: config.redisUrl, maxRetriesPerRequest: null };
    this.queue = new Queue<RedisJobData>(config.queueName, { connection: this.connection });
  }

  /** Adds a job to Redis and its mirror row to Postgres. */
  async enqueue(options: {
    videoId: string;
    originalPath?: string;
    kind?: JobKind;
    maxAttempts?: number;
    jobId?: string;
    webhookUrl?: string;
  }): Promise<{ id: string }> {
    const id = validateId(options.jobId ?? newId('job_'), 'job');
    const maxAttempts = options.maxAttempts ?? this.config.workerMaxAttempts;
    await enqueueJob(this.db, {
      videoId: options.videoId,
      originalPath: options.originalPath,
      jobId: id,
      kind: options.kind,
      maxAttempts,
      external: true,
      webhookUrl: options.webhookUrl,
    });
    await this.queue.add(
      'video',
      { videoId: options.videoId, kind: options.kind ?? 'process' },
      {
        jobId: id,
        attempts: maxAttempts,
        backoff: { type: 'exponential', delay: this.config.retryDelaySec * 1000, jitter: 0.5 },
        removeOnComplete: 1000,
        removeOnFail: 5000,
      },
    );
    return { id };
  }

  async start(): Promise<void> {
    this.bull = new BullWorker<RedisJobData>(this.config.queueName, null, {
      connection: this.connection,
      autorun: false,
      lockDuration: this.config.workerLeaseMs,
      stalledInterval: Math.max(1000, Math.floor(this.config.workerLeaseMs / 2)),
      // A job whose worker died is requeued this many times before failing, like an expired lease.
      maxStalledCount: Math.max(1, this.config.workerMaxAttempts - 1),
      drainDelay: 1,
    });
    this.bull.on('error', () => {}); // connection trouble is retried by ioredis; claim errors surface in next()
    await this.bull.waitUntilReady();
    this.bull.startStalledCheckTimer().catch(() => {});
  }

  async next(signal: AbortSignal): Promise<ClaimedJob | null> {
    while (!signal.aborted && this.bull) {
      const token = randomUUID();
      let bull: BullJob<RedisJobData> | undefined;
      try {
        bull = (await this.bull.getNextJob(token, { block: true })) as BullJob<RedisJobData> | undefined;
      } catch {
        await new Promise((r) => setTimeout(r, this.config.workerPollMs));
        continue;
      }
      if (!bull?.id) continue;
      // Cancelled in Postgres while it waited in Redis: fail it there for good instead of running it.
      if ((await this.pgStatus(bull.id)) === 'cancelled') {
        await bull.moveToFailed(new UnrecoverableError('job cancelled'), token, false).catch(() => {});
        continue;
      }
      const attempts = bull.attemptsMade + 1;
      this.held.set(bull.id, { bull, token });
      const state = {
        jobId: bull.id,
        status: 'processing' as const,
        workerId: this.config.workerId,
        attempts,
        videoStatus: 'processing' as const,
      };
      if (!(await setExternalJobState(this.db, state))) {
        // Added to Redis by another service (Queue.add): give it its Postgres row now.
        await enqueueJob(this.db, {
          videoId: bull.data.videoId,
          jobId: bull.id,
          kind: bull.data.kind,
          maxAttempts: bull.opts.attempts,
          external: true,
        });
        await setExternalJobState(this.db, state);
      }
      return {
        id: bull.id,
        videoId: bull.data.videoId,
        kind: bull.data.kind,
        attempts,
        maxAttempts: bull.opts.attempts ?? this.config.workerMaxAttempts,
      };
    }
    return null;
  }

  private holder(job: ClaimedJob): Held {
    const h = this.held.get(job.id);
    if (!h) throw new LeaseLostError(job.id, this.config.workerId);
    return h;
  }

  /** The job's status in Postgres, where cancels are recorded (`videoqa cancel`, DELETE /v1/jobs/:id). */
  private async pgStatus(jobId: string): Promise<string | undefined> {
    return (await this.db.query<{ status: string }>('SELECT status FROM jobs WHERE id = $1', [jobId])).rows[0]?.status;
  }

  async renew(job: ClaimedJob): Promise<void> {
    const h = this.holder(job);
    if ((await this.pgStatus(job.id)) === 'cancelled') throw new JobCancelledError(job.id);
    const ok = await h.bull.extendLock(h.token, this.config.workerLeaseMs);
    if (!ok) throw new LeaseLostError(job.id, this.config.workerId);
  }

  /** Fails a cancelled job in Redis for good (no BullMQ retry) and lets go of its Postgres row. */
  async acknowledgeCancel(job: ClaimedJob): Promise<boolean> {
    const h = this.held.get(job.id);
    if (h) {
      await h.bull.moveToFailed(new UnrecoverableError('job cancelled'), h.token, false).catch(() => {});
      this.held.delete(job.id);
    }
    return acknowledgeCancel(this.db, { jobId: job.id, workerId: this.config.workerId });
  }

  watchCancels(onCancel: (jobId: string) => void): Promise<() => Promise<void>> {
    return this.db.listen(CANCEL_CHANNEL, onCancel);
  }

  async complete(job: ClaimedJob): Promise<void> {
    const h = this.holder(job);
    await h.bull.moveToCompleted({ ok: true }, h.token, false);
    this.held.delete(job.id);
    await setExternalJobState(this.db, { jobId: job.id, status: 'done', attempts: job.attempts, videoStatus: 'ready' });
  }

  async fail(job: ClaimedJob, error: Error, retryable: boolean): Promise<'retry' | 'failed'> {
    const h = this.holder(job);
    const willRetry = retryable && job.attempts < job.maxAttempts;
    await h.bull.moveToFailed(retryable ? error : new UnrecoverableError(error.message), h.token, false);
    this.held.delete(job.id);
    await setExternalJobState(this.db, {
      jobId: job.id,
      status: willRetry ? 'pending' : 'failed',
      attempts: job.attempts,
      error: error.message,
      stack: error.stack ?? null,
      videoStatus: willRetry ? 'processing' : 'failed',
    });
    return willRetry ? 'retry' : 'failed';
  }

  async release(job: ClaimedJob): Promise<void> {
    const h = this.holder(job);
    await h.bull.moveToWait(h.token);
    this.held.delete(job.id);
    await setExternalJobState(this.db, {
      jobId: job.id,
      status: 'pending',
      attempts: job.attempts - 1,
      videoStatus: 'pending',
    });
  }

  async stop(): Promise<void> {
    await this.bull?.close();
    await this.queue.close();
  }
}
