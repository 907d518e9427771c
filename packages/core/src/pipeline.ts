import { loadConfig, type Config, type ConfigInput } from './config.ts';
import { AbortedError, PipelineFailedError, PipelineGraphError, toError } from './errors.ts';
import { PipelineEvents } from './events.ts';
import { importVideoFile } from './files.ts';
import { buildStageGraph, splitDependency, transitiveDependents } from './graph.ts';
import { newId, validateVideoId } from './ids.ts';
import { silentLogger, type Logger } from './logger.ts';
import { MemoryStore } from './memory-store.ts';
import { hideDataDir, videoPaths } from './paths.ts';
import type { PipelineResult, StageResult } from './pipeline-result.ts';
import type { Stage, StageContext, StageOutput } from './stage.ts';
import type { StageRunRecord, Store, Usage, VideoRecord } from './store.ts';

export interface RunPipelineOptions {
  /** A video record, or a file path (imported into DATA_DIR/uploads first). */
  video: VideoRecord | string;
  /** Id for a video given as a file path; default a new random id. */
  videoId?: string;
  stages: readonly Stage[];
  /** Default: a new MemoryStore. */
  store?: Store;
  /** Settings in code; anything not given comes from the environment. */
  config?: Partial<ConfigInput> | Config;
  signal?: AbortSignal;
  /** Skip stages already recorded as done (default true). */
  resume?: boolean;
  /** Run only these stages; the stages they need must be selected too or already done. */
  only?: readonly string[];
  logger?: Logger;
  /** Set videos.status to processing, then ready/failed (default true; the worker does this itself). */
  updateVideoStatus?: boolean;
}

export type PipelineRun = Promise<PipelineResult> & {
  events: PipelineEvents;
  videoId: string;
  /**
   * The result when every stage finished; otherwise rejects with a PipelineFailedError
   * (code PIPELINE_FAILED, the stage's error as its cause, the whole result attached).
   * The run itself resolves either way: awaiting it directly never throws for a stage.
   */
  orThrow(): Promise<PipelineResult>;
};

/** What stage_runs.output holds. */
interface StoredOutput {
  data?: unknown;
  counts?: Record<string, number>;
  skipped?: string;
}

const PROGRESS_INTERVAL_MS = 100;
const SATISFIED = new Set(['done', 'skipped', 'resumed', 'external']);

/**
 * Runs stages as a DAG: each starts as soon as the stages it comes after are
 * finished, independent branches run at the same time. A failed stage cancels
 * its dependents and aborts the rest. The promise resolves with a result that
 * says what happened to every stage; it rejects only for an invalid stage graph
 * or an unusable video/store before any stage starts.
 *
 * Subscribe to progress with `run.events.on('stage:done', ...)` right after calling.
 */
export function runPipeline(options: RunPipelineOptions): PipelineRun {
  const events = new PipelineEvents();
  const videoId = typeof options.video === 'string' ? (options.videoId ?? newId()) : options.video.id;
  const promise = execute(options, events, videoId) as PipelineRun;
  promise.events = events;
  promise.videoId = videoId;
  promise.orThrow = async () => {
    const result = await promise;
    if (result.status !== 'done') throw new PipelineFailedError(result);
    return result;
  };
  return promise;
}

