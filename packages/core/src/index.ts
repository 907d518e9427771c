export * from './errors.ts';
export { ERROR_CODES, httpStatusForCode, isErrorCode, type ErrorCode, type ExitClass } from './error-codes.ts';
export * from './ids.ts';
export * from './config.ts';
export * from './ai-endpoints.ts';
export * from './paths.ts';
export * from './files.ts';
export * from './async.ts';
export type * from './store.ts';
export { MemoryStore } from './memory-store.ts';
export type { Logger, LogFn } from './logger.ts';
export { silentLogger } from './logger.ts';
export type { Stage, StageContext, StageOutput, StageOutputs, StageOutputMap } from './stage.ts';
export { defineStage } from './stage.ts';
export type * from './providers.ts';
export * from './events.ts';
export type * from './pipeline-result.ts';
export { buildStageGraph, transitiveDependents, type StageGraph } from './graph.ts';
export { runPipeline, type RunPipelineOptions, type PipelineRun } from './pipeline.ts';
export { failedStageOf, type StageFailure } from './pipeline-stage.ts';
export { scrubSecrets } from './secrets.ts';
export {
  ASK_SYSTEM_PROMPT,
  QUESTION_MAX_CHARS,
  buildAnswerMessages,
  checkCitations,
  groundedAnswerSchema,
  normalizeQuoteText,
  promptLeakDetector,
  validateQuestion,
  type Citation,
  type CitationProblem,
  type DroppedCitation,
  type GroundedAnswer,
} from './ask.ts';
export {
  CHAPTERS_SYSTEM_PROMPT,
  buildChapterMessages,
  chapterDraftSchema,
  summaryMergeSchema,
  type ChapterDraft,
  type SummaryDraft,
  type ChapterMergeRequest,
  type ChapterRequest,
  type ChapterSourceItem,
  type ChapterWindowRequest,
} from './chapters.ts';
