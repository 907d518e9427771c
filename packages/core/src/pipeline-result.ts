import type { Usage } from './store.ts';

export type StageResultStatus = 'done' | 'skipped' | 'resumed' | 'failed' | 'cancelled';

export interface StageResult {
  status: StageResultStatus;
  durationMs: number;
  counts: Record<string, number>;
  usage: Usage;
  /** Why it was skipped or cancelled. */
  reason?: string;
  error?: Error;
  data?: unknown;
}

export interface PipelineResult {
  videoId: string;
  status: 'done' | 'failed' | 'aborted';
  durationMs: number;
  stages: Record<string, StageResult>;
  /** The stage whose error ended the run. */
  failedStage?: string;
  error?: Error;
}
