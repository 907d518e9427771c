import OpenAI from 'openai';
import { abortReasonOf, ProviderError, scrubSecrets, type ProviderErrorKind } from '@videoqa/core';

function kindForStatus(status: number): ProviderErrorKind {
  if (status === 429) return 'rate_limited';
  if (status === 401 || status === 403) return 'auth';
  if (status === 404) return 'not_found';
  if (status === 408 || status === 409 || status >= 500) return status === 408 ? 'timeout' : 'server';
  return 'bad_request';
}

/**
 * Turns whatever the SDK threw (after its own retries) into a ProviderError:
 * retryable for 429/5xx/timeouts/network, not for 400/401/404; never carrying
 * the API key in its message.
 */
export function toProviderError(
  err: unknown,
  provider: string,
  secrets: readonly string[],
  signal?: AbortSignal,
): Error {
  if (signal?.aborted) return abortReasonOf(signal);
  if (err instanceof ProviderError) return err;
  if (err instanceof OpenAI.APIUserAbortError) return err;
  if (err instanceof OpenAI.APIConnectionTimeoutError)
    return new ProviderError(provider, 'timeout', 'request timed out', { cause: err });
  if (err instanceof OpenAI.APIConnectionError)
    return new ProviderError(provider, 'network', scrubSecrets(err.message, secrets), { cause: err });
  if (err instanceof OpenAI.APIError && typeof err.status === 'number') {
    const detail = scrubSecrets(
      err.error && typeof err.error === 'object' && 'message' in err.error
        ? String((err.error as { message: unknown }).message)
        : err.message,
      secrets,
    );
    return new ProviderError(provider, kindForStatus(err.status), detail, {
      status: err.status,
      cause: scrubbedCause(err, secrets),
    });
  }
  if (
    err instanceof SyntaxError ||
    (err instanceof Error &&
      /LengthFinishReason|ContentFilterFinishReason|ZodError|invalid_type|JSON/i.test(`${err.name} ${err.message}`))
  ) {
    return new ProviderError(provider, 'malformed_reply', scrubSecrets((err as Error).message.slice(0, 300), secrets), {
      cause: err,
    });
  }
  if (err instanceof Error)
    return new ProviderError(provider, 'network', scrubSecrets(err.message, secrets), { cause: err });
  return new ProviderError(provider, 'network', String(err));
}

/** The SDK error keeps request headers; keep only what is safe to log as the cause. */
function scrubbedCause(err: InstanceType<typeof OpenAI.APIError>, secrets: readonly string[]): Error {
  const cause = new Error(scrubSecrets(err.message, secrets));
  cause.name = err.name;
  return cause;
}
