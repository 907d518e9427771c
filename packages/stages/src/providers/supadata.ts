import {
  backoffDelayMs,
  ProviderError,
  sleep,
  VideoqaError,
  type TranscriptionProvider,
  scrubSecrets,
} from '@videoqa/core';
import { z } from 'zod';

export interface SupadataOptions {
  apiKey: string;
  /** Default https://api.supadata.ai/v1 */
  baseUrl?: string;
  /**
   * Public base URL under which DATA_DIR files are reachable (Supadata fetches
   * media by URL; it takes no uploads). The media path is appended to it.
   */
  mediaBaseUrl?: string;
  timeoutMs?: number;
  maxRetries?: number;
  /** Between polls of an asynchronous transcript job (default 2000 ms). */
  pollIntervalMs?: number;
  /** Give up on an asynchronous job after this long (default 30 min). */
  maxWaitMs?: number;
}

const chunkSchema = z.object({
  text: z.string(),
  offset: z.number(),
  duration: z.number(),
  lang: z.string().optional(),
});
const transcriptSchema = z.object({ content: z.array(chunkSchema), lang: z.string().optional() });
const jobStartSchema = z.object({ jobId: z.string().min(1) });
const jobStatusSchema = z.object({
  status: z.enum(['queued', 'active', 'completed', 'failed']),
  content: z.array(chunkSchema).optional(),
  lang: z.string().optional(),
  error: z.unknown().optional(),
});

/**
 * Supadata's transcript API behind the TranscriptionProvider interface
 * (TRANSCRIPTION_PROVIDER=supadata). Supadata fetches the media from a URL, so
 * SUPADATA_MEDIA_BASE_URL must say where DATA_DIR is served publicly. Long files
 * come back as a job id, which is polled until done.
 */
