import type { Config, ConfigInput } from './config.ts';
import { AbortedError, PipelineFailedError, toError } from './errors.ts';
import { PipelineEvents } from './events.ts';
import { splitDependency } from './graph.ts';
import { newId } from './ids.ts';
import type { Logger } from './logger.ts';
import type { PipelineResult } from './pipeline-result.ts';
import { planRun, type RunPlan } from './pipeline-plan.ts';
import { failRun, runOneStage, type RunState } from './pipeline-stage.ts';
import type { Stage } from './stage.ts';
import type { Store, VideoRecord } from './store.ts';

export interface RunPipelineOptions {
  /** A video record, or a file path (imported into DATA_DIR/uploads first). */
  video: VideoRecord | string;
  /** Id for a video given as a file path; default a new random id. */
  videoId?: string;
  stages: readonly Stage[];
  /** Default: a new MemoryStore. */
  store?: Store;
  /**
   * Settings, used as given with defaults for the rest. The engine never reads the
   * environment: pass `loadConfig()` (or `loadConfig({ overrides })`) to use it.
   */
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
  const plan = await planRun(options, videoId);
  const run = startRun(plan, options, events);
  const startedAt = Date.now();
  if (plan.updateStatus) await plan.store.updateVideo(videoId, { status: 'processing', error: null });
  run.emit('pipeline:start', { videoId, stages: [...plan.selected] });
  try {
    await scheduleStages(run);
  } finally {
    run.detachSignal();
  }
  return finishRun(run, Date.now() - startedAt, options.signal);
}

/** The shared state of a run, with the caller's signal wired to its controller. */
function startRun(
  plan: RunPlan,
  options: RunPipelineOptions,
  events: PipelineEvents,
): RunState & { detachSignal(): void } {
  const controller = new AbortController();
  const onExternalAbort = () =>
    controller.abort(new AbortedError('Pipeline aborted', { cause: options.signal?.reason }));
  if (options.signal?.aborted) onExternalAbort();
  else options.signal?.addEventListener('abort', onExternalAbort, { once: true });
  const run: RunState & { detachSignal(): void } = {
    plan,
    results: {},
    controller,
    /**
     * Every event goes through here: a listener that throws is logged and the run goes on.
     * (A throwing `stage:done` listener once marked a finished stage failed.) As with any
     * EventEmitter, the listeners after the throwing one miss that one event.
     */
    emit: (event, ...args) => {
      try {
        return events.emit(event, ...args);
      } catch (err) {
        plan.log.warn({ err, event }, `a "${event}" event listener threw; the run is not affected`);
        return true;
      }
    },
    abortReason: () => abortReason(run.failure, options.signal),
    provided: new Set(),
    wake: () => {},
    detachSignal: () => options.signal?.removeEventListener('abort', onExternalAbort),
  };
  return run;
}

/** Starts every stage whose dependencies are satisfied, as soon as they are, until none is running. */
async function scheduleStages(run: RunState): Promise<void> {
  const { graph, state } = run.plan;
  const dependencyMet = (dep: string) => run.provided.has(dep) || SATISFIED.has(state.get(splitDependency(dep).stage)!);
  const running = new Map<string, Promise<void>>();
  for (;;) {
    if (!run.controller.signal.aborted) {
      for (const name of graph.order) {
        if (state.get(name) !== 'pending') continue;
        if (!graph.deps.get(name)!.every(dependencyMet)) continue;
        state.set(name, 'running');
        const p = runOneStage(name, run)
          .catch((err: unknown) => {
            // Only store bookkeeping can land here; treat it as the stage failing.
            const error = toError(err);
            state.set(name, 'failed');
            run.results[name] ??= { status: 'failed', durationMs: 0, counts: {}, usage: {}, error };
            failRun(run, name, error);
          })
          .finally(() => running.delete(name));
        running.set(name, p);
      }
    }
    if (running.size === 0) return;
    // A stage finishing, or one providing an early output (ctx.provide), can let others start.
    await Promise.race([...running.values(), new Promise<void>((resolve) => (run.wake = resolve))]);
  }
}

/** Builds the result, marks stages that never started, sets the video's status, emits the end. */
async function finishRun(run: RunState, durationMs: number, signal: AbortSignal | undefined): Promise<PipelineResult> {
  const { plan, results, failure } = run;
  const { videoId } = plan;
  for (const name of plan.selected) {
    if (plan.state.get(name) === 'pending') {
      plan.state.set(name, 'cancelled');
      results[name] = { status: 'cancelled', durationMs: 0, counts: {}, usage: {}, reason: run.abortReason() };
    }
  }
  const aborted = !failure && run.controller.signal.aborted;
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
    result.error = new AbortedError('Pipeline aborted', { cause: signal?.reason });
  }

  if (plan.updateStatus) {
    const patch =
      result.status === 'done'
        ? { status: 'ready' as const, error: null }
        : result.status === 'aborted'
          ? { status: 'pending' as const, error: 'aborted' }
          : { status: 'failed' as const, error: `${result.failedStage}: ${result.error?.message}` };
    await plan.store
      .updateVideo(videoId, patch)
      .catch((e: unknown) => plan.log.warn({ err: e }, 'could not update the video status'));
  }
  if (result.status === 'done') run.emit('pipeline:done', { videoId, durationMs, result });
  else
    run.emit('pipeline:failed', { videoId, durationMs, error: result.error!, failedStage: result.failedStage, result });
  return result;
}

function abortReason(failure: { stage: string } | undefined, signal: AbortSignal | undefined): string {
  if (failure) return `stage "${failure.stage}" failed`;
  if (signal?.aborted) return 'aborted';
  return 'not run';
}
