// The public API: the stages, their options and outputs, the providers they call, and the media
// helpers other packages use. Building blocks used only by benchmarks and tests (scene scoring,
// hashing, chunk planning, chapter repair) are exported from `@videoqa/stages/internals`, which
// makes no promise of stability.
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
export { ocrStage, closeOcr, ocrLanguageDir, type OcrData, type OcrOptions } from './stages/ocr.ts';
export { visionStage, FrameVisionError, type VisionOptions, type VisionData } from './stages/vision.ts';
export { chaptersStage, type ChaptersOptions, type ChaptersData } from './stages/chapters.ts';
export { ChaptersInvalidError } from './chapters/repair.ts';
export { embeddingsStage, type EmbeddingsOptions, type EmbeddingsData } from './stages/embeddings.ts';
export { probeMedia, probeVideo, type MediaInfo, type VideoStreamInfo, type AudioStreamInfo } from './ffmpeg/probe.ts';
export { runToText } from './ffmpeg/run.ts';
export { normalizedSize, type Size } from './ffmpeg/geometry.ts';
export { toSrt, toVtt, speakerName, type TimedText } from './transcribe/srt.ts';
export {
  createOpenAIProviders,
  OPENAI_MAX_UPLOAD_BYTES,
  type OpenAIProviderOptions,
  type OpenAIProviders,
} from './providers/openai.ts';
export { createOpenAIChat } from './providers/openai-chat.ts';
export { createOpenAIChapters } from './providers/openai-chapters.ts';
export { createSupadataTranscription, type SupadataOptions } from './providers/supadata.ts';
export {
  transcriptionFromConfig,
  visionFromConfig,
  embeddingsFromConfig,
  chatFromConfig,
  chaptersFromConfig,
  type ResolvedProvider,
} from './providers/from-config.ts';
export { probeCapabilities, toneWav, type CapabilityProbe } from './providers/capability-probes.ts';
