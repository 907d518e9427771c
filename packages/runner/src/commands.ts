import { access, constants, mkdir, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  ConfigError,
  FileNotFoundError,
  importVideoFile,
  loadConfig,
  resolveInDataDir,
  sha256File,
  VideoBusyError,
  ERROR_CODES,
  JobNotFoundError,
  newId,
  redactUrl,
  runPipeline,
  VideoNotFoundError,
  VideoqaError,
  type PipelineResult,
  type ProviderFallback,
} from '@videoqa/core';
import { defaultStages, embeddingsFromConfig, ocrLanguageDir, runToText, STAGE_NAMES } from '@videoqa/stages';
import {
  activeJobForVideo,
  enqueueJob,
  findVideoByContent,
  getJob,
  setVideoContentHash,
  setVideoSourceUrl,
  LATEST_SCHEMA_VERSION,
  listJobsForVideo,
  queueStats,
  retryJob,
  askUsageSummary,
  schemaVersion,
  searchContent,
  storedEmbeddingDimensions,
  vectorColumnsInUse,
  type JobKind,
} from '@videoqa/storage-pg';
import { capabilityChecks } from './capability-checks.ts';
import { startApiServer } from './api-http.ts';
import { askUsageLine } from './ask-usage-view.ts';
import { startDevServer } from './dev-http.ts';
import { createJobSource } from './job-sources.ts';
import { startRetentionTimer } from './lifecycle.ts';
import { checkOutboundUrl } from './outbound/address-guard.ts';
import { displayUrl } from './outbound/url-download.ts';
import { isHttpUrl, withDownloadedUrl } from './outbound/url-ingest.ts';
import { toSnakeCaseJson } from './json-view.ts';
import { showProgress } from './progress.ts';
import { openRuntime, type Runtime } from './runtime.ts';
import { Worker } from './worker.ts';
import { startWebhookDispatcher, type WebhookDispatcher } from './webhooks/webhook-dispatcher.ts';
import { resolveJobWebhook } from './webhooks/webhook-target.ts';

/** Exit codes, documented in docs/cli.md. */
export const EXIT = {
  ok: 0,
  failed: 1,
  usage: 2,
  /** Finished, but AI stages were skipped for want of an API key. */
  partial: 3,
  /** The input was refused (not a video, not found, outside DATA_DIR). */
  badInput: 4,
} as const;

export interface CommandIO {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WriteStream;
}

/** The exit code for an error: its code's exit class in ERROR_CODES; 1 for anything that is not a VideoqaError. */
export function exitCodeFor(err: unknown): number {
  if (!(err instanceof VideoqaError)) return EXIT.failed;
  return EXIT[ERROR_CODES[err.code].exit];
}

const quietRuntime = (overrides: Record<string, unknown> = {}) =>
  openRuntime({ overrides, logToStdout: ['debug', 'trace'].includes(process.env.LOG_LEVEL?.toLowerCase() ?? '') });

export async function withRuntime<T>(overrides: Record<string, unknown>, fn: (rt: Runtime) => Promise<T>): Promise<T> {
  const rt = await quietRuntime(overrides);
  try {
    return await fn(rt);
  } finally {
    await rt.close();
  }
}

export const overridesFrom = (opts: { dataDir?: string }) => (opts.dataDir ? { dataDir: opts.dataDir } : {});

export interface ProcessOptions {
  json?: boolean;
  stages?: string;
  id?: string;
  dataDir?: string;
  resume?: boolean;
  /** Process the file even when a video already holds the same bytes. */
  force?: boolean;
  /** The http(s) URL the file was downloaded from (stored on the video). */
  sourceUrl?: string;
}

/** The fallbacks a stage's provider needed (a server without json_schema, verbose_json or base64), when any. */
function fallbacksOf(data: unknown): { fallbacks?: ProviderFallback[] } {
  const list = (data as { fallbacks?: ProviderFallback[] } | null | undefined)?.fallbacks;
  return Array.isArray(list) && list.length > 0 ? { fallbacks: list } : {};
}

