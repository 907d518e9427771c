/**
 * Static-content change detection for slides and screen recordings, run on the
 * same small frames as the HSV scores (no extra decode).
 *
 * A colour-histogram score cannot see one white slide replaced by another white
 * slide with different text: few pixels change and the colours stay the same.
 * This tracker instead looks for *settled pictures*: a frame that the next
 * `stillFrames` frames do not change (beyond small objects). When a picture
 * settles and it differs from the previous settled picture, and from the
 * picture `stillFrames` before it, that frame starts a new scene.
 *
 * - A change is measured on a grid of cells (4×4 analysis pixels, about 40×40
 *   pixels of a 720p frame): a cell changed when at least two of its pixels
 *   differ by more than a threshold set from the video's own noise. Changed
 *   cells are grouped into 8-connected regions; regions with few changed pixels
 *   (a pointer, a blinking caret, a ticking clock digit) are ignored.
 * - Motion (a pan, a moving camera, a scroll) never settles, so it makes no
 *   boundary; a scroll that stops on new content settles there and makes one.
 * - A flash or a popup shorter than `stillFrames` never settles either, and the
 *   picture after it matches the one before, so it makes none.
 * - The decision for frame f is known `stillFrames` frames later; the score is
 *   written back at f, so results are complete once the stream ends.
 */

export interface ContentTrackerOptions {
  /** Frames a picture must stay unchanged to count as settled (default 15: half a second at 30 fps). */
  stillFrames: number;
  /** Cell side in analysis pixels (default 4). */
  cellSize: number;
  /** Changed pixels a cell needs to count as changed (default 2). */
  minPixelsPerCell: number;
  /** Smallest grey-level difference that counts, whatever the noise (default 16 of 255). */
  minPixelDelta: number;
  /** The difference threshold is at least this many times the video's typical frame-to-frame difference (default 4). */
  noiseFactor: number;
  /**
   * A changed region counts when its changed pixels are at least this fraction of
   * the frame (default 0.33 %: 30 of 128×72). Measured on generated 720p media: a
   * moving pointer's old and new place together change 8–18 such pixels, a blinking
   * caret 3, one short new bullet ("Lectures") 47, a new slide 130–280.
   */
  minRegionFraction: number;
}

export const DEFAULT_CONTENT_OPTIONS: ContentTrackerOptions = {
  stillFrames: 15,
  cellSize: 4,
  minPixelsPerCell: 2,
  minPixelDelta: 16,
  noiseFactor: 4,
  minRegionFraction: 0.0033,
};

/** Luma (BT.601 weights, integer) of rgb24 pixels. */
export function rgbToGray(rgb: Uint8Array, out: Uint8Array): void {
  for (let i = 0, j = 0, n = rgb.length; i < n; i += 3, j++)
    out[j] = (rgb[i]! * 77 + rgb[i + 1]! * 150 + rgb[i + 2]! * 29) >> 8;
}

export class ContentChangeTracker {
  private readonly o: ContentTrackerOptions;
  private readonly measure: RegionChange;
  /** Recent grey frames (ring), enough to look `stillFrames` back from a candidate confirmed `stillFrames` later. */
  private readonly ring: Uint8Array[];
  private count = 0;
  /** Histogram of per-frame median differences: the video's noise level is its median. */
  private readonly noiseHist = new Uint32Array(256);
  private readonly diffHist = new Uint32Array(256);
  private noiseFrames = 0;
  private candidate = -1;
  private readonly candidateGray: Uint8Array;
  private confirmed = false;
  private ref: Uint8Array | null = null;
  private scores: Float32Array;
  private readonly width: number;
  private readonly height: number;

  constructor(width: number, height: number, options: Partial<ContentTrackerOptions> = {}) {
    this.width = width;
    this.height = height;
    this.o = { ...DEFAULT_CONTENT_OPTIONS, ...options };
    this.measure = new RegionChange(width, height, this.o);
    this.ring = Array.from({ length: 2 * this.o.stillFrames + 1 }, () => new Uint8Array(width * height));
    this.candidateGray = new Uint8Array(width * height);
    this.scores = new Float32Array(1024);
  }

  /** Adds the next frame (rgb24, width×height). */
  addFrame(rgb: Uint8Array): void {
    const i = this.count++;
    const gray = this.ring[i % this.ring.length]!;
    rgbToGray(rgb, gray);
    if (i >= this.scores.length) {
      const grown = new Float32Array(this.scores.length * 2);
      grown.set(this.scores);
      this.scores = grown;
    }
    this.scores[i] = 0;
    if (i > 0) this.recordNoise(this.ring[(i - 1) % this.ring.length]!, gray);
    if (this.candidate < 0 || this.significantChange(this.candidateGray, gray) > 0) {
      this.candidate = i;
      this.candidateGray.set(gray);
      this.confirmed = false;
      return;
    }
    if (this.confirmed || i - this.candidate + 1 < this.o.stillFrames) return;
    this.confirmed = true;
    const c = this.candidate;
    if (this.ref) {
      const change = this.significantChange(this.ref, this.candidateGray);
      // Also against the picture just before it settled: slow drift (a slowly moving gradient,
      // a very slow scroll) adds up against an old reference but not over half a second.
      const before = c >= this.o.stillFrames ? this.ring[(c - this.o.stillFrames) % this.ring.length]! : null;
      if (change > 0 && (!before || this.significantChange(before, this.candidateGray) > 0))
        this.scores[c] = change / (this.width * this.height);
      this.ref.set(this.candidateGray);
    } else {
      this.ref = Uint8Array.from(this.candidateGray);
    }
  }

