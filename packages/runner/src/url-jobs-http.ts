import type { Config } from '@videoqa/core';
import { setVideoSourceUrl, type Db } from '@videoqa/storage-pg';
import { HttpError } from './api-http.ts';
import { downloadForVideo } from './outbound/url-ingest.ts';

/**
 * `POST /v1/jobs {"url": ...}`: downloads the video into uploads/ before the job is
 * enqueued, so a refused or broken URL is answered at once with the code of what failed
 * (its HTTP status comes from ERROR_CODES: 4xx for the caller's URL, 502/504 for the
 * remote side), and a job only ever points at a checked file. Downloads share the
 * API_MAX_CONCURRENT_UPLOADS budget with uploads, counted here.
 */
export function createUrlIngest(options: { db: Db; config: Config }) {
  let inFlight = 0;
  return async function ingest(url: string, videoId: string): Promise<string> {
    const { db, config } = options;
    if (inFlight >= config.apiMaxConcurrentUploads) {
      throw new HttpError(
        503,
        'UPLOADS_BUSY',
        `${inFlight} URL downloads are in progress (API_MAX_CONCURRENT_UPLOADS); try again shortly`,
      );
    }
    inFlight++;
    try {
      const { originalPath } = await downloadForVideo(url, videoId, config);
      await setVideoSourceUrl(db, videoId, url);
      return originalPath;
    } finally {
      inFlight--;
    }
  };
}
