export {
  type VideoqaErrorOptions,
  VideoqaError,
  ConfigError,
  InvalidIdError,
  PathOutsideDataDirError,
  FileNotFoundError,
  VideoNotFoundError,
  JobNotFoundError,
  InvalidMediaError,
  PipelineGraphError,
  AbortedError,
  DependencyMissingError,
  OcrError,
  ToolFailedError,
  type ProviderErrorKind,
  ProviderError,
  DatabaseUnavailableError,
  LeaseLostError,
  PipelineFailedError,
  VideoBusyError,
  JobCancelledError,
  InvalidStateError,
  type RequestErrorCode,
  requestError,
  isRetryable,
  errorCode,
  toError,
  type OutboundErrorCode,
  OutboundError,
} from './errors.ts';
export { ERROR_CODES, httpStatusForCode, isErrorCode, type ErrorCode, type ExitClass } from './error-codes.ts';
export {
  padIndex,
  sceneId,
  frameId,
  segmentId,
  chapterId,
  captionId,
  MAX_ID_LENGTH,
  validateId,
  validateVideoId,
  newId,
} from './ids.ts';
export {
  configSchema,
  type Config,
  type ConfigInput,
  type ConfigKey,
  ENV_NAMES,
  SECRET_KEYS,
  type LoadConfigOptions,
  loadConfig,
  parseConfig,
  redactUrl,
  redactConfig,
  configSecrets,
} from './config.ts';
export {
  type AiCapability,
  AI_CAPABILITIES,
  type AiEndpoint,
  aiEndpoint,
} from './ai-endpoints.ts';
export {
  type VideoPaths,
  videoPaths,
  resolveInDataDir,
  toDataDirRelative,
  hideDataDir,
} from './paths.ts';
export {
  tempPathFor,
  removeStaleTemps,
  writeAtomically,
  writeFileAtomically,
  MAX_FILE_NAME_BYTES,
  safeFileName,
  type ImportedVideo,
  importVideoFile,
  sha256File,
} from './files.ts';
export {
  sleep,
  abortReasonOf,
  backoffDelayMs,
} from './async.ts';
// The Store contract and the rows it reads and writes: what a custom store implements.
export type {
  Store,
  VideoStatus,
  VideoRecord,
  VideoPatch,
  SegmentRow,
  SceneRow,
  FrameRow,
  CaptionRow,
  OcrRow,
  AnnotationRow,
  ChapterRow,
  KeyPoint,
  VideoSummaryRow,
  EmbeddingKind,
  EmbeddingUpdate,
  Usage,
  StageRunStatus,
  StageRunRecord,
} from './store.ts';
export { MemoryStore } from './memory-store.ts';
export type { Logger, LogFn } from './logger.ts';
export { silentLogger } from './logger.ts';
export type { Stage, StageContext, StageOutput, StageOutputs, StageOutputMap } from './stage.ts';
export { defineStage } from './stage.ts';
// The provider contracts and their requests and replies: what a custom provider implements.
export type {
  TranscriptSegment,
  TranscriptionRequest,
  TranscriptionResult,
  TranscriptionProvider,
  UiControl,
  FrameEntities,
  FrameDescription,
  ProviderUsage,
  VisionRequest,
  VisionProvider,
  EmbeddingsProvider,
  PassageKind,
  Passage,
  RawCitation,
  GroundedAnswerRequest,
  GroundedAnswerReply,
  ChatProvider,
  ProviderFallback,
  ReportsFallbacks,
  ChapterDraftReply,
  SummaryMergeReply,
  ChaptersProvider,
} from './providers.ts';
export {
  type PipelineStartEvent,
  type StageStartEvent,
  type StageProgressEvent,
  type StageDoneEvent,
  type StageSkippedEvent,
  type StageOutputEvent,
  type StageErrorEvent,
  type PipelineDoneEvent,
  type PipelineFailedEvent,
  type PipelineEventMap,
  type PipelineEventName,
  PipelineEvents,
} from './events.ts';
export type { StageResultStatus, StageResult, StageResults, PipelineResult } from './pipeline-result.ts';
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
