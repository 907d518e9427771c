import type { ChaptersProvider, EmbeddingsProvider, Stage, TranscriptionProvider, VisionProvider } from '@videoqa/core';
import type { SceneDetectionOptions } from './scenes/detect-scenes.ts';
import { chaptersStage, type ChaptersOptions } from './stages/chapters.ts';
import { embeddingsStage, type EmbeddingsOptions } from './stages/embeddings.ts';
import { framesStage, type FramesOptions } from './stages/frames.ts';
import { normalizeStage, type NormalizeOptions } from './stages/normalize.ts';
import { ocrStage, type OcrOptions } from './stages/ocr.ts';
import { scenesStage } from './stages/scenes.ts';
import { transcribeStage, type TranscribeOptions } from './stages/transcribe.ts';
import { visionStage, type VisionOptions } from './stages/vision.ts';

export interface DefaultStagesOptions {
  /** AI providers to use instead of the OpenAI ones built from config. */
  providers?: {
    transcription?: TranscriptionProvider;
    vision?: VisionProvider;
    embeddings?: EmbeddingsProvider;
    chapters?: ChaptersProvider;
  };
  normalize?: NormalizeOptions;
  transcribe?: Omit<TranscribeOptions, 'provider'>;
  scenes?: Partial<SceneDetectionOptions>;
  frames?: FramesOptions;
  ocr?: OcrOptions;
  vision?: Omit<VisionOptions, 'provider'>;
  embeddings?: Omit<EmbeddingsOptions, 'provider'>;
  chapters?: Omit<ChaptersOptions, 'provider'>;
}

export const STAGE_NAMES = [
  'normalize',
  'transcribe',
  'scenes',
  'frames',
  'ocr',
  'vision',
  'chapters',
  'embeddings',
] as const;

/**
 * The standard stages, ready for runPipeline:
 * normalize → (transcribe ∥ scenes → frames → ocr → vision) → chapters → embeddings.
 * ocr skips itself when OCR_ENABLED is false, chapters when CHAPTERS_ENABLED is false
 * or there is no API key.
 * Add, replace or remove stages in the returned array as you like.
 */
export function defaultStages(options: DefaultStagesOptions = {}): Stage[] {
  return [
    normalizeStage(options.normalize),
    transcribeStage({ ...options.transcribe, provider: options.providers?.transcription }),
    scenesStage(options.scenes),
    framesStage(options.frames),
    ocrStage(options.ocr),
    visionStage({ ...options.vision, provider: options.providers?.vision }),
    chaptersStage({ ...options.chapters, provider: options.providers?.chapters }),
    embeddingsStage({ ...options.embeddings, provider: options.providers?.embeddings }),
  ] as Stage[];
}

/** The stages of a transcription-only job: normalize (audio-only input allowed) and transcribe. */
export function transcriptionStages(options: Pick<DefaultStagesOptions, 'providers' | 'transcribe'> = {}): Stage[] {
  return [
    normalizeStage({ allowAudioOnly: true, analyzeScenes: false }),
    transcribeStage({ ...options.transcribe, provider: options.providers?.transcription }),
  ] as Stage[];
}
