import { ConfigError, ERROR_CODES, VideoqaError } from '@videoqa/core';
import { openRuntime, type Runtime } from './runtime.ts';

/**
 * What every command shares: exit codes, the IO it writes to, the runtime it opens, and
 * option parsing.
 */
/** Exit codes, documented in docs/cli.md. */
export const EXIT = {
  ok: 0,
  failed: 1,
  usage: 2,
  /** Finished, but AI stages were skipped for want of an API key. */
  partial: 3,
  /** The input was refused (not a video, not found, outside DATA_DIR). */
  badInput: 4,
  /** Stopped by Ctrl-C (SIGINT): 128 + 2, as shells report a process killed by it. */
  interrupted: 130,
} as const;

export interface CommandIO {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WriteStream;
}

/** The exit code for an error: its code's exit class in ERROR_CODES; 1 for anything that is not a VideoqaError. */
export function exitCodeFor(err: unknown): number {
  if (!(err instanceof VideoqaError)) return EXIT.failed;
  return EXIT[ERROR_CODES[err.code].exit];
}

const quietRuntime = (overrides: Record<string, unknown> = {}) =>
  openRuntime({ overrides, logToStdout: ['debug', 'trace'].includes(process.env.LOG_LEVEL?.toLowerCase() ?? '') });

export async function withRuntime<T>(overrides: Record<string, unknown>, fn: (rt: Runtime) => Promise<T>): Promise<T> {
  const rt = await quietRuntime(overrides);
  try {
    return await fn(rt);
  } finally {
    await rt.close();
  }
}

export const overridesFrom = (opts: { dataDir?: string }) => (opts.dataDir ? { dataDir: opts.dataDir } : {});

/** A whole number option in [1, max], or a usage error naming the option. */
export function positiveIntOption(name: string, value: string | undefined, fallback: number, max = 1000): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(n) || n < 1 || n > max) {
    throw new ConfigError([
      { variable: name, message: `must be a whole number from 1 to ${max} (got ${JSON.stringify(value)})` },
    ]);
  }
  return n;
}
