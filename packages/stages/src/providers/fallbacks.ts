import OpenAI from 'openai';
import { scrubSecrets, type Logger, type ProviderFallback } from '@videoqa/core';

/** The fallbacks one provider took, each kind listed once. */
export class FallbackList {
  readonly list: ProviderFallback[] = [];
  private readonly secrets: readonly string[];
  constructor(secrets: readonly string[]) {
    this.secrets = secrets;
  }

  note(capability: ProviderFallback['capability'], from: string, to: string, err: unknown): void {
    if (this.list.some((f) => f.capability === capability && f.from === from)) return;
    this.list.push({ capability, from, to, reason: scrubSecrets(reasonOf(err), this.secrets).slice(0, 200) });
  }
}

function reasonOf(err: unknown): string {
  if (err instanceof OpenAI.APIError) {
    const body = err.error as { message?: unknown } | undefined;
    return `${err.status ?? ''} ${typeof body?.message === 'string' ? body.message : err.message}`.trim();
  }
  return err instanceof Error ? err.message : String(err);
}

/**
 * True when a request failed because the server does not support a feature of it
 * (a 400/422/501 naming the parameter), as opposed to a bad key, a missing model or
 * an outage: only then is a simpler request worth trying.
 */
export function isUnsupported(err: unknown, feature: RegExp): boolean {
  if (!(err instanceof OpenAI.APIError) || ![400, 415, 422, 501].includes(err.status ?? 0)) return false;
  return feature.test(reasonOf(err));
}

const logged = new WeakSet<ProviderFallback>();

/**
 * Logs each fallback of a provider once per process (a worker runs many videos through
 * one provider) and returns them all, for the stage to record with its output.
 */
export function reportFallbacks(provider: unknown, log: Logger): ProviderFallback[] {
  const list = (provider as { fallbacks?: readonly ProviderFallback[] } | undefined)?.fallbacks ?? [];
  for (const f of list) {
    if (logged.has(f)) continue;
    logged.add(f);
    log.warn({ fallback: f }, `${f.capability}: the server refused ${f.from}; using ${f.to} instead (${f.reason})`);
  }
  return [...list];
}

/**
 * Lets the first request find out whether the server takes a feature while concurrent
 * ones wait, so an unsupported feature is refused once, not once per request in flight.
 * After one success every request runs at once; if the first fails, the next one probes.
 */
export class FirstRequestGate {
  private settled = false;
  private pending: Promise<unknown> | undefined;

  async run<T>(fn: () => Promise<T>): Promise<T> {
    while (!this.settled && this.pending) await this.pending.catch(() => {});
    if (this.settled) return fn();
    const attempt = fn();
    this.pending = attempt;
    try {
      const value = await attempt;
      this.settled = true;
      return value;
    } finally {
      if (this.pending === attempt) this.pending = undefined;
    }
  }
}
