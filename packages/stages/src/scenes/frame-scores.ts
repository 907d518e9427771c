/**
 * Per-frame content scores for scene detection, computed while frames stream
 * by (no frame is kept beyond the last few). For each frame i we record its
 * content difference to frames i-1, i-2 and i-3: the first is PySceneDetect's
 * content_val, the others let the detector tell a flash from a cut. We also
 * record how much of the picture's colour histogram changed since frame i-1:
 * motion (a pan, a spin) keeps a shot's histogram nearly the same while a cut
 * replaces it, which confirms a cut straight into strong motion that the
 * adaptive ratio alone misses.
 */

import { ContentChangeTracker, type ContentTrackerOptions } from './content-tracker.ts';

/** How many frames back differences are kept: 1 (the content score) plus up to two-frame flashes. */
export const SCORE_LAGS = 3;

/** 8-bit HSV as OpenCV computes it (H in 0..179, S and V in 0..255), one byte each per pixel. */
export function rgbToHsv(rgb: Uint8Array, out: Uint8Array): void {
  for (let i = 0, n = rgb.length; i < n; i += 3) {
    const r = rgb[i]!;
    const g = rgb[i + 1]!;
    const b = rgb[i + 2]!;
    const v = r > g ? Math.max(r, b) : Math.max(g, b);
    const min = r < g ? Math.min(r, b) : Math.min(g, b);
    const delta = v - min;
    let h = 0;
    if (delta !== 0) {
      if (v === r) h = (30 * (g - b)) / delta;
      else if (v === g) h = 60 + (30 * (b - r)) / delta;
      else h = 120 + (30 * (r - g)) / delta;
      if (h < 0) h += 180;
    }
    out[i] = Math.round(h) % 180;
    out[i + 1] = v === 0 ? 0 : Math.round((255 * delta) / v);
    out[i + 2] = v;
  }
}

/** Mean absolute difference of hue (circular), saturation and value, averaged: 0..~255. */
export function hsvDistance(a: Uint8Array, b: Uint8Array): number {
  let dh = 0;
  let ds = 0;
  let dv = 0;
  for (let i = 0, n = a.length; i < n; i += 3) {
    let h = a[i]! - b[i]!;
    if (h < 0) h = -h;
    dh += h > 90 ? 180 - h : h;
    const s = a[i + 1]! - b[i + 1]!;
    ds += s < 0 ? -s : s;
    const v = a[i + 2]! - b[i + 2]!;
    dv += v < 0 ? -v : v;
  }
  const pixels = a.length / 3;
  return (dh + ds + dv) / (3 * pixels);
}

/** Bins of the colour histogram: 16 hues × 4 saturations × 4 values for coloured pixels, plus greys. */
export const HISTOGRAM_BINS = 256 + 4;
/** OpenCV hue (0..179) → one of 16 hue bins. */
const HUE_BIN = Uint8Array.from({ length: 180 }, (_, h) => Math.floor((h * 16) / 180));

/**
 * Colour histogram of 8-bit HSV pixels. A pixel with saturation under 64 of 255
 * has no meaningful hue (noise swings it around the circle), so it counts only by
 * its value, in one of 4 grey bins.
 */
export function hsvHistogram(hsv: Uint8Array, out: Uint32Array): void {
  out.fill(0);
  for (let i = 0, n = hsv.length; i < n; i += 3) {
    const s = hsv[i + 1]! >> 6;
    const v = hsv[i + 2]! >> 6;
    out[s === 0 ? 256 + v : (HUE_BIN[hsv[i]!]! << 4) | (s << 2) | v]!++;
  }
}

/** Fraction of pixels that would have to change bin to turn one histogram into the other: 0..1. */
export function histogramDistance(a: Uint32Array, b: Uint32Array, pixels: number): number {
  let sum = 0;
  for (let k = 0; k < a.length; k++) {
    const d = a[k]! - b[k]!;
    sum += d < 0 ? -d : d;
  }
  return sum / (2 * pixels);
}

/**
 * Accumulates scores frame by frame. Feed it raw rgb24 bytes in any chunking
 * (straight from ffmpeg's stdout); it slices frames itself.
 */
export class FrameScorer {
  readonly frameBytes: number;
  /** scores[i*SCORE_LAGS + (k-1)] = distance(frame i, frame i-k), NaN where i-k < 0. */
  private scores: Float32Array;
  /** histogram[i] = histogramDistance(frame i, frame i-1), NaN for frame 0. */
  private histogram: Float32Array;
  private hist = new Uint32Array(HISTOGRAM_BINS);
  private prevHist = new Uint32Array(HISTOGRAM_BINS);
  private count = 0;
  private readonly history: Uint8Array[] = [];
  private pending: Buffer = Buffer.alloc(0);
  /** Settled-picture changes (slides, screens) from the same frames; null when turned off (to measure its cost). */
  private readonly content: ContentChangeTracker | null;

  constructor(width: number, height: number, contentOptions: Partial<ContentTrackerOptions> | false = {}) {
    this.frameBytes = width * height * 3;
    this.scores = new Float32Array(1024 * SCORE_LAGS);
    this.histogram = new Float32Array(1024);
    this.content = contentOptions === false ? null : new ContentChangeTracker(width, height, contentOptions);
  }

  get frameCount(): number {
    return this.count;
  }

  push(chunk: Buffer): void {
    let data = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    let offset = 0;
    while (data.length - offset >= this.frameBytes) {
      this.addFrame(data.subarray(offset, offset + this.frameBytes));
      offset += this.frameBytes;
    }
    this.pending = Buffer.from(data.subarray(offset));
    data = Buffer.alloc(0);
  }

  private addFrame(rgb: Uint8Array): void {
    this.content?.addFrame(rgb);
    // Reuse the oldest HSV buffer: memory stays flat however long the video is.
    const hsv = this.history.length > SCORE_LAGS ? this.history.pop()! : new Uint8Array(this.frameBytes);
    rgbToHsv(rgb, hsv);
    if ((this.count + 1) * SCORE_LAGS > this.scores.length) {
      const grown = new Float32Array(this.scores.length * 2);
      grown.set(this.scores);
      this.scores = grown;
      const hist = new Float32Array(this.histogram.length * 2);
      hist.set(this.histogram);
      this.histogram = hist;
    }
    hsvHistogram(hsv, this.hist);
    this.histogram[this.count] =
      this.count > 0 ? histogramDistance(this.hist, this.prevHist, this.frameBytes / 3) : Number.NaN;
    [this.hist, this.prevHist] = [this.prevHist, this.hist];
    for (let k = 1; k <= SCORE_LAGS; k++) {
      const prev = this.history[k - 1];
      this.scores[this.count * SCORE_LAGS + (k - 1)] = prev ? hsvDistance(hsv, prev) : Number.NaN;
    }
    this.history.unshift(hsv);
    this.count++;
  }

  /** The scores so far: frameCount × SCORE_LAGS values. */
  result(): Float32Array {
    return this.scores.slice(0, this.count * SCORE_LAGS);
  }

  /** Per frame: the fraction of the colour histogram that changed since the frame before (NaN for frame 0). */
  histogramResult(): Float32Array {
    return this.histogram.slice(0, this.count);
  }

  /** Per frame: where a new settled picture starts, the fraction of pixels in its changed regions (else 0). */
  contentResult(): Float32Array {
    return this.content?.result() ?? new Float32Array(this.count);
  }
}
