import { AbortedError, PipelineGraphError, toError } from './errors.ts';
import type { PipelineEvents } from './events.ts';
import { splitDependency, transitiveDependents } from './graph.ts';
import { hideDataDir } from './paths.ts';
import type { StageResult } from './pipeline-result.ts';
import { recordOutputs, type RunPlan, type StoredOutput } from './pipeline-plan.ts';
import type { StageContext, StageOutput } from './stage.ts';
import type { Usage } from './store.ts';

const PROGRESS_INTERVAL_MS = 100;

/** The mutable side of one run, shared by the scheduler and the stages it starts. */
export interface RunState {
  plan: RunPlan;
  results: Record<string, StageResult>;
  /** Aborted when a stage fails or the caller's signal fires; every stage's ctx.signal. */
  controller: AbortController;
  /** The first stage that failed (not: was cancelled because of it). */
  failure?: { stage: string; error: Error };
  /** Emits without letting a listener's exception reach the engine. */
  emit: PipelineEvents['emit'];
  /** Why a stage that did not finish was stopped. */
  abortReason(): string;
  /** `"{stage}:{output}"` made ready by ctx.provide in this run. */
  provided: Set<string>;
  /** Wakes the scheduler when a running stage provides an early output. */
  wake(): void;
}

/** Errors that ended a run carry the stage they came from, so whoever records them can say where. */
export interface StageFailure extends Error {
  stage?: string;
}

/** The stage an error came from when the engine ended a run with it. */
export function failedStageOf(error: unknown): string | undefined {
  const stage = (error as StageFailure | undefined)?.stage;
  return typeof stage === 'string' ? stage : undefined;
}

/**
 * Runs one stage (or resumes it from its stored output), records its stage_runs row
 * and result, and emits its events. Never throws for the stage's own error: a failure
 * is recorded, marks the run failed and aborts the other stages.
 */
export async function runOneStage(name: string, run: RunState): Promise<void> {
  const { plan, results, emit } = run;
  const { graph, store, state, outputs, videoId } = plan;
  const deps = graph.deps.get(name)!;
  const stored = plan.storedRuns.get(name);
  const depState = (d: string) => state.get(splitDependency(d).stage);
  if (plan.resume && stored && deps.every((d) => depState(d) === 'resumed' || depState(d) === 'external')) {
    const out = (stored.output ?? {}) as StoredOutput;
    state.set(name, 'resumed');
    recordOutputs(graph, outputs, run.provided, name, out.data);
    results[name] = {
      status: 'resumed',
      durationMs: 0,
      counts: out.counts ?? {},
      usage: {},
      reason: 'already done',
      data: out.data,
    };
    emit('stage:skipped', {
      videoId,
      stage: name,
      reason: 'already done in an earlier run',
      resumed: true,
      durationMs: 0,
    });
    return;
  }

  state.set(name, 'running');
  const t0 = Date.now();
  const usage: Usage = {};
  const startedAt = new Date();
  // Results of stages derived from this one are about to be stale.
  const stale = transitiveDependents(graph, name);
  if (stale.length > 0) await store.deleteStageRuns(videoId, stale);
  await store.saveStageRun({ videoId, stage: name, status: 'running', startedAt });
  emit('stage:start', { videoId, stage: name });

  const ctx = await stageContext(name, run, usage);
  try {
    const out: StageOutput = (await graph.stages.get(name)!.run(ctx)) ?? {};
    const durationMs = Date.now() - t0;
    const counts = out.counts ?? {};
    // A JSON round trip: what later stages see is exactly what a resumed run reads back.
    const data = out.data === undefined ? undefined : JSON.parse(JSON.stringify(out.data));
    const status = out.skipped ? 'skipped' : 'done';
    const storedOutput: StoredOutput = { data, counts, ...(out.skipped ? { skipped: out.skipped } : {}) };
    await store.saveStageRun({
      videoId,
      stage: name,
      status,
      startedAt,
      finishedAt: new Date(),
      output: storedOutput,
      usage,
    });
    state.set(name, status);
    recordOutputs(graph, outputs, run.provided, name, data);
    results[name] = { status, durationMs, counts, usage, data, ...(out.skipped ? { reason: out.skipped } : {}) };
  } catch (caught) {
    await recordStageError(name, run, toError(caught), { t0, startedAt, usage });
  }
  // Outside the try: what a listener does cannot turn a finished stage into a failed one.
  const r = results[name]!;
  if (r.status === 'skipped')
    emit('stage:skipped', { videoId, stage: name, reason: r.reason!, resumed: false, durationMs: r.durationMs });
  else if (r.status === 'done')
    emit('stage:done', { videoId, stage: name, durationMs: r.durationMs, counts: r.counts, usage: r.usage });
  else if (r.status === 'failed')
    emit('stage:error', { videoId, stage: name, error: r.error!, durationMs: r.durationMs });
}

async function stageContext(name: string, run: RunState, usage: Usage): Promise<StageContext> {
  const { plan, controller, emit } = run;
  const { videoId } = plan;
  let lastProgress = 0;
  const video = (await plan.store.getVideo(videoId)) ?? { id: videoId, originalPath: '' };
  return {
    video,
    paths: plan.paths,
    store: plan.store,
    outputs: plan.outputs,
    config: plan.config,
    signal: controller.signal,
    log: plan.log.child({ stage: name, videoId }),
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
      if (!(plan.graph.stages.get(name)!.provides ?? []).includes(output))
        throw new PipelineGraphError(`Stage "${name}" provided "${output}", which is not in its provides list`);
      const key = `${name}:${output}`;
      if (run.provided.has(key)) return;
      plan.outputs.set(key, data === undefined ? undefined : JSON.parse(JSON.stringify(data)));
      run.provided.add(key);
      emit('stage:output', { videoId, stage: name, output });
      run.wake();
    },
  };
}

/**
 * A stage threw: failed when it was the first to go wrong, cancelled when it only
 * stopped because the run was already aborted (another stage's failure or the caller).
 */
async function recordStageError(
  name: string,
  run: RunState,
  error: Error,
  t: { t0: number; startedAt: Date; usage: Usage },
): Promise<void> {
  const { plan, results, controller } = run;
  error.message = hideDataDir(error.message, plan.config.dataDir);
  const durationMs = Date.now() - t.t0;
  const cancelled = controller.signal.aborted;
  const status = cancelled ? 'cancelled' : 'failed';
  plan.state.set(name, status);
  const reason = cancelled ? run.abortReason() : undefined;
  results[name] = { status, durationMs, counts: {}, usage: t.usage, error, ...(reason ? { reason } : {}) };
  await plan.store
    .saveStageRun({
      videoId: plan.videoId,
      stage: name,
      status,
      startedAt: t.startedAt,
      finishedAt: new Date(),
      usage: t.usage,
      error: error.message,
    })
    .catch((e: unknown) => plan.log.warn({ err: e, stage: name }, 'could not record the stage result'));
  if (!cancelled) failRun(run, name, error);
}

/** Marks the run failed by this stage (first failure wins) and stops the rest. */
export function failRun(run: RunState, stage: string, error: Error): void {
  if (!run.failure) {
    (error as StageFailure).stage ??= stage;
    run.failure = { stage, error };
  }
  run.controller.abort(new AbortedError(`Stage "${stage}" failed`, { cause: error }));
}
