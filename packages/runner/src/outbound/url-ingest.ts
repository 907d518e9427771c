import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { OutboundError, resolveInDataDir, safeFileName, toDataDirRelative, type Config } from '@videoqa/core';
import { ingestPolicy, type LookupAll } from './address-guard.ts';
import { downloadVideo, type DownloadResult } from './url-download.ts';

/** Does a CLI argument or API field name an http(s) URL rather than a file? */
export const isHttpUrl = (value: string): boolean => /^https?:\/\//i.test(value.trim());

/** A file name for the download: the URL's last path segment, made safe, with an extension. */
export function fileNameFromUrl(url: URL): string {
  let last = url.pathname.split('/').filter(Boolean).pop() ?? '';
  try {
    last = decodeURIComponent(last);
  } catch {
    /* keep it encoded */
  }
  const name = last ? safeFileName(last) : 'download.mp4';
  return extname(name) ? name : `${name}.mp4`;
}

const INGEST_DIR_PREFIX = '.ingest-';

/**
 * Removes download directories a killed process left in uploads/. A download never
 * outlives INGEST_TIMEOUT_MS, so one older than twice that is nobody's.
 */
async function sweepStaleIngestDirs(uploads: string, timeoutMs: number): Promise<void> {
  const names = (await readdir(uploads).catch(() => [] as string[])).filter((n) => n.startsWith(INGEST_DIR_PREFIX));
  const now = Date.now();
  for (const n of names) {
    const info = await stat(join(uploads, n)).catch(() => null);
    if (info && now - info.mtimeMs > 2 * timeoutMs + 60_000)
      await rm(join(uploads, n), { recursive: true, force: true });
  }
}

export interface IngestOptions {
  /** Injected DNS for tests of the guard; the system resolver otherwise. */
  lookup?: LookupAll;
  signal?: AbortSignal;
}

/** Downloads `url` to `target` under the configured limits and the ingest SSRF policy. */
export function downloadWithConfig(
  url: string,
  target: string,
  config: Config,
  options: IngestOptions = {},
): Promise<DownloadResult> {
  return downloadVideo(url, {
    target,
    maxBytes: config.ingestMaxBytes,
    timeoutMs: config.ingestTimeoutMs,
    maxRedirects: config.ingestMaxRedirects,
    policy: ingestPolicy(config, options.lookup),
    ffprobePath: config.ffprobePath,
    signal: options.signal,
  });
}

/**
 * For `process <url>` and `enqueue <url>`: downloads into a private directory under
 * uploads/ (same file system, so the import that follows is a hard link), hands the
 * local file to `use`, and removes the directory afterwards. SIGINT/SIGTERM during
 * the download abort it and leave nothing behind.
 */
export async function withDownloadedUrl<T>(
  url: string,
  config: Config,
  use: (file: string, result: DownloadResult) => Promise<T>,
): Promise<T> {
  const uploads = resolveInDataDir(config.dataDir, 'uploads');
  await mkdir(uploads, { recursive: true });
  await sweepStaleIngestDirs(uploads, config.ingestTimeoutMs);
  const dir = join(uploads, `${INGEST_DIR_PREFIX}${process.pid}-${randomBytes(4).toString('hex')}`);
  await mkdir(dir);
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new OutboundError('URL_NOT_ALLOWED', `${JSON.stringify(url.slice(0, 200))} is not a valid URL`);
    }
    const file = join(dir, fileNameFromUrl(parsed));
    const result = await downloadWithConfig(url, file, config, { signal: controller.signal });
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    return await use(file, result);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await rm(dir, { recursive: true, force: true });
  }
}

/** For the job API: downloads straight to uploads/{videoId}_{name}; returns the path relative to DATA_DIR. */
export async function downloadForVideo(
  url: string,
  videoId: string,
  config: Config,
  options: IngestOptions = {},
): Promise<{ originalPath: string; result: DownloadResult }> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new OutboundError('URL_NOT_ALLOWED', `${JSON.stringify(url.slice(0, 200))} is not a valid URL`);
  }
  const target = resolveInDataDir(config.dataDir, join('uploads', `${videoId}_${fileNameFromUrl(parsed)}`));
  const result = await downloadWithConfig(url, target, config, options);
  return { originalPath: toDataDirRelative(config.dataDir, target), result };
}
