import { sleep } from '@videoqa/core';
import {
  claimJob,
  createJobNotifier,
  type ClaimOptions,
  type Db,
  type Job,
  type JobNotifier,
  type Queryable,
} from '@videoqa/storage-pg';

export interface JobPollerOptions {
  db: Db;
  claim: ClaimOptions;
  /** WORKER_POLL_MS: the first wait after finding the queue empty. */
  pollMs: number;
  /** The wait doubles while the queue stays empty, up to this. */
  maxPollMs: number;
  /** LISTEN for NOTIFY to wake at once (default true). */
  listen?: boolean;
  /** Claim errors (database down...) are reported here and retried with the same backoff. */
  onError?: (err: unknown) => void;
}

/** The idle wait after `emptyPolls` consecutive empty polls: pollMs, 2·pollMs, 4·pollMs ... capped. */
export function idleDelayMs(emptyPolls: number, pollMs: number, maxPollMs: number): number {
  return Math.min(maxPollMs, pollMs * 2 ** Math.max(0, Math.min(emptyPolls - 1, 30)));
}

/**
 * Milliseconds until the next job becomes claimable without a NOTIFY (a pending job's
 * future run_at, or a processing job's lease expiry), or null when there is none.
 */
export async function msUntilNextDue(db: Queryable): Promise<number | null> {
  const res = await db.query<{ ms: number | null }>(
    `SELECT extract(epoch FROM (least(
       (SELECT min(run_at) FROM jobs WHERE status = 'pending' AND run_at > now() AND run_at <> 'infinity'::timestamptz),
       (SELECT min(locked_until) FROM jobs WHERE status = 'processing' AND run_at <> 'infinity'::timestamptz)
     ) - now())) * 1000 AS ms`,
  );
  const ms = res.rows[0]?.ms;
  return ms === null || ms === undefined ? null : Math.max(0, Number(ms));
}

/**
 * Hands out claimed jobs: claims at once when asked, and while the queue is
 * empty waits WORKER_POLL_MS, doubling up to a cap, waking early on NOTIFY.
 * An idle worker so issues at most one claim query per wait.
 */
export class JobPoller {
  private readonly options: JobPollerOptions;
  private notifier: JobNotifier | undefined;
  private emptyPolls = 0;
  /** Claim statements issued (for metrics and tests). */
  claimQueries = 0;

  constructor(options: JobPollerOptions) {
    this.options = options;
  }

  async start(): Promise<void> {
    if (this.options.listen === false || this.notifier) return;
    try {
      this.notifier = await createJobNotifier(this.options.db);
    } catch (err) {
      // Polling alone still works; report and carry on.
      this.options.onError?.(err);
    }
  }

  /** The next job, or null when the signal fires first. */
  async next(signal: AbortSignal): Promise<Job | null> {
    const { pollMs, maxPollMs } = this.options;
    while (!signal.aborted) {
      let job: Job | null = null;
      try {
        this.claimQueries++;
        job = await claimJob(this.options.db, this.options.claim);
      } catch (err) {
        this.options.onError?.(err);
      }
      if (job) {
        this.emptyPolls = 0;
        return job;
      }
      this.emptyPolls++;
      // A retry's run_at or a dead worker's lease expiry sends no NOTIFY: wake for it instead of sleeping past it.
      const untilDue = await msUntilNextDue(this.options.db).catch(() => null);
      const idle = idleDelayMs(this.emptyPolls, pollMs, maxPollMs);
      const delay = untilDue === null ? idle : Math.max(5, Math.min(idle, untilDue + 5));
      let notified = false;
      if (this.notifier) notified = await this.notifier.wait(delay, signal);
      else await sleep(delay, signal).catch(() => {});
      if (notified) this.emptyPolls = 0;
    }
    return null;
  }

  async stop(): Promise<void> {
    const n = this.notifier;
    this.notifier = undefined;
    await n?.close();
  }
}