  /** Per frame: where a new settled picture starts, the fraction of pixels in its changed regions, else 0. */
  result(): Float32Array {
    return this.scores.slice(0, this.count);
  }

  /** The grey-level difference that counts: above the noise this video shows between frames. */
  private pixelThreshold(): number {
    if (this.noiseFrames === 0) return this.o.minPixelDelta;
    let seen = 0;
    let median = 0;
    for (; median < 255; median++) {
      seen += this.noiseHist[median]!;
      if (seen * 2 >= this.noiseFrames) break;
    }
    return Math.max(this.o.minPixelDelta, this.o.noiseFactor * median);
  }

  private significantChange(a: Uint8Array, b: Uint8Array): number {
    return this.measure.changedPixels(a, b, this.pixelThreshold());
  }

  private recordNoise(prev: Uint8Array, cur: Uint8Array): void {
    const hist = this.diffHist;
    hist.fill(0);
    for (let p = 0, n = cur.length; p < n; p++) {
      const d = cur[p]! - prev[p]!;
      hist[d < 0 ? -d : d]!++;
    }
    let seen = 0;
    let median = 0;
    for (; median < 255; median++) {
      seen += hist[median]!;
      if (seen * 2 >= cur.length) break;
    }
    this.noiseHist[median]!++;
    this.noiseFrames++;
  }
}

/**
 * How much two grey pictures of one size differ, ignoring small objects: the
 * changed pixels (difference above a threshold) in 8-connected regions of
 * changed cells with at least `minRegionFraction` of the frame's pixels. 0 means
 * "the same picture" up to a pointer, a caret, a clock digit or noise. Shared by
 * the scene detector and keyframe de-duplication so both agree on what is the
 * same slide. Buffers are reused: one instance per size, not re-entrant.
 */
export class RegionChange {
  private readonly gridW: number;
  private readonly gridH: number;
  private readonly cellCounts: Uint16Array;
  private readonly changed: Uint8Array;
  private readonly stack: Int32Array;
  private readonly minRegionPixels: number;
  private readonly o: Pick<ContentTrackerOptions, 'cellSize' | 'minPixelsPerCell' | 'minRegionFraction'>;

  readonly width: number;
  readonly height: number;

  constructor(
    width: number,
    height: number,
    options: Partial<Pick<ContentTrackerOptions, 'cellSize' | 'minPixelsPerCell' | 'minRegionFraction'>> = {},
  ) {
    this.width = width;
    this.height = height;
    this.o = { ...DEFAULT_CONTENT_OPTIONS, ...options };
    this.gridW = Math.ceil(width / this.o.cellSize);
    this.gridH = Math.ceil(height / this.o.cellSize);
    this.cellCounts = new Uint16Array(this.gridW * this.gridH);
    this.changed = new Uint8Array(this.gridW * this.gridH);
    this.stack = new Int32Array(this.gridW * this.gridH);
    this.minRegionPixels = Math.max(2, Math.round(this.o.minRegionFraction * width * height));
  }

  /** Changed pixels in regions larger than a small object (pointer, caret, clock digit); 0 = the same picture. */
  changedPixels(a: Uint8Array, b: Uint8Array, threshold: number): number {
    const { width, height, gridW, gridH, cellCounts, changed, stack } = this;
    const cell = this.o.cellSize;
    cellCounts.fill(0);
    for (let y = 0; y < height; y++) {
      const row = y * width;
      const cellRow = Math.floor(y / cell) * gridW;
      for (let x = 0; x < width; x++) {
        const d = a[row + x]! - b[row + x]!;
        if (d > threshold || d < -threshold) cellCounts[cellRow + Math.floor(x / cell)]!++;
      }
    }
    let any = false;
    for (let k = 0; k < changed.length; k++) {
      changed[k] = cellCounts[k]! >= this.o.minPixelsPerCell ? 1 : 0;
      if (changed[k]) any = true;
    }
    if (!any) return 0;
    // Flood-fill 8-connected regions of changed cells; keep those with enough changed pixels.
    let total = 0;
    for (let start = 0; start < changed.length; start++) {
      if (changed[start] !== 1) continue;
      let top = 0;
      stack[top++] = start;
      changed[start] = 2;
      let mass = 0;
      while (top > 0) {
        const k = stack[--top]!;
        mass += cellCounts[k]!;
        const cx = k % gridW;
        const cy = (k - cx) / gridW;
        for (let dy = -1; dy <= 1; dy++) {
          const ny = cy + dy;
          if (ny < 0 || ny >= gridH) continue;
          for (let dx = -1; dx <= 1; dx++) {
            const nx = cx + dx;
            if (nx < 0 || nx >= gridW) continue;
            const nk = ny * gridW + nx;
            if (changed[nk] === 1) {
              changed[nk] = 2;
              stack[top++] = nk;
            }
          }
        }
      }
      if (mass >= this.minRegionPixels) total += mass;
    }
    return total;
  }
}
