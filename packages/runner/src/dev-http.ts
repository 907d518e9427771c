import { createServer, type Server } from 'node:http';
import { listenOn, sendJson } from './http-helpers.ts';
import type { Logger } from '@videoqa/core';
import { peekJobs, queueStats, type Db } from '@videoqa/storage-pg';
import { renderMetrics, type WorkerMetrics } from './metrics.ts';

export interface DevServerOptions {
  db: Db;
  metrics: WorkerMetrics;
  /** Default 127.0.0.1: reachable from this machine only. */
  host?: string;
  port: number;
  log?: Logger;
}

export interface DevServer {
  url: string;
  close(): Promise<void>;
}

const HEALTH_TIMEOUT_MS = 3000;

/**
 * The seed's dev endpoints: GET /healthz, /jobs/peek, /stats, plus /metrics in
 * Prometheus text format. Read-only; bound to 127.0.0.1 unless told otherwise.
 */
export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  const { db, metrics } = options;
  const json = sendJson;
  const server: Server = createServer(async (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') return json(res, 405, { error: 'method not allowed' });
    try {
      switch (path) {
        case '/healthz': {
          try {
            await Promise.race([
              db.query('SELECT 1'),
              new Promise((_, reject) =>
                setTimeout(() => reject(new Error(`no answer within ${HEALTH_TIMEOUT_MS} ms`)), HEALTH_TIMEOUT_MS),
              ),
            ]);
            return json(res, 200, { ok: true, status: 'healthy' });
          } catch (err) {
            return json(res, 503, {
              ok: false,
              status: 'unhealthy',
              reason: `database unreachable: ${(err as Error).message}`,
            });
          }
        }
        case '/jobs/peek': {
          const url = new URL(req.url ?? '/', 'http://x');
          const limit = Math.min(100, Math.max(1, Number(url.searchParams.get('limit') ?? 20) || 20));
          const peek = await peekJobs(db, limit);
          return json(res, 200, {
            pending_jobs: peek.pending,
            jobs: peek.jobs.map((j) => ({
              id: j.id,
              video_id: j.videoId,
              kind: j.kind,
              status: j.status,
              attempts: j.attempts,
              run_at: j.runAt,
              created_at: j.createdAt,
              error: j.error,
            })),
          });
        }
        case '/stats': {
          const s = await queueStats(db);
          return json(res, 200, {
            jobs: s.jobs,
            videos: s.videos,
            processing: {
              count: s.processing.length,
              oldest_pending_age_sec: Math.round(s.oldestPendingAgeSec * 10) / 10,
              scheduled_retries: s.scheduledRetries,
              this_worker_active: metrics.active,
              jobs: s.processing.map((p) => ({
                job_id: p.jobId,
                video_id: p.videoId,
                locked_by: p.lockedBy,
                locked_until: p.lockedUntil,
                attempts: p.attempts,
                running_for_sec: Math.round(p.runningForSec),
              })),
            },
          });
        }
        case '/metrics': {
          const stats = await queueStats(db).catch(() => null);
          res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
          return res.end(renderMetrics(stats, metrics));
        }
        default:
          return json(res, 404, {
            error: `not found: ${path}`,
            endpoints: ['/healthz', '/jobs/peek', '/stats', '/metrics'],
          });
      }
    } catch (err) {
      options.log?.warn({ err, path }, 'dev http request failed');
      return json(res, 503, { error: (err as Error).message });
    }
  });
  const host = options.host ?? '127.0.0.1';
  const url = await listenOn(server, options.port, host);
  options.log?.info({ url }, `dev HTTP listening on ${url}`);
  return {
    url,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