/** Summary of a processed video, as `process --json` prints it. */
async function summarize(rt: Runtime, result: PipelineResult) {
  const id = result.videoId;
  const [video, scenes, frames, segments, captions, ocr] = await Promise.all([
    rt.store.getVideo(id),
    rt.store.listScenes(id),
    rt.store.listFrames(id),
    rt.store.listSegments(id),
    rt.store.listCaptions(id),
    rt.store.listOcr(id),
  ]);
  const stages = Object.fromEntries(
    Object.entries(result.stages).map(([name, s]) => [
      name,
      {
        status: s.status,
        duration_ms: s.durationMs,
        counts: s.counts,
        ...(s.reason ? { reason: s.reason } : {}),
        ...(s.error ? { error: s.error.message } : {}),
        ...fallbacksOf(s.data),
      },
    ]),
  );
  return {
    video_id: id,
    status: video?.status ?? (result.status === 'done' ? 'ready' : 'failed'),
    pipeline: result.status,
    duration_sec: video?.durationSec ?? null,
    data_dir: rt.config.dataDir,
    original_path: video?.originalPath ?? null,
    normalized_path: video?.normalizedPath ?? null,
    srt_path: segments.length > 0 ? `subs/${id}.srt` : null,
    counts: {
      scenes: scenes.length,
      frames: frames.length,
      duplicate_frames: frames.filter((f) => f.duplicateOf).length,
      segments: segments.length,
      captions: captions.length,
      ocr_frames: ocr.length,
    },
    scenes: scenes.map((s) => ({ id: s.id, t_start: s.tStart, t_end: s.tEnd })),
    frames: frames.map((f) => ({
      id: f.id,
      scene_id: f.sceneId,
      t: f.t,
      path: f.path,
      phash: f.phash,
      duplicate_of: f.duplicateOf,
    })),
    segments: segments.map((s) => ({ id: s.id, t_start: s.tStart, t_end: s.tEnd, text: s.text })),
    captions: captions.map((c) => ({ id: c.id, frame_id: c.frameId, caption: c.caption, entities: c.entities })),
    ocr: ocr.map((o) => ({
      id: o.id,
      frame_id: o.frameId,
      text: o.text,
      confidence: o.confidence,
      language: o.language,
    })),
    usage: Object.fromEntries(
      Object.entries(result.stages)
        .filter(([, s]) => Object.keys(s.usage).length > 0)
        .map(([k, s]) => [k, s.usage]),
    ),
    timings_ms: Object.fromEntries(Object.entries(result.stages).map(([k, s]) => [k, s.durationMs])),
    total_ms: result.durationMs,
    stages,
    ...(result.error
      ? {
          error: {
            code: (result.error as VideoqaError).code ?? 'UNKNOWN',
            message: result.error.message,
            stage: result.failedStage,
          },
        }
      : {}),
  };
}

/** Refuses a missing input before the database is opened (a typo should not cost a database start). */
async function assertInputFile(file: string): Promise<void> {
  const info = await stat(file).catch(() => null);
  if (!info) throw new FileNotFoundError(file, 'Input file not found');
  if (!info.isFile()) throw new FileNotFoundError(file, 'Input is not a regular file');
}

/**
 * True when `b` holds the bytes of `a`, whose SHA-256 is known: the same inode (as
 * hard-linked imports are), or the same size and hash. `a` is never read again.
 */
async function sameFile(a: string, aSha256: string, b: string): Promise<boolean> {
  const [sa, sb] = await Promise.all([stat(a), stat(b).catch(() => null)]);
  if (!sb) return false;
  if (sa.dev === sb.dev && sa.ino === sb.ino) return true;
  if (sa.size !== sb.size) return false;
  return (await sha256File(b)) === aSha256;
}

/**
 * `--id` of an existing video resumes it; with another file that would report the old
 * video's results as this file's, so it is refused unless a rerun is asked for.
 */
