import { JobNotFoundError, VideoNotFoundError } from '@videoqa/core';
import { getJob, listJobsForVideo, queueStats, retryJob, askUsageSummary } from '@videoqa/storage-pg';
import { askUsageLine } from './ask-usage-view.ts';
import { toSnakeCaseJson } from './json-view.ts';
import { openRuntime } from './runtime.ts';
import { EXIT, overridesFrom, withRuntime, type CommandIO } from './command-support.ts';

// `migrate`, `retry` and `status`: the commands that look after the database and the queue.
export async function migrateCommand(opts: { dataDir?: string }, io: CommandIO): Promise<number> {
  const rt = await openRuntime({ overrides: overridesFrom(opts), migrate: false, logToStdout: false });
  try {
    const { migrate } = await import('@videoqa/storage-pg');
    const res = await migrate(rt.db, { embeddingDimensions: rt.config.embeddingDimensions });
    io.stdout.write(
      `${res.applied.length > 0 ? `applied migration(s) ${res.applied.join(', ')}` : 'schema already up to date'}; version ${res.version}; embeddings stored as ${res.vector ? `pgvector vector(${res.dimensions})` : `real[] of ${res.dimensions} (pgvector not available)`}\n`,
    );
    return EXIT.ok;
  } finally {
    await rt.close();
  }
}

export async function retryCommand(jobId: string, opts: { dataDir?: string }, io: CommandIO): Promise<number> {
  return withRuntime(overridesFrom(opts), async (rt) => {
    const job = await retryJob(rt.db, jobId);
    io.stdout.write(`job ${job.id} is pending again (video ${job.videoId})\n`);
    return EXIT.ok;
  });
}

export async function statusCommand(
  id: string | undefined,
  opts: { json?: boolean; dataDir?: string },
  io: CommandIO,
): Promise<number> {
  return withRuntime(overridesFrom(opts), async (rt) => {
    const print = (value: unknown, text: string) =>
      io.stdout.write(opts.json ? `${JSON.stringify(toSnakeCaseJson(value), null, 2)}\n` : text);
    if (!id) {
      const s = await queueStats(rt.db);
      const asks = await askUsageSummary(rt.db);
      print(
        { ...s, asks },
        `jobs: ${s.jobs.pending} pending, ${s.jobs.processing} processing, ${s.jobs.done} done, ${s.jobs.failed} failed\nvideos: ${s.videos.pending} pending, ${s.videos.processing} processing, ${s.videos.ready} ready, ${s.videos.failed} failed\noldest due job waiting ${s.oldestPendingAgeSec.toFixed(1)} s; ${s.scheduledRetries} waiting to retry\n${askUsageLine(asks)}\n`,
      );
      return EXIT.ok;
    }
    const job = await getJob(rt.db, id).catch((err: unknown) =>
      err instanceof JobNotFoundError ? null : Promise.reject(err),
    );
    if (job) {
      print(
        job,
        `job ${job.id} (${job.kind}) for video ${job.videoId}: ${job.status}, attempt ${job.attempts}${job.maxAttempts ? `/${job.maxAttempts}` : ''}${job.error ? `\n  error: ${job.error}` : ''}${job.transcription ? `\n  transcription: ${job.transcription.slice(0, 500)}` : ''}\n`,
      );
      return EXIT.ok;
    }
    const video = await rt.store.getVideo(id);
    if (!video) throw new VideoNotFoundError(id);
    const runs = await rt.store.listStageRuns(id);
    const jobs = await listJobsForVideo(rt.db, id);
    const asks = await askUsageSummary(rt.db, { videoId: id });
    print(
      { video, stages: runs, jobs, asks },
      `video ${video.id}: ${video.status}${video.durationSec ? `, ${video.durationSec.toFixed(1)} s` : ''}${video.error ? `\n  error: ${video.error}` : ''}\n${runs.map((r) => `  ${r.stage.padEnd(11)} ${r.status}${r.error ? `: ${r.error}` : ''}`).join('\n')}\n${jobs.map((j) => `  job ${j.id}: ${j.status}`).join('\n')}\n  ${askUsageLine(asks, 'asks about this video')}\n`,
    );
    return EXIT.ok;
  });
}
