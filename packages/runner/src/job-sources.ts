import { enqueueJob, type JobKind } from '@videoqa/storage-pg';
import type { JobSource } from './job-source.ts';
import { PostgresJobSource } from './postgres-job-source.ts';
import { RedisJobSource } from './redis-job-source.ts';
import type { Runtime } from './runtime.ts';

export interface EnqueuingJobSource extends JobSource {
  enqueue?(options: {
    videoId: string;
    originalPath?: string;
    kind?: JobKind;
    maxAttempts?: number;
    jobId?: string;
    webhookUrl?: string;
  }): Promise<{ id: string }>;
}

/** The job source WORKER_JOB_SOURCE names: the Postgres queue (default) or Redis. */
export async function createJobSource(rt: Runtime): Promise<EnqueuingJobSource> {
  if (rt.config.workerJobSource === 'redis') return new RedisJobSource(rt.db, rt.config);
  const source = new PostgresJobSource(rt.db, rt.config, (err) =>
    rt.log.warn({ err }, 'claiming a job failed; retrying'),
  );
  return Object.assign(source, {
    enqueue: (o: {
      videoId: string;
      originalPath?: string;
      kind?: JobKind;
      maxAttempts?: number;
      jobId?: string;
      webhookUrl?: string;
    }) => enqueueJob(rt.db, o),
  });
}