async function execute(options: RunPipelineOptions, events: PipelineEvents, videoId: string): Promise<PipelineResult> {
  // Let the caller attach listeners before the first event.
  await null;
  const graph = buildStageGraph(options.stages);
  const config = loadConfig({ overrides: options.config as Partial<ConfigInput> | undefined });
  const store = options.store ?? new MemoryStore();
  const log = options.logger ?? silentLogger;
  const resume = options.resume ?? true;
  const updateStatus = options.updateVideoStatus ?? true;
  validateVideoId(videoId);

  const selected = new Set(options.only ?? graph.order);
  for (const name of selected) {
    if (!graph.stages.has(name)) throw new PipelineGraphError(`Unknown stage "${name}" (stages: ${graph.order.join(', ')})`);
  }

  if (typeof options.video === 'string') {
    const imported = await importVideoFile(options.video, { dataDir: config.dataDir, videoId });
    await store.saveVideo({ id: videoId, originalPath: imported.originalPath, status: 'pending' });
  } else if (!(await store.getVideo(videoId))) {
    await store.saveVideo({ status: 'pending', ...options.video });
  }
  const paths = videoPaths(config.dataDir, videoId);

  const storedRuns = new Map<string, StageRunRecord>();
  for (const run of await store.listStageRuns(videoId)) if (run.status === 'done') storedRuns.set(run.stage, run);

  type State = 'pending' | 'running' | 'done' | 'skipped' | 'resumed' | 'external' | 'failed' | 'cancelled' | 'unavailable';
  const state = new Map<string, State>();
  const outputs = new Map<string, unknown>();
  const results: Record<string, StageResult> = {};
  /** `"{stage}:{output}"` made ready by ctx.provide in this run. */
  const provided = new Set<string>();
  /** A finished (or resumed) stage stands in for every early output it did not provide. */
  const setOutputs = (name: string, data: unknown) => {
    outputs.set(name, data);
    for (const o of graph.stages.get(name)!.provides ?? []) if (!provided.has(`${name}:${o}`)) outputs.set(`${name}:${o}`, data);
  };
  const baseState = (dep: string) => state.get(splitDependency(dep).stage);
  const dependencyMet = (dep: string) => provided.has(dep) || SATISFIED.has(baseState(dep)!);
  /** Wakes the scheduler when a running stage provides an early output. */
  let wake: () => void = () => {};

  for (const name of graph.order) {
    if (selected.has(name)) state.set(name, 'pending');
    else if (storedRuns.has(name)) {
      state.set(name, 'external');
      setOutputs(name, (storedRuns.get(name)!.output as StoredOutput | undefined)?.data);
    } else state.set(name, 'unavailable');
  }
  for (const name of selected) {
    for (const dep of graph.deps.get(name)!) {
      if (baseState(dep) === 'unavailable') {
        throw new PipelineGraphError(`Stage "${name}" needs "${dep}", which is not selected and has not completed for video ${videoId}`);
      }
    }
  }

  const controller = new AbortController();
  const onExternalAbort = () => controller.abort(new AbortedError('Pipeline aborted', { cause: options.signal?.reason }));
  if (options.signal?.aborted) onExternalAbort();
  else options.signal?.addEventListener('abort', onExternalAbort, { once: true });

  /**
   * Every event goes through here: a listener that throws is logged and the run goes on.
   * (A throwing `stage:done` listener once marked a finished stage failed.) As with any
   * EventEmitter, the listeners after the throwing one miss that one event.
   */
  const emit: PipelineEvents['emit'] = (event, ...args) => {
    try {
      return events.emit(event, ...args);
    } catch (err) {
      log.warn({ err, event }, `a "${event}" event listener threw; the run is not affected`);
      return true;
    }
  };

  const startedAt = Date.now();
  let failure: { stage: string; error: Error } | undefined;
  if (updateStatus) await store.updateVideo(videoId, { status: 'processing', error: null });
  emit('pipeline:start', { videoId, stages: [...selected] });

  const runStage = async (name: string): Promise<void> => {
    const stage = graph.stages.get(name)!;
    const deps = graph.deps.get(name)!;
    const stored = storedRuns.get(name);
    if (resume && stored && deps.every((d) => baseState(d) === 'resumed' || baseState(d) === 'external')) {
      const out = (stored.output ?? {}) as StoredOutput;
      state.set(name, 'resumed');
      setOutputs(name, out.data);
      results[name] = { status: 'resumed', durationMs: 0, counts: out.counts ?? {}, usage: {}, reason: 'already done', data: out.data };
      emit('stage:skipped', { videoId, stage: name, reason: 'already done in an earlier run', resumed: true, durationMs: 0 });
      return;
    }

    state.set(name, 'running');
    const t0 = Date.now();
    const usage: Usage = {};
    const stageStarted = new Date();
    // Results of stages derived from this one are about to be stale.
    const stale = transitiveDependents(graph, name);
    if (stale.length > 0) await store.deleteStageRuns(videoId, stale);
    await store.saveStageRun({ videoId, stage: name, status: 'running', startedAt: stageStarted });
    emit('stage:start', { videoId, stage: name });

    let lastProgress = 0;
    const video = (await store.getVideo(videoId)) ?? { id: videoId, originalPath: '' };
    const ctx: StageContext = {
      video,
      paths,
      store,
      outputs,
      config,
      signal: controller.signal,
      log: log.child({ stage: name, videoId }),
      progress(done, total) {
        const now = Date.now();
        if (now - lastProgress < PROGRESS_INTERVAL_MS && (total === undefined || done < total)) return;
        lastProgress = now;
        const fraction = total && total > 0 ? Math.min(1, done / total) : undefined;
        emit('stage:progress', { videoId, stage: name, done, total, fraction });
      },
      addUsage(add) {
        for (const [k, v] of Object.entries(add)) if (Number.isFinite(v)) usage[k] = (usage[k] ?? 0) + v;
      },
      provide(output, data) {
        if (!(stage.provides ?? []).includes(output)) throw new PipelineGraphError(`Stage "${name}" provided "${output}", which is not in its provides list`);
        const key = `${name}:${output}`;
        if (provided.has(key)) return;
        outputs.set(key, data === undefined ? undefined : JSON.parse(JSON.stringify(data)));
        provided.add(key);
        emit('stage:output', { videoId, stage: name, output });
        wake();
      },
    };

    try {
      const out: StageOutput = (await stage.run(ctx)) ?? {};
      const durationMs = Date.now() - t0;
      const counts = out.counts ?? {};
      const data = out.data === undefined ? undefined : JSON.parse(JSON.stringify(out.data));
      const status = out.skipped ? 'skipped' : 'done';
      const storedOutput: StoredOutput = { data, counts, ...(out.skipped ? { skipped: out.skipped } : {}) };
      await store.saveStageRun({ videoId, stage: name, status, startedAt: stageStarted, finishedAt: new Date(), output: storedOutput, usage });
      state.set(name, status);
      setOutputs(name, data);
      results[name] = { status, durationMs, counts, usage, data, ...(out.skipped ? { reason: out.skipped } : {}) };
    } catch (caught) {
      const error = toError(caught);
      error.message = hideDataDir(error.message, config.dataDir);
      const durationMs = Date.now() - t0;
      // Stopped because of someone else's failure or an external abort: cancelled, not failed.
      const cancelled = controller.signal.aborted;
      state.set(name, cancelled ? 'cancelled' : 'failed');
      const reason = cancelled ? abortReason(failure, options.signal) : undefined;
      results[name] = { status: cancelled ? 'cancelled' : 'failed', durationMs, counts: {}, usage, error, ...(reason ? { reason } : {}) };
      await store
        .saveStageRun({ videoId, stage: name, status: cancelled ? 'cancelled' : 'failed', startedAt: stageStarted, finishedAt: new Date(), usage, error: error.message })
        .catch((e: unknown) => log.warn({ err: e, stage: name }, 'could not record the stage result'));
      if (!cancelled) {
        failure ??= { stage: name, error };
        controller.abort(new AbortedError(`Stage "${name}" failed`, { cause: error }));
      }
    }
    // Outside the try: what a listener does cannot turn a finished stage into a failed one.
    const r = results[name]!;
    if (r.status === 'skipped') emit('stage:skipped', { videoId, stage: name, reason: r.reason!, resumed: false, durationMs: r.durationMs });
    else if (r.status === 'done') emit('stage:done', { videoId, stage: name, durationMs: r.durationMs, counts: r.counts, usage: r.usage });
    else if (r.status === 'failed') emit('stage:error', { videoId, stage: name, error: r.error!, durationMs: r.durationMs });
  };

  const running = new Map<string, Promise<void>>();
  for (;;) {
    if (!controller.signal.aborted) {
      for (const name of graph.order) {
        if (state.get(name) !== 'pending') continue;
        if (!graph.deps.get(name)!.every(dependencyMet)) continue;
        state.set(name, 'running');
        const p = runStage(name)
          .catch((err: unknown) => {
            // Only store bookkeeping can land here; treat it as the stage failing.
            failure ??= { stage: name, error: toError(err) };
            state.set(name, 'failed');
            results[name] ??= { status: 'failed', durationMs: 0, counts: {}, usage: {}, error: toError(err) };
            controller.abort(new AbortedError(`Stage "${name}" failed`, { cause: err }));
          })
          .finally(() => running.delete(name));
        running.set(name, p);
      }
    }
    if (running.size === 0) break;
    await Promise.race([...running.values(), new Promise<void>((resolve) => (wake = resolve))]);
  }
  options.signal?.removeEventListener('abort', onExternalAbort);

  for (const name of selected) {
    if (state.get(name) === 'pending') {
      state.set(name, 'cancelled');
      results[name] = { status: 'cancelled', durationMs: 0, counts: {}, usage: {}, reason: abortReason(failure, options.signal) };
    }
  }

  const durationMs = Date.now() - startedAt;
  const aborted = !failure && controller.signal.aborted;
  const result: PipelineResult = {
    videoId,
    status: failure ? 'failed' : aborted ? 'aborted' : 'done',
    durationMs,
    stages: results,
  };
  if (failure) {
    result.failedStage = failure.stage;
    result.error = failure.error;
  } else if (aborted) {
    result.error = new AbortedError('Pipeline aborted', { cause: options.signal?.reason });
  }

  if (updateStatus) {
    const patch = result.status === 'done' ? { status: 'ready' as const, error: null } : result.status === 'aborted' ? { status: 'pending' as const, error: 'aborted' } : { status: 'failed' as const, error: `${result.failedStage}: ${result.error?.message}` };
    await store.updateVideo(videoId, patch).catch((e: unknown) => log.warn({ err: e }, 'could not update the video status'));
  }
  if (result.status === 'done') emit('pipeline:done', { videoId, durationMs, result });
  else emit('pipeline:failed', { videoId, durationMs, error: result.error!, failedStage: result.failedStage, result });
  return result;
}

function abortReason(failure: { stage: string } | undefined, signal: AbortSignal | undefined): string {
  if (failure) return `stage "${failure.stage}" failed`;
  if (signal?.aborted) return 'aborted';
  return 'not run';
}