async function checkReusedId(
  rt: Runtime,
  videoId: string,
  file: string,
  sha256: string,
  resume: boolean,
): Promise<void> {
  const existing = await rt.store.getVideo(videoId);
  if (!existing?.originalPath || !resume) return;
  const previous = resolveInDataDir(rt.config.dataDir, existing.originalPath);
  if (await sameFile(await realpath(file), sha256, previous)) return;
  throw new ConfigError([
    {
      variable: '--id',
      message: `video ${videoId} was made from ${existing.originalPath}, not from this file: use another --id (or none), or add --no-resume to reprocess ${videoId} from this file`,
    },
  ]);
}

export async function processCommand(file: string, opts: ProcessOptions, io: CommandIO): Promise<number> {
  const only = opts.stages
    ? opts.stages
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : undefined;
  for (const s of only ?? []) {
    if (!(STAGE_NAMES as readonly string[]).includes(s))
      throw new ConfigError([
        { variable: '--stages', message: `unknown stage "${s}" (stages: ${STAGE_NAMES.join(', ')})` },
      ]);
  }
  if (isHttpUrl(file) && !opts.sourceUrl) {
    const config = loadConfig({ overrides: overridesFrom(opts) });
    if (!opts.json) io.stderr.write(`downloading ${displayUrl(checkOutboundUrl(file))}\n`);
    return withDownloadedUrl(file, config, (local) => processCommand(local, { ...opts, sourceUrl: file }, io));
  }
  await assertInputFile(file);
  return withRuntime(overridesFrom(opts), async (rt) => {
    const videoId = opts.id ?? newId();
    // Read once: it identifies the file for --id and finds the same bytes processed before.
    const sha256 = await sha256File(await realpath(file));
    if (opts.id) await checkReusedId(rt, videoId, file, sha256, opts.resume !== false);
    // The same bytes processed twice would make a second video with the same results.
    const same = opts.id || opts.force ? null : await findVideoByContent(rt.db, sha256);
    if (same) {
      if (opts.json)
        io.stdout.write(
          `${JSON.stringify({ video_id: same.id, status: same.status, already_processed: true }, null, 2)}\n`,
        );
      else
        io.stdout.write(
          `✔ this file is already video ${same.id} (${same.status}): videoqa show ${same.id}\n  to resume it (say, once OPENAI_API_KEY is set) add --id ${same.id}; to process it again as a new video, add --force\n`,
        );
      return EXIT.ok;
    }
    const imported = await importVideoFile(file, { dataDir: rt.config.dataDir, videoId });
    await rt.store.saveVideo({ id: videoId, originalPath: imported.originalPath, status: 'pending' });
    await setVideoContentHash(rt.db, videoId, sha256);
    if (opts.sourceUrl) await setVideoSourceUrl(rt.db, videoId, opts.sourceUrl);
    const controller = new AbortController();
    const onSignal = () => controller.abort();
    process.once('SIGINT', onSignal);
    const stages = defaultStages();
    const run = runPipeline({
      video: { id: videoId, originalPath: imported.originalPath },
      stages,
      store: rt.store,
      config: rt.config,
      only,
      resume: opts.resume !== false,
      signal: controller.signal,
      logger: rt.log,
    });
    const stopProgress = opts.json ? () => {} : showProgress(run.events, only ?? stages.map((s) => s.name), io.stderr);
    const result = await run.finally(() => {
      stopProgress();
      process.off('SIGINT', onSignal);
    });
    const summary = await summarize(rt, result);
    const aiSkipped = Object.values(result.stages).some(
      (s) => s.status === 'skipped' && /is not set/.test(s.reason ?? ''),
    );
    if (opts.json) io.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    else if (result.status !== 'done') {
      // Failures follow every command's format: one `videoqa: CODE: message` line on stderr.
      const code = (result.error as VideoqaError | undefined)?.code ?? 'ERROR';
      const where = result.failedStage ? ` (video ${videoId}, stage ${result.failedStage})` : ` (video ${videoId})`;
      io.stderr.write(`videoqa: ${code}: ${result.error?.message ?? result.status}${where}\n`);
      if (result.error && exitCodeFor(result.error) !== EXIT.badInput)
        io.stderr.write(`  finished stages are kept; resume with: videoqa process <file> --id ${videoId}\n`);
    } else {
      const c = summary.counts;
      const head = `✔ video ${videoId} ready in ${(result.durationMs / 1000).toFixed(1)} s`;
      io.stdout.write(
        `${head}\n  ${c.scenes} scenes, ${c.frames} frames (${c.duplicate_frames} duplicates), ${c.segments} transcript segments, ${c.captions} captions, text read on ${c.ocr_frames} frames\n`,
      );
      if (summary.duration_sec)
        io.stdout.write(
          `  duration ${summary.duration_sec.toFixed(1)} s; files under ${join(rt.config.dataDir)}: ${summary.normalized_path ?? '-'}${summary.srt_path ? `, ${summary.srt_path}` : ''}, frames/${videoId}/\n`,
        );
      for (const f of Object.values(result.stages).flatMap((st) => fallbacksOf(st.data).fallbacks ?? []))
        io.stdout.write(`  note: the ${f.capability} server refused ${f.from}; used ${f.to}\n`);
      if (aiSkipped)
        io.stdout.write(
          `  AI stages were skipped: set OPENAI_API_KEY to transcribe, caption and embed, then resume with: videoqa process <file> --id ${videoId}\n`,
        );
    }
    if (result.status !== 'done')
      return result.error && exitCodeFor(result.error) === EXIT.badInput ? EXIT.badInput : EXIT.failed;
    return aiSkipped ? EXIT.partial : EXIT.ok;
  });
}

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

