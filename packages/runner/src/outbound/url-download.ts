import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { AbortedError, InvalidMediaError, OutboundError, tempPathFor, VideoqaError } from '@videoqa/core';
import { probeVideo } from '@videoqa/stages';
import { checkOutboundUrl, guardedAgent, type AddressPolicy } from './address-guard.ts';
import { loadUndici } from './undici.ts';

export interface DownloadOptions {
  /** Absolute path (inside DATA_DIR) the file ends up at, only once every check passed. */
  target: string;
  maxBytes: number;
  /** For the whole download: every redirect, the body and the ffprobe check. */
  timeoutMs: number;
  maxRedirects: number;
  policy: AddressPolicy;
  ffprobePath: string;
  signal?: AbortSignal;
}

export interface DownloadResult {
  bytes: number;
  contentType: string | null;
  /** Where the bytes came from after redirects. */
  finalUrl: string;
  redirects: number;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * Media types a video may be served as. Servers often send octet-stream for any file;
 * a missing type is let through too: ffprobe decides. An HTML error page, JSON or an
 * image is refused before a byte of it is stored.
 */
const VIDEO_TYPES =
  /^(video\/[\w.+-]+|application\/(octet-stream|mp4|x-matroska|ogg|mxf|vnd\.rn-realmedia)|binary\/octet-stream)$/;

/** Drops a body unread (closing the connection): its error event has a listener, so the abort is not an uncaught exception. */
function discard(body: NodeJS.ReadableStream & { destroy(): void }): void {
  body.on('error', () => {});
  body.destroy();
}

/** The URL as it may be shown: origin and path, without the query (it often holds a signature). */
export function displayUrl(url: URL | string): string {
  const u = typeof url === 'string' ? new URL(url) : url;
  return `${u.origin}${u.pathname}`;
}

/**
 * Streams a video from an http(s) URL to `target`: the SSRF guard on every connection
 * (redirect targets included), at most `maxRedirects` redirects, the content type and
 * the declared and actual size checked, the whole thing under one timeout, and
 * ffprobe's verdict (a video stream) before the file is renamed into place. Whatever
 * goes wrong, no partial file is left behind.
 */
export async function downloadVideo(url: string, options: DownloadOptions): Promise<DownloadResult> {
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  const { request } = await loadUndici();
  const agent = await guardedAgent(options.policy, { connectTimeoutMs: Math.min(options.timeoutMs, 30_000) });
  const temp = tempPathFor(options.target);
  let current = checkOutboundUrl(url);
  const shown = displayUrl(current);
  try {
    await mkdir(dirname(options.target), { recursive: true });
    let redirects = 0;
    for (;;) {
      const res = await request(current, {
        dispatcher: agent,
        method: 'GET',
        signal,
        headers: {
          'user-agent': 'videoqa (+url ingest)',
          accept: 'video/*, application/octet-stream;q=0.9, */*;q=0.1',
        },
      });
      if (REDIRECTS.has(res.statusCode)) {
        await res.body.dump();
        const location = res.headers.location;
        if (typeof location !== 'string' || location === '')
          throw new OutboundError(
            'INGEST_HTTP_STATUS',
            `${displayUrl(current)} answered ${res.statusCode} without a Location`,
          );
        if (redirects >= options.maxRedirects) {
          throw new OutboundError(
            'INGEST_TOO_MANY_REDIRECTS',
            `${shown}: more than ${options.maxRedirects} redirect(s)`,
            { fix: 'give the final URL, or raise INGEST_MAX_REDIRECTS' },
          );
        }
        redirects++;
        // Checked like the first URL; its address is checked by the connector when it connects.
        current = checkOutboundUrl(new URL(location, current).toString(), 'redirect target');
        continue;
      }
      if (res.statusCode < 200 || res.statusCode > 299) {
        await res.body.dump();
        throw new OutboundError('INGEST_HTTP_STATUS', `${displayUrl(current)} answered HTTP ${res.statusCode}`, {
          retryable: res.statusCode >= 500 || res.statusCode === 429,
          details: { status: res.statusCode },
        });
      }
      const contentType = typeof res.headers['content-type'] === 'string' ? res.headers['content-type'] : null;
      const mediaType = contentType?.split(';')[0]?.trim().toLowerCase() ?? '';
      if (mediaType !== '' && !VIDEO_TYPES.test(mediaType)) {
        discard(res.body);
        throw new OutboundError('INGEST_WRONG_TYPE', `${displayUrl(current)} is ${mediaType}, not a video`, {
          fix: 'give the URL of the video file itself (not a web page about it)',
        });
      }
      const declared = Number(res.headers['content-length']);
      if (Number.isFinite(declared) && declared > options.maxBytes) {
        discard(res.body);
        throw new OutboundError(
          'INGEST_TOO_LARGE',
          `${displayUrl(current)} is ${declared} bytes, over INGEST_MAX_BYTES (${options.maxBytes})`,
        );
      }
      let bytes = 0;
      const limit = options.maxBytes;
      await pipeline(
        res.body,
        async function* (source: AsyncIterable<Buffer>) {
          for await (const chunk of source) {
            bytes += chunk.length;
            if (bytes > limit)
              throw new OutboundError(
                'INGEST_TOO_LARGE',
                `${shown}: the download went over INGEST_MAX_BYTES (${limit} bytes)`,
              );
            yield chunk;
          }
        },
        createWriteStream(temp),
        { signal },
      );
      if (bytes === 0) throw new InvalidMediaError(shown, 'the download is empty (0 bytes)');
      try {
        await probeVideo(temp, options.ffprobePath, signal);
      } catch (err) {
        // The probe names the temp file: say it of the URL instead.
        if (err instanceof InvalidMediaError) throw new InvalidMediaError(shown, err.reason, { fix: err.fix });
        throw err;
      }
      await rename(temp, options.target);
      return { bytes, contentType, finalUrl: current.toString(), redirects };
    }
  } catch (err) {
    await rm(temp, { force: true });
    if (timeout.aborted && !options.signal?.aborted)
      throw new OutboundError(
        'INGEST_TIMEOUT',
        `${shown}: not downloaded within INGEST_TIMEOUT_MS (${options.timeoutMs} ms)`,
        { cause: err },
      );
    if (options.signal?.aborted) throw new AbortedError('download aborted', { cause: err });
    if (err instanceof VideoqaError) throw err;
    const code = (err as { code?: string }).code ?? (err as Error).name;
    throw new OutboundError('INGEST_NETWORK', `${displayUrl(current)}: ${code}: ${(err as Error).message}`, {
      cause: err,
    });
  } finally {
    await agent.destroy().catch(() => {});
  }
}
