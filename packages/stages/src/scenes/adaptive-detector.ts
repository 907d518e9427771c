import { SCORE_LAGS } from './frame-scores.ts';

export interface AdaptiveDetectorOptions {
  /** A frame is a cut when its score is this many times the average of its neighbours (PySceneDetect: 3.0). */
  adaptiveThreshold: number;
  /** ...and its score is at least this (PySceneDetect min_content_val: 15). */
  minContentVal: number;
  /** Frames a scene must last (PySceneDetect min_scene_len: 15). */
  minSceneLen: number;
  /** Neighbour frames on each side in the rolling average (PySceneDetect window_width: 2). */
  windowWidth: number;
  /** Longest flash (in frames) not counted as a cut; 0 disables the check. At most SCORE_LAGS-1. */
  maxFlashFrames: number;
  /**
   * A jump is a flash only when the frames on both sides of it differ by less
   * than this fraction of the jump...
   */
  flashRatio: number;
  /**
   * ...and by no more than the shot's own motion would explain: this many times
   * the recent per-frame score over the skipped frames (or min_content_val).
   */
  flashMotionFactor: number;
  /**
   * A frame under `adaptiveThreshold` but at least this many times its neighbours is
   * still a cut when the colour histogram confirms it (the next two options); 0
   * turns the histogram check off. For a cut straight into strong motion, whose
   * moving neighbours inflate the average.
   */
  histogramAdaptiveThreshold: number;
  /** ...its histogram change is at least this many times that of its neighbours (motion keeps a shot's histogram)... */
  histogramJumpRatio: number;
  /** ...and at least this fraction of the picture changed histogram bin. */
  minHistogramChange: number;
}

export const DEFAULT_ADAPTIVE_OPTIONS: AdaptiveDetectorOptions = {
  adaptiveThreshold: 3,
  minContentVal: 15,
  minSceneLen: 15,
  windowWidth: 2,
  maxFlashFrames: 2,
  flashRatio: 0.5,
  flashMotionFactor: 1.5,
  histogramAdaptiveThreshold: 2,
  histogramJumpRatio: 5,
  minHistogramChange: 0.25,
};

/**
 * PySceneDetect's AdaptiveDetector over precomputed scores, plus a flash check
 * it lacks: a jump whose surrounding frames match each other (the picture comes
 * back after one or two frames) is a flash, not a cut. With `histogram` (per
 * frame, the fraction of the colour histogram changed since the frame before),
 * a frame between `histogramAdaptiveThreshold` and `adaptiveThreshold` counts
 * when its histogram change is abrupt too: a pan or a spin moves the picture but
 * keeps its colours, a cut replaces them. Returns the frame indices where new
 * scenes start (never 0).
 */
export function detectCuts(
  scores: Float32Array,
  options: Partial<AdaptiveDetectorOptions> = {},
  histogram?: Float32Array,
): number[] {
  const o = { ...DEFAULT_ADAPTIVE_OPTIONS, ...options };
  const n = scores.length / SCORE_LAGS;
  const diff = (i: number, lag: number): number => (i >= 0 && i < n ? scores[i * SCORE_LAGS + lag - 1]! : Number.NaN);
  const content = (i: number) => diff(i, 1);
  const maxFlash = Math.min(o.maxFlashFrames, SCORE_LAGS - 1);

  // Mean per-frame score of the five frames before frame i: how much the shot moves by itself.
  const motionBefore = (i: number): number => {
    let sum = 0;
    let count = 0;
    for (let j = Math.max(1, i - 5); j < i; j++) {
      const c = content(j);
      if (Number.isFinite(c)) {
        sum += c;
        count++;
      }
    }
    return count > 0 ? sum / count : 0;
  };
  // The picture before and after k frames matches: close relative to the jump, and within what motion explains.
  const matchesAcross = (skipDiff: number, jump: number, k: number, motion: number): boolean =>
    skipDiff < o.flashRatio * jump && skipDiff <= Math.max(o.minContentVal, o.flashMotionFactor * (k + 1) * motion);

  // Frames t..t+k-1 (starting a flash) or t-k..t-1 (ending one) are a flash if the frames around them match.
  const isFlash = (t: number): boolean => {
    const jump = content(t);
    for (let k = 1; k <= maxFlash; k++) {
      if (matchesAcross(diff(t + k, k + 1), jump, k, motionBefore(t))) return true; // frame t-1 against frame t+k
      if (matchesAcross(diff(t, k + 1), jump, k, motionBefore(t - k))) return true; // frame t-k-1 against frame t
    }
    return false;
  };

  /** Mean of `values` over the window around t, t itself left out (missing values skipped). */
  const neighbourMean = (values: (i: number) => number, t: number): number => {
    let sum = 0;
    let count = 0;
    for (let j = t - o.windowWidth; j <= t + o.windowWidth; j++) {
      if (j === t) continue;
      const c = values(j);
      if (Number.isFinite(c)) {
        sum += c;
        count++;
      }
    }
    return count > 0 ? sum / count : 0;
  };
  const histChange = (i: number): number => (histogram && i >= 0 && i < n ? histogram[i]! : Number.NaN);
  // The histogram confirms a cut: much of the picture changed colour, abruptly against the frames around it.
  const histogramConfirms = (t: number): boolean => {
    const h = histChange(t);
    if (!(h >= o.minHistogramChange)) return false;
    return h >= o.histogramJumpRatio * neighbourMean(histChange, t);
  };
  const lowerBar =
    histogram && o.histogramAdaptiveThreshold > 0
      ? Math.min(o.histogramAdaptiveThreshold, o.adaptiveThreshold)
      : o.adaptiveThreshold;

  const cuts: number[] = [];
  let lastCut = 0;
  for (let t = Math.max(1, o.windowWidth); t < n - o.windowWidth; t++) {
    const value = content(t);
    if (!(value >= o.minContentVal)) continue;
    const average = neighbourMean(content, t);
    const ratio = average < 1e-5 ? Infinity : value / average;
    if (ratio < lowerBar) continue;
    if (ratio < o.adaptiveThreshold && !histogramConfirms(t)) continue;
    if (t - lastCut < o.minSceneLen) continue;
    if (maxFlash > 0 && isFlash(t)) continue;
    cuts.push(t);
    lastCut = t;
  }
  return cuts;
}

export interface SceneSpan {
  tStart: number;
  tEnd: number;
}

/** Cut frames → scenes covering [0, duration] without gaps. */
export function cutsToScenes(cuts: readonly number[], fps: number, durationSec: number): SceneSpan[] {
  const bounds = [0, ...cuts.map((c) => c / fps).filter((t) => t > 0 && t < durationSec), durationSec];
  const scenes: SceneSpan[] = [];
  for (let i = 0; i < bounds.length - 1; i++) scenes.push({ tStart: round3(bounds[i]!), tEnd: round3(bounds[i + 1]!) });
  return scenes;
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;
