import type { StageOutputs } from './stage.ts';
import type { Usage } from './store.ts';

export type StageResultStatus = 'done' | 'skipped' | 'resumed' | 'failed' | 'cancelled';

export interface StageResult<TData = unknown> {
  status: StageResultStatus;
  durationMs: number;
  counts: Record<string, number>;
  usage: Usage;
  /** Why it was skipped or cancelled. */
  reason?: string;
  error?: Error;
  data?: TData;
}

/** Results by stage name: typed for the stages in StageOutputs, StageResult<unknown> for others. */
export type StageResults = { [K in keyof StageOutputs]?: StageResult<StageOutputs[K]> } & Record<string, StageResult>;

export interface PipelineResult {
  videoId: string;
  status: 'done' | 'failed' | 'aborted';
  durationMs: number;
  stages: StageResults;
  /** The stage whose error ended the run. */
  failedStage?: string;
  error?: Error;
}
