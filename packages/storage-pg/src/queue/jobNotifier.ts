import type { Db } from '../db.ts';
import { JOBS_CHANNEL } from './job.ts';

export interface JobNotifier {
  /** Resolves true when a job was announced, false after timeoutMs or on abort. */
  wait(timeoutMs: number, signal?: AbortSignal): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * LISTENs for the jobs trigger's NOTIFY so an idle worker wakes at once. A
 * notification that arrives between waits is remembered, not lost.
 */
export async function createJobNotifier(db: Db): Promise<JobNotifier> {
  let pendingWake = false;
  let wake: (() => void) | undefined;
  const unlisten = await db.listen(JOBS_CHANNEL, () => {
    pendingWake = true;
    wake?.();
  });
  return {
    wait(timeoutMs, signal) {
      if (pendingWake) {
        pendingWake = false;
        return Promise.resolve(true);
      }
      return new Promise<boolean>((resolve) => {
        const finish = (notified: boolean) => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          wake = undefined;
          if (notified) pendingWake = false;
          resolve(notified);
        };
        const onAbort = () => finish(false);
        const timer = setTimeout(() => finish(false), timeoutMs);
        wake = () => finish(true);
        if (signal?.aborted) onAbort();
        else signal?.addEventListener('abort', onAbort, { once: true });
      });
    },
    close: unlisten,
  };
}