export async function workerCommand(opts: { dataDir?: string; concurrency?: string }, io: CommandIO): Promise<number> {
  const overrides: Record<string, unknown> = overridesFrom(opts);
  if (opts.concurrency) overrides.workerConcurrency = opts.concurrency;
  const rt = await openRuntime({ overrides, logFile: true });
  let source: Awaited<ReturnType<typeof createJobSource>> | undefined;
  let dev: Awaited<ReturnType<typeof startDevServer>> | undefined;
  let api: Awaited<ReturnType<typeof startApiServer>> | undefined;
  let webhooks: WebhookDispatcher | undefined;
  let worker: Worker;
  try {
    source = await createJobSource(rt);
    worker = new Worker({ source, store: rt.store, config: rt.config, log: rt.log });
    dev = rt.config.workerDevHttp
      ? await startDevServer({
          db: rt.db,
          metrics: worker.metrics,
          host: rt.config.workerHttpHost,
          port: rt.config.workerHttpPort,
          log: rt.log,
        })
      : undefined;
    api = rt.config.apiHttp
      ? await startApiServer({ db: rt.db, store: rt.store, config: rt.config, source, log: rt.log })
      : undefined;
    webhooks = await startWebhookDispatcher({ db: rt.db, config: rt.config, log: rt.log });
  } catch (err) {
    // A port in use (say): close what was opened, or the open pool keeps the process alive after the error line.
    await api?.close();
    await dev?.close();
    await source?.stop();
    await rt.close();
    throw err;
  }
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    signals++;
    if (signals === 1) {
      rt.log.info({ signal: sig }, `${sig}: finishing running jobs (send again to stop at once)`);
      void worker.stop();
    } else {
      rt.log.warn({ signal: sig }, `${sig} again: aborting running jobs and releasing them`);
      worker.abortAll();
    }
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  await worker.start();
  const stopRetention = startRetentionTimer({ db: rt.db, config: rt.config }, rt.config.gcIntervalMs, rt.log);
  await worker.finished();
  await stopRetention();
  process.off('SIGTERM', onSignal);
  process.off('SIGINT', onSignal);
  await webhooks?.stop();
  await dev?.close();
  await api?.close();
  await rt.close();
  void io;
  return EXIT.ok;
}

