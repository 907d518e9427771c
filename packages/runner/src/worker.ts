import { readdir } from 'node:fs/promises';
import {
  failedStageOf,
  AbortedError,
  backoffDelayMs,
  InvalidStateError,
  isRetryable,
  JobCancelledError,
  LeaseLostError,
  runPipeline,
  sleep,
  toError,
  VideoNotFoundError,
  videoPaths,
  type Config,
  type Logger,
  type Stage,
  type Store,
  type VideoRecord,
} from '@videoqa/core';
import { defaultStages, transcriptionStages } from '@videoqa/stages';
import type { ClaimedJob, JobSource } from './job-source.ts';
import { WorkerMetrics } from './metrics.ts';
import { logPipelineEvents } from './pipeline-log.ts';

export interface WorkerOptions {
  source: JobSource;
  store: Store;
  config: Config;
  log: Logger;
  /** Stages for a job; default: defaultStages() for 'process', transcriptionStages() for 'transcribe'. */
  stagesFor?: (job: ClaimedJob) => Stage[];
  metrics?: WorkerMetrics;
}

interface Running {
  job: ClaimedJob;
  controller: AbortController;
  done: Promise<void>;
  /** Renews the lease now (a cancel notification: the renewal finds the job cancelled and aborts it). */
  renewNow?: () => void;
}

/** Runs `fn` again after short pauses while the database is briefly away (a restart). */
async function withRetry<T>(fn: () => Promise<T>, attempts = 5): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (i >= attempts || err instanceof LeaseLostError || !isRetryable(err)) throw err;
      await sleep(backoffDelayMs(i, { baseMs: 500, maxMs: 8000, jitter: 0 }));
    }
  }
}

/**
 * The polling worker: claims jobs from its source, runs WORKER_CONCURRENCY
 * pipelines at once, renews leases while they run, records the outcome, and on
 * stop() finishes or releases what it holds: no job is lost.
 */
export class Worker {
  readonly metrics: WorkerMetrics;
  private readonly options: WorkerOptions;
  private readonly running = new Map<string, Running>();
  private readonly claimAbort = new AbortController();
  private loop: Promise<void> | undefined;
  private starting: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;
  private unwatchCancels: (() => Promise<void>) | undefined;

  constructor(options: WorkerOptions) {
    this.options = options;
    this.metrics = options.metrics ?? new WorkerMetrics();
  }

  get activeJobs(): string[] {
    return [...this.running.keys()];
  }

  /** Starts claiming; resolves once the loop is running. */
  start(): Promise<void> {
    this.starting ??= this.startOnce();
    return this.starting;
  }

  private async startOnce(): Promise<void> {
    await this.options.source.start();
    const { config, log } = this.options;
    // Best effort: without the notification a cancel is still seen at the next lease renewal.
    this.unwatchCancels = await this.options.source
      .watchCancels?.((jobId) => this.running.get(jobId)?.renewNow?.())
      .catch((err: unknown) => {
        log.warn({ err }, 'cannot listen for job cancels; they are seen at the next lease renewal');
        return undefined;
      });
    log.info(
      {
        workerId: config.workerId,
        concurrency: config.workerConcurrency,
        source: this.options.source.name,
        pollMs: config.workerPollMs,
      },
      `worker started (${this.options.source.name} queue, concurrency ${config.workerConcurrency})`,
    );
    this.loop = this.claimLoop();
  }

  /** Resolves when the worker has stopped. */
  async finished(): Promise<void> {
    await this.loop;
    await this.stopping;
  }

  private async claimLoop(): Promise<void> {
    const signal = this.claimAbort.signal;
    while (!signal.aborted) {
      if (this.running.size >= this.options.config.workerConcurrency) {
        await Promise.race([...this.running.values()].map((r) => r.done));
        continue;
      }
      let job: ClaimedJob | null;
      try {
        job = await this.options.source.next(signal);
      } catch (err) {
        // The queue is unreachable (database or Redis restarting): wait and try again.
        this.metrics.claimErrors++;
        this.options.log.warn({ err }, 'could not claim a job; retrying');
        await sleep(this.options.config.workerPollMs, signal).catch(() => {});
        continue;
      }
      if (!job) continue;
      const controller = new AbortController();
      const entry: Running = { job, controller, done: Promise.resolve() };
      entry.done = this.runJob(job, controller, entry).finally(() => this.running.delete(job.id));
      this.running.set(job.id, entry);
    }
  }

