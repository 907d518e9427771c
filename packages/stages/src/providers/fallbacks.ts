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
