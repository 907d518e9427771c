import { EventEmitter } from 'eventemitter3';
import type { Usage } from './store.ts';
import type { PipelineResult } from './pipeline-result.ts';

export interface PipelineStartEvent {
  videoId: string;
  stages: string[];
}
export interface StageStartEvent {
  videoId: string;
  stage: string;
}
export interface StageProgressEvent {
  videoId: string;
  stage: string;
  done: number;
  total?: number;
  fraction?: number;
}
export interface StageDoneEvent {
  videoId: string;
  stage: string;
  durationMs: number;
  counts: Record<string, number>;
  usage: Usage;
}
export interface StageSkippedEvent {
  videoId: string;
  stage: string;
  reason: string;
  /** true when the stage was not run because an earlier run already finished it. */
  resumed: boolean;
  durationMs: number;
}
/** A stage made one of its `provides` outputs ready before finishing (e.g. normalize's audio). */
export interface StageOutputEvent {
  videoId: string;
  stage: string;
  output: string;
}
export interface StageErrorEvent {
  videoId: string;
  stage: string;
  error: Error;
  durationMs: number;
}
export interface PipelineDoneEvent {
  videoId: string;
  durationMs: number;
  result: PipelineResult;
}
export interface PipelineFailedEvent {
  videoId: string;
  durationMs: number;
  error: Error;
  failedStage?: string;
  result: PipelineResult;
}

export interface PipelineEventMap {
  'pipeline:start': (e: PipelineStartEvent) => void;
  'stage:start': (e: StageStartEvent) => void;
  'stage:progress': (e: StageProgressEvent) => void;
  'stage:output': (e: StageOutputEvent) => void;
  'stage:done': (e: StageDoneEvent) => void;
  'stage:skipped': (e: StageSkippedEvent) => void;
  'stage:error': (e: StageErrorEvent) => void;
  'pipeline:done': (e: PipelineDoneEvent) => void;
  'pipeline:failed': (e: PipelineFailedEvent) => void;
}

export type PipelineEventName = keyof PipelineEventMap;

/** Typed emitter for one pipeline run. */
export class PipelineEvents extends EventEmitter<PipelineEventMap> {}
