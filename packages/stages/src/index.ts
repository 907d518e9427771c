import './stage-outputs.ts';
export { defaultStages, transcriptionStages, STAGE_NAMES, type DefaultStagesOptions } from './default-stages.ts';
export {
  normalizeStage,
  NORMALIZED_FPS,
  type NormalizeOptions,
  type NormalizeData,
  type NormalizeAudioData,
} from './stages/normalize.ts';
export { transcribeStage, type TranscribeOptions, type TranscribeData } from './stages/transcribe.ts';
export { scenesStage, type ScenesData } from './stages/scenes.ts';
export { framesStage, type FramesOptions, type FramesData } from './stages/frames.ts';
export {
  visionStage,
  FrameVisionError,
  downscaleForVision,
  type VisionOptions,
  type VisionData,
} from './stages/vision.ts';
export {
  embeddingsStage,
  batchInputs,
  captionEmbeddingText,
  type EmbeddingsOptions,
  type EmbeddingsData,
} from './stages/embeddings.ts';
export { probeMedia, probeVideo, type MediaInfo, type VideoStreamInfo, type AudioStreamInfo } from './ffmpeg/probe.ts';
export {
  spawnTool,
  runToText,
  onToolSpawn,
  type SpawnToolOptions,
  type ToolRun,
  type ToolSpawnListener,
} from './ffmpeg/run.ts';
export { normalizedSize, analysisSize, type Size } from './ffmpeg/geometry.ts';
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
export { toSrt, toVtt, srtTimestamp, vttTimestamp, speakerName, type TimedText } from './transcribe/srt.ts';
export {
  createOpenAIProviders,
  frameAnalysisSchema,
  OPENAI_MAX_UPLOAD_BYTES,
  type OpenAIProviderOptions,
  type OpenAIProviders,
} from './providers/openai.ts';
export { createOpenAIChat, partialStringField } from './providers/openai-chat.ts';
export { createSupadataTranscription, type SupadataOptions } from './providers/supadata.ts';
export {
  transcriptionFromConfig,
  visionFromConfig,
  embeddingsFromConfig,
  chatFromConfig,
  chaptersFromConfig,
  type ResolvedProvider,
} from './providers/from-config.ts';
export { toProviderError } from './providers/provider-errors.ts';
export { closeOcr, keptText, ocrId, ocrLanguageDir, ocrStage, type OcrData, type OcrOptions } from './stages/ocr.ts';
export { probeCapabilities, toneWav, type CapabilityProbe } from './providers/capability-probes.ts';
export { chaptersStage, type ChaptersOptions, type ChaptersData } from './stages/chapters.ts';
export {
  repairDraft,
  repairSummary,
  toSummaryDraft,
  cleanTitle,
  cleanTags,
  pickKeyPoints,
  ChaptersInvalidError,
  MAX_TITLE_CHARS,
  MAX_KEY_POINTS,
  type RepairContext,
  type RepairedDraft,
  type RepairedChapter,
} from './chapters/repair.ts';
export { planWindows, groupForMerge, type ChapterWindow } from './chapters/windows.ts';
export { createOpenAIChapters } from './providers/openai-chapters.ts';
