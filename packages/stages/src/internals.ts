// Building blocks of the stages, exported for benchmarks and tests: no stability promise.
// The public API is `@videoqa/stages` (index.ts).
export { spawnTool, onToolSpawn, type SpawnToolOptions, type ToolRun, type ToolSpawnListener } from './ffmpeg/run.ts';
export { analysisSize } from './ffmpeg/geometry.ts';
export { downscaleForVision } from './stages/vision.ts';
export { batchInputs, captionEmbeddingText } from './stages/embeddings.ts';
export { keptText, ocrId } from './stages/ocr.ts';
export {
  FrameScorer,
  rgbToHsv,
  hsvDistance,
  hsvHistogram,
  histogramDistance,
  HISTOGRAM_BINS,
  SCORE_LAGS,
} from './scenes/frame-scores.ts';
export {
  detectCuts,
  cutsToScenes,
  DEFAULT_ADAPTIVE_OPTIONS,
  type AdaptiveDetectorOptions,
  type SceneSpan,
} from './scenes/adaptive-detector.ts';
export { scoreVideoFile } from './scenes/score-video.ts';
export {
  ContentChangeTracker,
  DEFAULT_CONTENT_OPTIONS,
  RegionChange,
  rgbToGray,
  type ContentTrackerOptions,
} from './scenes/content-tracker.ts';
export { detectSceneCuts, type DetectedCuts, type SceneDetectionOptions } from './scenes/detect-scenes.ts';
export { readSceneScores, writeSceneScores, type SceneScores } from './scenes/scores-file.ts';
export {
  phash64,
  phashFromPixels,
  hammingDistance,
  findDuplicates,
  greyThumbnail,
  THUMB_WIDTH,
  THUMB_HEIGHT,
} from './frames/phash.ts';
export { frameTimes, type FramePick } from './frames/frame-times.ts';
export {
  evenBatches,
  extractFrames,
  FRAMES_PER_PROCESS,
  type FrameToExtract,
  type ExtractFramesOptions,
} from './frames/extract-frames.ts';
export { planChunks, mergeChunkSegments, parseSilences, type AudioChunk, type Silence } from './transcribe/chunking.ts';
export { srtTimestamp, vttTimestamp } from './transcribe/srt.ts';
export { frameAnalysisSchema } from './providers/openai.ts';
export { partialStringField } from './providers/openai-chat.ts';
export { toProviderError } from './providers/provider-errors.ts';
export {
  repairDraft,
  repairSummary,
  toSummaryDraft,
  cleanTitle,
  cleanTags,
  pickKeyPoints,
  MAX_TITLE_CHARS,
  MAX_KEY_POINTS,
  type RepairContext,
  type RepairedDraft,
  type RepairedChapter,
} from './chapters/repair.ts';
export { planWindows, groupForMerge, type ChapterWindow } from './chapters/windows.ts';
