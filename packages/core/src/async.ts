import { AbortedError } from './errors.ts';

/** Resolves after `ms`, or rejects with the signal's reason when aborted first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortReasonOf(signal));
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortReasonOf(signal!));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The signal's reason as an Error (an AbortedError when it is not one). */
export function abortReasonOf(signal: AbortSignal): Error {
  return signal.reason instanceof Error
    ? signal.reason
    : new AbortedError('Operation aborted', { cause: signal.reason });
}

/**
 * Exponential backoff with jitter: base · 2^(attempt-1), capped, then spread by
 * ±jitter so a burst of failures does not retry in lockstep.
 */
export function backoffDelayMs(
  attempt: number,
  options: { baseMs: number; maxMs: number; jitter?: number; random?: () => number },
): number {
  const jitter = options.jitter ?? 0.25;
  const random = options.random ?? Math.random;
  const exp = options.baseMs * 2 ** Math.min(Math.max(attempt - 1, 0), 30);
  const capped = Math.min(exp, options.maxMs);
  return Math.max(0, Math.round(capped * (1 - jitter + 2 * jitter * random())));
}
