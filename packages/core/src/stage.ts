import type { Config } from './config.ts';
import type { Logger } from './logger.ts';
import type { VideoPaths } from './paths.ts';
import type { Store, Usage, VideoRecord } from './store.ts';

/** What a stage's run() may return. Everything in it is stored as JSON in stage_runs. */
export interface StageOutput<TData = unknown> {
  /** Read by later stages through ctx.outputs.get(name). Must be JSON-serialisable. */
  data?: TData;
  /** Row counts and the like, shown in events, logs and summaries. */
  counts?: Record<string, number>;
  /** Set when the stage decided not to do its work; the text says why. */
  skipped?: string;
}

/**
 * The `data` each stage produces, by stage name. Packages and plugins add their stages by
 * declaration merging, and `ctx.outputs.get(name)` and `result.stages[name].data` are then
 * typed without casts:
 *
 * ```ts
 * declare module '@videoqa/core' {
 *   interface StageOutputs { loudness: { lufs: number | null } }
 * }
 * ```
 */
// biome-ignore lint/suspicious/noEmptyInterface: empty on purpose: stages add their entries by declaration merging (a type alias cannot be merged)
export interface StageOutputs {}

/** ctx.outputs: typed for the stages in StageOutputs, unknown for any other name. */
export interface StageOutputMap extends ReadonlyMap<string, unknown> {
  get<K extends keyof StageOutputs & string>(name: K): StageOutputs[K] | undefined;
  get(name: string): unknown;
}

export interface StageContext {
  /** The video as the store has it when the stage starts. */
  readonly video: VideoRecord;
  /** Every file location of this video, under DATA_DIR. */
  readonly paths: VideoPaths;
  readonly store: Store;
  /** `data` of the stages that finished (in this run or, when resumed, an earlier one). */
  readonly outputs: StageOutputMap;
  readonly config: Config;
  /** Fires when the run is aborted or another stage failed: stop promptly. */
  readonly signal: AbortSignal;
  readonly log: Logger;
  /** Report progress: `done` out of `total` units (total optional). */
  progress(done: number, total?: number): void;
  /** Add to this stage's usage counters (requests, tokens, audio seconds). Kept even if the stage fails. */
  addUsage(usage: Usage): void;
  /**
   * Makes one of this stage's `provides` outputs available now: stages that come after
   * `"{this stage}:{output}"` start at once, and read `data` as ctx.outputs.get("{stage}:{output}").
   * Optional so that hand-made contexts (tests, other runners) need not implement it.
   */
  provide?(output: string, data: unknown): void;
}

/**
 * A pipeline step: a plain object with a name, the stages it needs, and run().
 * Stages must be idempotent: rerunning one replaces its rows, never duplicates them.
 */
export interface Stage<TData = unknown> {
  readonly name: string;
  /** Names of stages whose results this one needs. */
  readonly after?: readonly string[];
  /**
   * Stages this one runs after when they are in the pipeline, and without them
   * otherwise (e.g. vision uses OCR text as a hint when the ocr stage is there).
   */
  readonly afterIfPresent?: readonly string[];
  /**
   * Outputs this stage makes ready before it finishes (ctx.provide). A stage that needs only one
   * of them comes after `"{stage}:{output}"` instead of the whole stage; e.g. transcribe comes
   * after `normalize:audio` and starts while normalize still encodes the video. When the stage
   * finishes (or is resumed) without providing it, its whole `data` stands in for the output.
   */
  readonly provides?: readonly string[];
  readonly description?: string;
  // biome-ignore lint/suspicious/noConfusingVoidType: a stage with nothing to report may simply return
  run(ctx: StageContext): Promise<StageOutput<TData> | void>;
}

/** The data type of a stage named N: its StageOutputs entry, or TData for names not listed there. */
export type StageDataOf<N extends string, TData> = N extends keyof StageOutputs ? StageOutputs[N] : TData;

/**
 * Identity helper that gives a stage object its types. A stage whose name is listed in
 * StageOutputs must return that entry's data type; `defineStage<MyData>({...})` types others.
 */
export function defineStage<TData = unknown, N extends string = string>(
  stage: Stage<StageDataOf<N, TData>> & { readonly name: N },
): Stage<StageDataOf<N, TData>> {
  return stage;
}