  /**
   * Stops claiming, lets running jobs finish for up to WORKER_SHUTDOWN_TIMEOUT_MS,
   * then aborts them and gives them back to the queue.
   */
  stop(options: { timeoutMs?: number } = {}): Promise<void> {
    this.stopping ??= (async () => {
      const { log, config } = this.options;
      const timeoutMs = options.timeoutMs ?? config.workerShutdownTimeoutMs;
      this.claimAbort.abort();
      // A SIGTERM while start() is still connecting: let it finish first, or what it opens after
      // this teardown (the queue's LISTEN client, the cancel watch) would keep the process alive.
      await this.starting?.catch(() => {});
      await this.loop;
      if (this.running.size > 0) {
        log.info(
          { jobs: this.activeJobs, timeoutMs },
          `shutting down: waiting up to ${timeoutMs} ms for ${this.running.size} job(s)`,
        );
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          Promise.allSettled([...this.running.values()].map((r) => r.done)),
          new Promise((r) => (timer = setTimeout(r, timeoutMs))),
        ]);
        clearTimeout(timer);
      }
      this.abortAll('worker shutting down');
      await Promise.allSettled([...this.running.values()].map((r) => r.done));
      await this.unwatchCancels?.().catch(() => {});
      await this.options.source.stop();
      log.info({}, 'worker stopped');
    })();
    return this.stopping;
  }

  /** Aborts every running job at once (a second SIGTERM): they are released, not failed. */
  abortAll(reason = 'worker stopping now'): void {
    for (const r of this.running.values()) r.controller.abort(new AbortedError(reason));
  }

  private stagesFor(job: ClaimedJob): Stage[] {
    if (this.options.stagesFor) return this.options.stagesFor(job);
    return job.kind === 'transcribe' ? transcriptionStages() : defaultStages();
  }

  /** The job's video; when there is no row, the seed's upload convention uploads/{id}_{name} finds the file. */
  private async ensureVideo(job: ClaimedJob): Promise<VideoRecord> {
    const { store, config } = this.options;
    const existing = await store.getVideo(job.videoId);
    if (existing?.originalPath) return existing;
    const uploads = videoPaths(config.dataDir, job.videoId).uploadsDir;
    const names = (await readdir(uploads).catch(() => [] as string[])).filter(
      (n) => n.startsWith(`${job.videoId}_`) && !n.startsWith('.'),
    );
    if (names.length === 0) throw new VideoNotFoundError(job.videoId);
    if (names.length > 1)
      throw new InvalidStateError(`Several uploads match video ${job.videoId}: ${names.join(', ')}`, {
        fix: 'insert the videos row with original_path set',
      });
    const video: VideoRecord = { id: job.videoId, originalPath: `uploads/${names[0]}`, status: 'processing' };
    await store.saveVideo(video);
    return video;
  }

  /** A cancelled job is let go of (never failed, released or retried) and logged once. */
  private async finishCancelled(job: ClaimedJob, log: Logger, started: number): Promise<void> {
    await withRetry(() => this.options.source.acknowledgeCancel?.(job) ?? Promise.resolve(true)).catch((err: unknown) =>
      log.warn({ err }, 'could not acknowledge the cancel; the lease will expire instead'),
    );
    this.metrics.jobs.cancelled++;
    log.info({ durationMs: Date.now() - started }, `CANCELLED: job ${job.id} for video ${job.videoId} stopped`);
  }

  private async runJob(job: ClaimedJob, controller: AbortController, entry: Running): Promise<void> {
    const { source, store, config } = this.options;
    const log = this.options.log.child({ jobId: job.id, videoId: job.videoId });
    const started = Date.now();
    let leaseLost = false;
    let cancelled = false;
    this.metrics.active++;
    log.info(
      { attempt: job.attempts, maxAttempts: job.maxAttempts, kind: job.kind },
      `CLAIMED: Processing job ${job.id} for video ${job.videoId} (attempt ${job.attempts}/${job.maxAttempts})`,
    );
    const renew = () => {
      source.renew(job).catch((err: unknown) => {
        if (err instanceof JobCancelledError) {
          cancelled = true;
          controller.abort(err);
        } else if (err instanceof LeaseLostError) {
          leaseLost = true;
          controller.abort(err);
        } else log.warn({ err }, 'could not renew the lease; will try again');
      });
    };
    entry.renewNow = renew;
    const renewal = setInterval(renew, Math.max(250, Math.floor(config.workerLeaseMs / 3)));
    try {
      // The claim set the video processing (the queue owns job-caused state); the engine leaves it alone.
      const video = await this.ensureVideo(job);
      const run = runPipeline({
        video,
        stages: this.stagesFor(job),
        store,
        config,
        signal: controller.signal,
        logger: log,
        updateVideoStatus: false,
      });
      logPipelineEvents(run.events, log, {});
      run.events.on('stage:done', (e) => this.metrics.observeStage(e.stage, e.durationMs));
      const result = await run;
      if (cancelled) return await this.finishCancelled(job, log, started);
      if (result.status === 'aborted') {
        if (leaseLost) {
          log.warn({}, `lease on job ${job.id} was lost; another worker has it now`);
        } else {
          await withRetry(() => source.release(job));
          this.metrics.jobs.released++;
          log.info(
            {},
            `released job ${job.id} back to the queue (${(controller.signal.reason as Error)?.message ?? 'aborted'})`,
          );
        }
        return;
      }
      if (result.status === 'failed') throw result.error ?? new Error('pipeline failed');
      await withRetry(() => source.complete(job));
      this.metrics.jobs.done++;
      const timings = Object.fromEntries(
        Object.entries(result.stages).map(([k, v]) => [k, v.status === 'done' ? v.durationMs : v.status]),
      );
      log.info(
        { durationMs: Date.now() - started, stages: timings },
        `READY: job ${job.id} for video ${job.videoId} done in ${((Date.now() - started) / 1000).toFixed(2)} s`,
      );
    } catch (caught) {
      const err = toError(caught);
      // Cancelled while running, or just as it finished (complete() then finds it cancelled).
      if (
        cancelled ||
        ((leaseLost || err instanceof LeaseLostError) && (await source.acknowledgeCancel?.(job).catch(() => false)))
      ) {
        if (cancelled) return await this.finishCancelled(job, log, started);
        this.metrics.jobs.cancelled++;
        log.info({}, `CANCELLED: job ${job.id} for video ${job.videoId} stopped`);
        return;
      }
      if (leaseLost || err instanceof LeaseLostError) {
        log.warn({ err }, `lease on job ${job.id} was lost; leaving it to the worker that holds it`);
        return;
      }
      const retryable = isRetryable(err);
      try {
        const outcome = await withRetry(() => source.fail(job, err, retryable));
        if (outcome === 'retry') this.metrics.jobs.retried++;
        else this.metrics.jobs.failed++;
        const stage = failedStageOf(err);
        log.error(
          { err, retryable, outcome, stage, attempt: job.attempts, durationMs: Date.now() - started },
          `FAILED: job ${job.id} for video ${job.videoId}${stage ? ` in ${stage}` : ''}: ${err.message} (${outcome === 'retry' ? `will retry, attempt ${job.attempts} of ${job.maxAttempts}` : 'not retried'})`,
        );
      } catch (recordErr) {
        log.error(
          { err: recordErr },
          `FAILED: job ${job.id}: could not record the failure (${err.message}); the lease will expire and the job will be retried`,
        );
      }
    } finally {
      clearInterval(renewal);
      this.metrics.active--;
    }
  }
}