/** `videoqa api`: the transcription service HTTP API alone (workers run elsewhere). */
export async function apiCommand(
  opts: { dataDir?: string; port?: string; host?: string },
  io: CommandIO,
): Promise<number> {
  const overrides: Record<string, unknown> = { ...overridesFrom(opts), apiHttp: true };
  if (opts.port) overrides.apiHttpPort = opts.port;
  if (opts.host) overrides.apiHttpHost = opts.host;
  const rt = await openRuntime({ overrides, logFile: true });
  const source = await createJobSource(rt);
  let api;
  let webhooks: WebhookDispatcher | undefined;
  try {
    api = await startApiServer({ db: rt.db, store: rt.store, config: rt.config, source, log: rt.log });
    webhooks = await startWebhookDispatcher({ db: rt.db, config: rt.config, log: rt.log });
  } catch (err) {
    await api?.close();
    await source.stop();
    await rt.close();
    throw err;
  }
  io.stderr.write(`transcription API listening on ${api.url}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', () => resolve());
    process.once('SIGINT', () => resolve());
  });
  await webhooks?.stop();
  await api.close();
  await source.stop();
  await rt.close();
  return EXIT.ok;
}

/** A whole number option in [1, max], or a usage error naming the option. */
export function positiveIntOption(name: string, value: string | undefined, fallback: number, max = 1000): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(n) || n < 1 || n > max) {
    throw new ConfigError([
      { variable: name, message: `must be a whole number from 1 to ${max} (got ${JSON.stringify(value)})` },
    ]);
  }
  return n;
}

export async function searchCommand(
  query: string,
  opts: { limit?: string; video?: string; json?: boolean; dataDir?: string },
  io: CommandIO,
): Promise<number> {
  const limit = positiveIntOption('--limit', opts.limit, 10);
  if (query.trim() === '') throw new ConfigError([{ variable: 'query', message: 'must not be empty' }]);
  return withRuntime(overridesFrom(opts), async (rt) => {
    const { provider, missing } = embeddingsFromConfig(rt.config);
    const hits = await searchContent(rt.db, query, { limit, videoId: opts.video, embeddings: provider });
    if (opts.json) {
      io.stdout.write(
        `${JSON.stringify({ query, mode: provider ? 'hybrid' : 'text', results: hits.map((h) => ({ video_id: h.videoId, kind: h.kind, id: h.id, t_start: h.tStart, t_end: h.tEnd, text: h.text, score: h.score, frame: h.frame, ...(h.speaker ? { speaker: h.speaker } : {}) })) }, null, 2)}\n`,
      );
      return EXIT.ok;
    }
    if (!provider) io.stderr.write(`note: ${missing}; searching by text only\n`);
    if (hits.length === 0) io.stdout.write('no results\n');
    for (const h of hits)
      io.stdout.write(
        `${h.score.toFixed(4)}  ${h.kind.padEnd(7)}  ${h.videoId}  ${clock(h.tStart)}-${clock(h.tEnd)}  ${h.speaker ? `[Speaker ${h.speaker}] ` : ''}${h.text}\n`,
      );
    return EXIT.ok;
  });
}

const clock = (s: number) => `${String(Math.floor(s / 60)).padStart(2, '0')}:${(s % 60).toFixed(1).padStart(4, '0')}`;

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

interface Check {
  name: string;
  ok: boolean;
  detail: string;
  fix?: string;
  warning?: boolean;
}

export async function doctorCommand(opts: { json?: boolean; dataDir?: string }, io: CommandIO): Promise<number> {
  const checks: Check[] = [];
  const { loadConfig } = await import('@videoqa/core');
  let config;
  try {
    config = loadConfig({ overrides: overridesFrom(opts) });
    checks.push({ name: 'configuration', ok: true, detail: 'all variables valid' });
  } catch (err) {
    checks.push({
      name: 'configuration',
      ok: false,
      detail: (err as Error).message,
      fix: 'fix the variables named above (docs/configuration.md)',
    });
  }
  if (config) {
    for (const [name, path] of [
      ['ffmpeg', config.ffmpegPath],
      ['ffprobe', config.ffprobePath],
    ] as const) {
      const res = await runToText(path, ['-version']).catch((err: Error) => ({
        code: -1,
        stdout: '',
        stderr: err.message,
      }));
      checks.push(
        res.code === 0
          ? { name, ok: true, detail: res.stdout.split('\n')[0] ?? '' }
          : {
              name,
              ok: false,
              detail: 'FFmpeg not found',
              fix: `install it (apt-get install ffmpeg) or set ${name === 'ffmpeg' ? 'FFMPEG_PATH' : 'FFPROBE_PATH'}`,
            },
      );
    }
    try {
      await mkdir(config.dataDir, { recursive: true });
      await access(config.dataDir, constants.W_OK | constants.R_OK);
      checks.push({ name: 'DATA_DIR', ok: true, detail: `${config.dataDir} is readable and writable` });
    } catch (err) {
      checks.push({
        name: 'DATA_DIR',
        ok: false,
        detail: `${config.dataDir}: ${(err as Error).message}`,
        fix: 'create it and give the worker user write access, or set DATA_DIR',
      });
    }
    let schemaDimensions: number | null = null;
    try {
      const rt = await openRuntime({ overrides: overridesFrom(opts), migrate: false, logToStdout: false });
      try {
        const version = await schemaVersion(rt.db);
        checks.push({
          name: 'database',
          ok: true,
          detail: config.databaseUrl
            ? `PostgreSQL at ${redactUrl(config.databaseUrl)}`
            : `embedded PGlite in ${join(config.dataDir, 'db')}`,
        });
        checks.push(
          version >= LATEST_SCHEMA_VERSION
            ? { name: 'schema', ok: true, detail: `version ${version}` }
            : {
                name: 'schema',
                ok: false,
                detail: `version ${version}, this videoqa needs ${LATEST_SCHEMA_VERSION}`,
                fix: 'run: videoqa migrate',
              },
        );
        if (version > 0) {
          const vector = await vectorColumnsInUse(rt.db);
          schemaDimensions = await storedEmbeddingDimensions(rt.db);
          checks.push({
            name: 'pgvector',
            ok: true,
            warning: !vector,
            detail: vector
              ? `embeddings in vector(${schemaDimensions ?? 1536}) with an HNSW index`
              : 'not available: embeddings in real[] (search works, slower on large libraries)',
            fix: vector
              ? undefined
              : 'install pgvector on the server before the first migrate for indexed vector search',
          });
        }
      } finally {
        await rt.close();
      }
    } catch (err) {
      checks.push({
        name: 'database',
        ok: false,
        detail: (err as Error).message,
        fix: 'Database connection failed: check DATABASE_URL, that PostgreSQL is running and reachable',
      });
    }
    if (config.ocrEnabled) {
      for (const lang of config.ocrLanguages) {
        const dir = await ocrLanguageDir(lang).catch((err: Error) => err);
        checks.push(
          typeof dir === 'string'
            ? { name: `OCR language ${lang}`, ok: true, detail: dir }
            : { name: `OCR language ${lang}`, ok: false, detail: dir.message, fix: (dir as { fix?: string }).fix },
        );
      }
    } else checks.push({ name: 'OCR', ok: true, detail: 'OCR_ENABLED is false: keyframe text is not read' });
    checks.push(...(await capabilityChecks(config, schemaDimensions)));
  }
  const failed = checks.filter((c) => !c.ok);
  if (opts.json) io.stdout.write(`${JSON.stringify({ ok: failed.length === 0, checks }, null, 2)}\n`);
  else {
    for (const c of checks)
      io.stdout.write(
        `${c.ok ? (c.warning ? '!' : '✔') : '✖'} ${c.name}: ${c.detail}${c.fix && (!c.ok || c.warning) ? `\n    fix: ${c.fix}` : ''}\n`,
      );
    io.stdout.write(failed.length === 0 ? 'all checks passed\n' : `${failed.length} check(s) failed\n`);
  }
  return failed.length === 0 ? EXIT.ok : EXIT.failed;
}