export function createSupadataTranscription(options: SupadataOptions): TranscriptionProvider {
  const base = (options.baseUrl ?? 'https://api.supadata.ai/v1').replace(/\/+$/, '');
  const secrets = [options.apiKey];
  const maxRetries = options.maxRetries ?? 4;

  async function call(path: string, signal?: AbortSignal): Promise<{ status: number; body: unknown }> {
    for (let attempt = 0; ; attempt++) {
      let res: Response;
      try {
        const timeout = AbortSignal.timeout(options.timeoutMs ?? 120_000);
        res = await fetch(`${base}${path}`, {
          headers: { 'x-api-key': options.apiKey, accept: 'application/json' },
          signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
        });
      } catch (err) {
        if (signal?.aborted) throw signal.reason;
        if (attempt < maxRetries) {
          await sleep(backoff(attempt), signal);
          continue;
        }
        const timedOut = (err as Error).name === 'TimeoutError';
        throw new ProviderError(
          'Supadata',
          timedOut ? 'timeout' : 'network',
          scrubSecrets((err as Error).message, secrets),
          { cause: err },
        );
      }
      const text = await res.text();
      let body: unknown;
      try {
        body = text ? JSON.parse(text) : null;
      } catch {
        body = undefined;
      }
      if (res.status === 429 || res.status >= 500) {
        if (attempt < maxRetries) {
          const retryAfter = Number(res.headers.get('retry-after'));
          await sleep(
            Number.isFinite(retryAfter) && retryAfter > 0 && retryAfter <= 60 ? retryAfter * 1000 : backoff(attempt),
            signal,
          );
          continue;
        }
        throw new ProviderError(
          'Supadata',
          res.status === 429 ? 'rate_limited' : 'server',
          messageOf(body, text, secrets),
          { status: res.status },
        );
      }
      if (res.status >= 400) {
        const kind =
          res.status === 401 || res.status === 403 ? 'auth' : res.status === 404 ? 'not_found' : 'bad_request';
        throw new ProviderError('Supadata', kind, messageOf(body, text, secrets), {
          status: res.status,
          fix: kind === 'auth' ? 'verify SUPADATA_API_KEY' : undefined,
        });
      }
      if (body === undefined)
        throw new ProviderError(
          'Supadata',
          'malformed_reply',
          `reply is not JSON: ${scrubSecrets(text.slice(0, 120), secrets)}`,
        );
      return { status: res.status, body };
    }
  }

  const toSegments = (content: z.infer<typeof chunkSchema>[]) =>
    content.map((c) => ({ start: c.offset / 1000, end: (c.offset + c.duration) / 1000, text: c.text }));

  return {
    name: 'supadata',
    maxUploadBytes: Number.MAX_SAFE_INTEGER,
    byUrl: true,
    async transcribe(req) {
      if (!options.mediaBaseUrl) {
        throw new VideoqaError(
          'CONFIG_INVALID',
          'Supadata fetches media by URL, but SUPADATA_MEDIA_BASE_URL is not set',
          false,
          {
            fix: 'serve DATA_DIR over HTTPS and set SUPADATA_MEDIA_BASE_URL to its public base URL, or use TRANSCRIPTION_PROVIDER=openai',
          },
        );
      }
      if (!req.mediaPath)
        throw new VideoqaError('STAGE_INPUT_MISSING', 'Supadata needs the media path of the video', false);
      const mediaUrl = `${options.mediaBaseUrl.replace(/\/+$/, '')}/${req.mediaPath.split('/').map(encodeURIComponent).join('/')}`;
      const query = new URLSearchParams({
        url: mediaUrl,
        text: 'false',
        mode: 'generate',
        ...(req.language ? { lang: req.language } : {}),
      });
      const first = await call(`/transcript?${query}`, req.signal);
      const direct = transcriptSchema.safeParse(first.body);
      if (direct.success) {
        const segments = toSegments(direct.data.content);
        return { segments, text: segments.map((s) => s.text).join(' '), language: direct.data.lang };
      }
      const job = jobStartSchema.safeParse(first.body);
      if (!job.success)
        throw new ProviderError('Supadata', 'malformed_reply', 'reply has neither transcript content nor a job id');
      const deadline = Date.now() + (options.maxWaitMs ?? 30 * 60_000);
      for (;;) {
        await sleep(options.pollIntervalMs ?? 2000, req.signal);
        const polled = jobStatusSchema.safeParse(
          (await call(`/transcript/${encodeURIComponent(job.data.jobId)}`, req.signal)).body,
        );
        if (!polled.success)
          throw new ProviderError(
            'Supadata',
            'malformed_reply',
            `unexpected job status reply (${polled.error.issues[0]?.message})`,
          );
        if (polled.data.status === 'completed') {
          const segments = toSegments(polled.data.content ?? []);
          return { segments, text: segments.map((s) => s.text).join(' '), language: polled.data.lang };
        }
        if (polled.data.status === 'failed')
          throw new ProviderError(
            'Supadata',
            'server',
            `transcript job ${job.data.jobId} failed: ${scrubSecrets(JSON.stringify(polled.data.error ?? 'no detail'), secrets)}`,
          );
        if (Date.now() > deadline)
          throw new ProviderError(
            'Supadata',
            'timeout',
            `transcript job ${job.data.jobId} still ${polled.data.status} after ${Math.round((options.maxWaitMs ?? 1_800_000) / 1000)} s`,
          );
      }
    },
  };
}

/** Pause before retry `attempt` (0-based): 0.5 s doubling to 30 s, ±25 % jitter. */
const backoff = (attempt: number) => backoffDelayMs(attempt + 1, { baseMs: 500, maxMs: 30_000 });

function messageOf(body: unknown, text: string, secrets: readonly string[]): string {
  const b = body as { message?: unknown; error?: unknown; details?: unknown } | null | undefined;
  const msg = typeof b?.message === 'string' ? b.message : typeof b?.error === 'string' ? b.error : text.slice(0, 200);
  return scrubSecrets(msg || 'no detail', secrets);
}
