import { ConfigError, importVideoFile, loadConfig, VideoBusyError, newId } from '@videoqa/core';
import { activeJobForVideo, enqueueJob, setVideoSourceUrl, type JobKind } from '@videoqa/storage-pg';
import { createJobSource } from './job-sources.ts';
import { checkOutboundUrl } from './outbound/address-guard.ts';
import { isHttpUrl, withDownloadedUrl } from './outbound/url-ingest.ts';
import { resolveJobWebhook } from './webhooks/webhook-target.ts';
import { assertInputFile } from './process-command.ts';
import { EXIT, overridesFrom, withRuntime, type CommandIO } from './command-support.ts';

export async function enqueueCommand(
  file: string,
  opts: {
    id?: string;
    kind?: string;
    maxAttempts?: string;
    json?: boolean;
    dataDir?: string;
    sourceUrl?: string;
    webhook?: string;
  },
  io: CommandIO,
): Promise<number> {
  const kind = (opts.kind ?? 'process') as JobKind;
  if (kind !== 'process' && kind !== 'transcribe')
    throw new ConfigError([{ variable: '--kind', message: `must be process or transcribe (got "${opts.kind}")` }]);
  const maxAttempts = opts.maxAttempts === undefined ? undefined : Number(opts.maxAttempts);
  if (maxAttempts !== undefined && (!Number.isInteger(maxAttempts) || maxAttempts < 1))
    throw new ConfigError([{ variable: '--max-attempts', message: 'must be a positive integer' }]);
  if (isHttpUrl(file) && !opts.sourceUrl) {
    const config = loadConfig({ overrides: overridesFrom(opts) });
    checkOutboundUrl(file);
    await resolveJobWebhook(config, opts.webhook); // a bad webhook is refused before the download
    return withDownloadedUrl(file, config, (local) => enqueueCommand(local, { ...opts, sourceUrl: file }, io));
  }
  await assertInputFile(file);
  return withRuntime(overridesFrom(opts), async (rt) => {
    const videoId = opts.id ?? newId();
    // before the import replaces the file under a job that is waiting or running
    const active = opts.id ? await activeJobForVideo(rt.db, videoId) : null;
    if (active) throw new VideoBusyError(videoId, active.id, active.status);
    const webhookUrl = await resolveJobWebhook(rt.config, opts.webhook);
    const imported = await importVideoFile(file, { dataDir: rt.config.dataDir, videoId });
    if (opts.sourceUrl) await setVideoSourceUrl(rt.db, videoId, opts.sourceUrl);
    const source = await createJobSource(rt);
    try {
      const job = source.enqueue
        ? await source.enqueue({ videoId, originalPath: imported.originalPath, kind, maxAttempts, webhookUrl })
        : await enqueueJob(rt.db, { videoId, originalPath: imported.originalPath, kind, maxAttempts, webhookUrl });
      io.stdout.write(
        opts.json
          ? `${JSON.stringify({ job_id: job.id, video_id: videoId, kind, queue: source.name, original_path: imported.originalPath, ...(opts.sourceUrl ? { source_url: opts.sourceUrl } : {}), ...(webhookUrl ? { webhook_url: webhookUrl } : {}) })}\n`
          : `enqueued job ${job.id} (${kind}) for video ${videoId} on the ${source.name} queue\n`,
      );
    } finally {
      await source.stop();
    }
    return EXIT.ok;
  });
}
