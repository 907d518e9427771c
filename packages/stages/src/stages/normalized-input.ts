import { resolveInDataDir, VideoqaError, type StageContext } from '@videoqa/core';
import type { NormalizeData } from './normalize.ts';

export interface NormalizedInput {
  /** normalize's output, when it ran in this pipeline (or an earlier, resumed one). */
  norm: NormalizeData | undefined;
  /** Absolute path of normalized.mp4. */
  file: string;
  normalizedPath: string;
  durationSec: number;
}

/**
 * What the video stages read from normalize: the normalized file and duration, or
 * null when the input has no video (the caller skips). Throws when normalize never ran.
 */
export function normalizedInput(ctx: StageContext, stage: string): NormalizedInput | null {
  const norm = ctx.outputs.get('normalize');
  if (norm && !norm.hasVideo) return null;
  const normalizedPath = norm?.normalizedPath ?? ctx.video.normalizedPath;
  if (!normalizedPath)
    throw new VideoqaError(
      'STAGE_INPUT_MISSING',
      `${stage} needs the normalized video of ${ctx.video.id}; run normalize first`,
      false,
    );
  return {
    norm,
    normalizedPath,
    file: resolveInDataDir(ctx.paths.dataDir, normalizedPath),
    durationSec: norm?.durationSec ?? ctx.video.durationSec ?? 0,
  };
}
