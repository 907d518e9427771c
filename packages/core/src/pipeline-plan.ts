import { parseConfig, type Config } from './config.ts';
import { PipelineGraphError } from './errors.ts';
import { importVideoFile } from './files.ts';
import { buildStageGraph, splitDependency, type StageGraph } from './graph.ts';
import { validateVideoId } from './ids.ts';
import { silentLogger, type Logger } from './logger.ts';
import { MemoryStore } from './memory-store.ts';
import { videoPaths, type VideoPaths } from './paths.ts';
import type { RunPipelineOptions } from './pipeline.ts';
import type { StageRunRecord, Store } from './store.ts';

/** Where each stage of one run stands. */
export type StageState =
  | 'pending'
  | 'running'
  | 'done'
  | 'skipped'
  | 'resumed'
  | 'external'
  | 'failed'
  | 'cancelled'
  | 'unavailable';

/** What stage_runs.output holds. */
export interface StoredOutput {
  data?: unknown;
  counts?: Record<string, number>;
  skipped?: string;
}

/** Everything a run decided before its first stage starts. */
export interface RunPlan {
  videoId: string;
  graph: StageGraph;
  config: Config;
  store: Store;
  log: Logger;
  resume: boolean;
  updateStatus: boolean;
  paths: VideoPaths;
  /** The stages this run executes (or resumes). */
  selected: ReadonlySet<string>;
  /** Finished runs recorded earlier, by stage: what resume and unselected dependencies use. */
  storedRuns: ReadonlyMap<string, StageRunRecord>;
  /** Initial state of every stage: pending (selected), external (done earlier), or unavailable. */
  state: Map<string, StageState>;
  /** Outputs known before the run: those of stages done earlier and not selected. */
  outputs: Map<string, unknown>;
}

/**
 * Validates the stage graph and the selection, makes sure the video exists in the
 * store (importing a file path into DATA_DIR/uploads), and reads what earlier runs
 * finished. Throws PipelineGraphError before anything is written when the selection
 * cannot run.
 *
 * The configuration is used as given (defaults filled in): the engine never reads the
 * environment. Callers that want environment variables resolve them once with loadConfig().
 */
export async function planRun(options: RunPipelineOptions, videoId: string): Promise<RunPlan> {
  const graph = buildStageGraph(options.stages);
  const config = parseConfig(options.config ?? {});
  const store = options.store ?? new MemoryStore();
  validateVideoId(videoId);

  const selected = new Set(options.only ?? graph.order);
  for (const name of selected) {
    if (!graph.stages.has(name))
      throw new PipelineGraphError(`Unknown stage "${name}" (stages: ${graph.order.join(', ')})`);
  }

  const storedRuns = new Map<string, StageRunRecord>();
  const state = new Map<string, StageState>();
  const outputs = new Map<string, unknown>();
  for (const run of await store.listStageRuns(videoId)) if (run.status === 'done') storedRuns.set(run.stage, run);
  for (const name of graph.order) {
    if (selected.has(name)) state.set(name, 'pending');
    else if (storedRuns.has(name)) {
      state.set(name, 'external');
      recordOutputs(graph, outputs, new Set(), name, (storedRuns.get(name)!.output as StoredOutput | undefined)?.data);
    } else state.set(name, 'unavailable');
  }
  for (const name of selected) {
    for (const dep of graph.deps.get(name)!) {
      if (state.get(splitDependency(dep).stage) === 'unavailable') {
        throw new PipelineGraphError(
          `Stage "${name}" needs "${dep}", which is not selected and has not completed for video ${videoId}`,
        );
      }
    }
  }

  if (typeof options.video === 'string') {
    const imported = await importVideoFile(options.video, { dataDir: config.dataDir, videoId });
    await store.saveVideo({ id: videoId, originalPath: imported.originalPath, status: 'pending' });
  } else if (!(await store.getVideo(videoId))) {
    await store.saveVideo({ status: 'pending', ...options.video });
  }

  return {
    videoId,
    graph,
    config,
    store,
    log: options.logger ?? silentLogger,
    resume: options.resume ?? true,
    updateStatus: options.updateVideoStatus ?? true,
    paths: videoPaths(config.dataDir, videoId),
    selected,
    storedRuns,
    state,
    outputs,
  };
}

/**
 * Stores a finished (or resumed, or earlier) stage's data: under its name, and under each
 * early output (`"{stage}:{output}"`) it did not provide during the run, for which the
 * whole data stands in.
 */
export function recordOutputs(
  graph: StageGraph,
  outputs: Map<string, unknown>,
  provided: ReadonlySet<string>,
  name: string,
  data: unknown,
): void {
  outputs.set(name, data);
  for (const o of graph.stages.get(name)!.provides ?? [])
    if (!provided.has(`${name}:${o}`)) outputs.set(`${name}:${o}`, data);
}
