import { describe, expect, it } from 'vitest';
import { cutsToScenes, detectCuts } from './adaptive-detector.ts';
import {
  FrameScorer,
  HISTOGRAM_BINS,
  histogramDistance,
  hsvDistance,
  hsvHistogram,
  rgbToHsv,
  SCORE_LAGS,
} from './frame-scores.ts';

/** Scores for a sequence of "frames", each a scalar picture; distance = |a - b|. */
function scoresFor(frames: number[]): Float32Array {
  const s = new Float32Array(frames.length * SCORE_LAGS).fill(Number.NaN);
  frames.forEach((f, i) => {
    for (let k = 1; k <= SCORE_LAGS; k++) if (i - k >= 0) s[i * SCORE_LAGS + k - 1] = Math.abs(f - frames[i - k]!);
  });
  return s;
}
/** A shot: slowly drifting values around `base`. */
const shot = (base: number, n: number, drift = 0.5) => Array.from({ length: n }, (_, i) => base + drift * Math.sin(i));

describe('detectCuts', () => {
  it('finds hard cuts between shots', () => {
    expect(detectCuts(scoresFor([...shot(0, 40), ...shot(100, 40), ...shot(30, 40)]))).toEqual([40, 80]);
  });

  it('ignores sustained motion (a pan changes every frame, the ratio stays near 1)', () => {
    const pan = Array.from({ length: 120 }, (_, i) => i * 20 + Math.sin(i));
    expect(detectCuts(scoresFor(pan))).toEqual([]);
  });

  it('ignores one- and two-frame flashes, which PySceneDetect counts as cuts', () => {
    const frames = shot(10, 60);
    frames[20] = 200;
    frames[40] = 200;
    frames[41] = 200;
    expect(detectCuts(scoresFor(frames))).toEqual([]);
    expect(detectCuts(scoresFor(frames), { maxFlashFrames: 0, minSceneLen: 1 })).toEqual([20, 21, 40, 42]);
  });

  it('still finds a cut right after a flash', () => {
    const frames = [...shot(10, 30), 250, ...shot(120, 30)];
    expect(detectCuts(scoresFor(frames))).toEqual([30]);
  });

  it('finds a cut straight into strong motion when the colour histogram changes abruptly there', () => {
    // A still shot, then a cut (50) into a shot moving 40 per frame: 2.5x its neighbours, under 3.
    const frames = [...shot(0, 40, 0), ...Array.from({ length: 40 }, (_, i) => 50 + 40 * i)];
    const histogram = (cut: number, inMotion: number) =>
      Float32Array.from(frames, (_, i) => (i === 0 ? Number.NaN : i === 40 ? cut : i > 40 ? inMotion : 0.01));
    expect(detectCuts(scoresFor(frames))).toEqual([]);
    // Motion keeps the shot's colours (5 % of the histogram per frame); the cut replaces 85 %.
    expect(detectCuts(scoresFor(frames), {}, histogram(0.85, 0.05))).toEqual([40]);
    // Colours that change as much on every frame of the motion do not confirm it...
    expect(detectCuts(scoresFor(frames), {}, histogram(0.85, 0.6))).toEqual([]);
    // ...nor does an abrupt but small histogram change, and the check can be turned off.
    expect(detectCuts(scoresFor(frames), {}, histogram(0.2, 0.01))).toEqual([]);
    expect(detectCuts(scoresFor(frames), { histogramAdaptiveThreshold: 0 }, histogram(0.85, 0.05))).toEqual([]);
    // Under the lower bar (2x) the histogram does not matter.
    const slower = [...shot(0, 40, 0), ...Array.from({ length: 40 }, (_, i) => 30 + 40 * i)];
    expect(detectCuts(scoresFor(slower), {}, histogram(0.85, 0.05))).toEqual([]);
  });

  it('still ignores flashes that the histogram sees as abrupt', () => {
    const frames = shot(10, 60);
    frames[20] = 200;
    const histogram = Float32Array.from(frames, (_, i) => (i === 0 ? Number.NaN : i === 20 || i === 21 ? 1 : 0.01));
    expect(detectCuts(scoresFor(frames), {}, histogram)).toEqual([]);
  });

  it('needs min_content_val and the minimum scene length', () => {
    expect(detectCuts(scoresFor([...shot(0, 40, 0), ...shot(10, 40, 0)]))).toEqual([]);
    expect(detectCuts(scoresFor([...shot(0, 40), ...shot(100, 5), ...shot(0, 40)]))).toEqual([40]);
  });
});

describe('cutsToScenes', () => {
  it('covers the whole video without gaps', () => {
    const scenes = cutsToScenes([60, 150], 30, 7.5);
    expect(scenes).toEqual([
      { tStart: 0, tEnd: 2 },
      { tStart: 2, tEnd: 5 },
      { tStart: 5, tEnd: 7.5 },
    ]);
    expect(cutsToScenes([], 30, 3)).toEqual([{ tStart: 0, tEnd: 3 }]);
  });
});

describe('frame scoring', () => {
  it('converts RGB to 8-bit HSV as OpenCV does', () => {
    const hsv = new Uint8Array(12);
    rgbToHsv(new Uint8Array([255, 0, 0, 0, 255, 0, 0, 0, 255, 128, 128, 128]), hsv);
    expect([...hsv]).toEqual([0, 255, 255, 60, 255, 255, 120, 255, 255, 0, 0, 128]);
  });

  it('measures hue distance around the circle', () => {
    expect(hsvDistance(new Uint8Array([179, 0, 0]), new Uint8Array([1, 0, 0]))).toBeCloseTo(2 / 3);
  });

  it('scores frames fed in arbitrary chunks', () => {
    const scorer = new FrameScorer(2, 1);
    const black = Buffer.alloc(6, 0);
    const white = Buffer.alloc(6, 255);
    const all = Buffer.concat([black, black, white, white]);
    scorer.push(all.subarray(0, 5));
    scorer.push(all.subarray(5, 17));
    scorer.push(all.subarray(17));
    expect(scorer.frameCount).toBe(4);
    const s = scorer.result();
    expect(s[1 * SCORE_LAGS]).toBe(0);
    expect(s[2 * SCORE_LAGS]).toBeCloseTo(255 / 3);
    expect(s[3 * SCORE_LAGS + 2]).toBeCloseTo(255 / 3);
    // Black to white moves every pixel to another histogram bin; the same picture moves none.
    expect([...scorer.histogramResult()]).toEqual([Number.NaN, 0, 1, 0]);
  });

  it('bins colours by hue, saturation and value, and greys by value alone', () => {
    const hist = new Uint32Array(HISTOGRAM_BINS);
    const hsv = new Uint8Array(12);
    // Red and green (saturated), a grey whose noisy hue must not matter, and black.
    rgbToHsv(new Uint8Array([255, 0, 0, 0, 255, 0, 130, 128, 128, 0, 0, 0]), hsv);
    hsvHistogram(hsv, hist);
    expect(hist.reduce((a, b) => a + b, 0)).toBe(4);
    const other = new Uint32Array(HISTOGRAM_BINS);
    rgbToHsv(new Uint8Array([255, 0, 0, 0, 255, 0, 128, 128, 130, 0, 0, 0]), hsv);
    hsvHistogram(hsv, other);
    expect(histogramDistance(hist, other, 4)).toBe(0);
    rgbToHsv(new Uint8Array([0, 0, 255, 0, 255, 0, 128, 128, 130, 0, 0, 0]), hsv);
    hsvHistogram(hsv, other);
    expect(histogramDistance(hist, other, 4)).toBe(0.25);
  });
});
