import { detectCuts, type AdaptiveDetectorOptions } from './adaptive-detector.ts';

export interface SceneDetectionOptions extends AdaptiveDetectorOptions {
  /** Also start scenes where a settled picture changes (slides, screens); default true. */
  contentDetection: boolean;
}

export interface DetectedCuts {
  /** Where scenes start, both detectors merged (frame indices, never 0). */
  cuts: number[];
  /** The adaptive HSV detector's cuts alone. */
  hsvCuts: number[];
  /** Frames where a new settled picture starts (ContentChangeTracker). */
  contentCuts: number[];
}

/**
 * Both detectors over one decode's scores: every cut of the adaptive HSV
 * detector is kept (its behaviour on camera footage does not change), plus the
 * first frames of changed settled pictures. A content cut within min_scene_len
 * of an HSV cut is the same change seen twice (a cut into a still picture, or
 * the end of a fade the HSV detector caught) and is dropped.
 */
export function detectSceneCuts(
  scores: { scores: Float32Array; content: Float32Array; histogram?: Float32Array },
  options: Partial<SceneDetectionOptions> = {},
): DetectedCuts {
  const hsvCuts = detectCuts(scores.scores, options, scores.histogram);
  const contentCuts: number[] = [];
  if (options.contentDetection !== false)
    scores.content.forEach((v, i) => {
      if (v > 0 && i > 0) contentCuts.push(i);
    });
  const minLen = options.minSceneLen ?? 15;
  const cuts: number[] = [];
  const all = [...hsvCuts.map((f) => ({ f, hsv: true })), ...contentCuts.map((f) => ({ f, hsv: false }))].sort(
    (a, b) => a.f - b.f || Number(b.hsv) - Number(a.hsv),
  );
  for (const { f, hsv } of all) {
    const last = cuts.at(-1) ?? 0;
    if (hsv) {
      if (cuts.length > 0 && f - last < minLen && !hsvCuts.includes(last)) cuts.pop();
      if (cuts.at(-1) !== f) cuts.push(f);
    } else if (f - last >= minLen) cuts.push(f);
  }
  return { cuts, hsvCuts, contentCuts };
}
