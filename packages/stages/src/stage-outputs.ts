import type { ChaptersData } from './stages/chapters.ts';
import type { EmbeddingsData } from './stages/embeddings.ts';
import type { FramesData } from './stages/frames.ts';
import type { NormalizeAudioData, NormalizeData } from './stages/normalize.ts';
import type { OcrData } from './stages/ocr.ts';
import type { ScenesData } from './stages/scenes.ts';
import type { TranscribeData } from './stages/transcribe.ts';
import type { VisionData } from './stages/vision.ts';

// The standard stages' outputs, so ctx.outputs.get('normalize') and
// result.stages.scenes.data are typed wherever @videoqa/stages is imported.
declare module '@videoqa/core' {
  interface StageOutputs {
    normalize: NormalizeData;
    /** normalize's early output: audio.wav, ready before the video encode ends. */
    'normalize:audio': NormalizeAudioData;
    transcribe: TranscribeData;
    scenes: ScenesData;
    frames: FramesData;
    vision: VisionData;
    embeddings: EmbeddingsData;
    ocr: OcrData;
    chapters: ChaptersData;
  }
}
