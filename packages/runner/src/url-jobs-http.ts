import { VideoqaError, type Config } from '@videoqa/core';
import { setVideoSourceUrl, type Db } from '@videoqa/storage-pg';
import { HttpError } from './api-http.ts';
import { downloadForVideo } from './outbound/url-ingest.ts';

/** HTTP status for a URL ingest that failed: the caller's URL (4xx) or the remote side (502/504). */
const STATUS_BY_CODE: Record<string, number> = {
  URL_NOT_ALLOWED: 400,
  INVALID_MEDIA: 422,
  INGEST_WRONG_TYPE: 415,
  INGEST_TOO_LARGE: 413,
  INGEST_TOO_MANY_REDIRECTS: 502,
  INGEST_HTTP_STATUS: 502,
  INGEST_NETWORK: 502,
  INGEST_TIMEOUT: 504,
};

/**
 * `POST /v1/jobs {"url": ...}`: downloads the video into uploads/ before the job is
 * enqueued, so a refused or broken URL is answered at once with a 4xx/5xx naming the
 * problem, and a job only ever points at a checked file. Downloads share the
 * API_MAX_CONCURRENT_UPLOADS budget with uploads, counted here.
 */
export function createUrlIngest(options: { db: Db; config: Config }) {
  let inFlight = 0;
  return async function ingest(url: string, videoId: string): Promise<string> {
    const { db, config } = options;
    if (inFlight >= config.apiMaxConcurrentUploads) {
      throw new HttpError(503, 'UPLOADS_BUSY', `${inFlight} URL downloads are in progress (API_MAX_CONCURRENT_UPLOADS); try again shortly`);
    }
    inFlight++;
    try {
      const { originalPath } = await downloadForVideo(url, videoId, config);
      await setVideoSourceUrl(db, videoId, url);
      return originalPath;
    } catch (err) {
      if (err instanceof VideoqaError && STATUS_BY_CODE[err.code]) throw new HttpError(STATUS_BY_CODE[err.code]!, err.code, err.message);
      throw err;
    } finally {
      inFlight--;
    }
  };
}
