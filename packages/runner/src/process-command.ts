import { realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  ConfigError,
  FileNotFoundError,
  importVideoFile,
  loadConfig,
  resolveInDataDir,
  sha256File,
  newId,
  runPipeline,
  type VideoqaError,
  type PipelineResult,
  type ProviderFallback,
} from '@videoqa/core';
import { defaultStages, STAGE_NAMES } from '@videoqa/stages';
import { findVideoByContent, setVideoContentHash, setVideoSourceUrl } from '@videoqa/storage-pg';
import { checkOutboundUrl } from './outbound/address-guard.ts';
import { displayUrl } from './outbound/url-download.ts';
import { isHttpUrl, withDownloadedUrl } from './outbound/url-ingest.ts';
import { showProgress } from './progress.ts';
import type { Runtime } from './runtime.ts';
import { deleteVideo } from './lifecycle.ts';
import { EXIT, exitCodeFor, overridesFrom, withRuntime, type CommandIO } from './command-support.ts';

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
export async function assertInputFile(file: string): Promise<void> {
  const info = await stat(file).catch(() => null);
  if (!info) throw new FileNotFoundError(file, 'Input file not found', 'input');
  if (!info.isFile()) throw new FileNotFoundError(file, 'Input is not a regular file', 'input');
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
    // A video this run creates is removed again when its input is refused: bad input leaves nothing behind.
    const createdHere = !(await rt.store.getVideo(videoId));
    const imported = await importVideoFile(file, { dataDir: rt.config.dataDir, videoId });
    await rt.store.saveVideo({ id: videoId, originalPath: imported.originalPath, status: 'pending' });
    await setVideoContentHash(rt.db, videoId, sha256);
    if (opts.sourceUrl) await setVideoSourceUrl(rt.db, videoId, opts.sourceUrl);
    const controller = new AbortController();
    let interrupted = false;
    const onSignal = () => {
      interrupted = true;
      controller.abort();
    };
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
    const refused = result.status !== 'done' && !!result.error && exitCodeFor(result.error) === EXIT.badInput;
    const removed = refused && createdHere;
    if (removed) await deleteVideo({ db: rt.db, config: rt.config }, videoId);
    const summary = await summarize(rt, result);
    const aiSkipped = Object.values(result.stages).some(
      (s) => s.status === 'skipped' && /is not set/.test(s.reason ?? ''),
    );
    if (opts.json) io.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    else if (result.status !== 'done') {
      // Failures follow every command's format: one `videoqa: CODE: message` line on stderr.
      const code = (result.error as VideoqaError | undefined)?.code ?? 'ERROR';
      const where = removed
        ? ' (nothing was kept)'
        : result.failedStage
          ? ` (video ${videoId}, stage ${result.failedStage})`
          : ` (video ${videoId})`;
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
    if (result.status !== 'done') {
      if (interrupted) return EXIT.interrupted;
      return result.error && exitCodeFor(result.error) === EXIT.badInput ? EXIT.badInput : EXIT.failed;
    }
    return aiSkipped ? EXIT.partial : EXIT.ok;
  });
}
