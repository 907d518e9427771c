import { describe, expect, it } from 'vitest';
import { ContentChangeTracker } from './content-tracker.ts';

const W = 128;
const H = 72;

/** A synthetic "slide": white, with dark text-like bars at the given rows/widths. */
function slide(lines: { y: number; x: number; w: number }[]): Uint8Array {
  const rgb = new Uint8Array(W * H * 3).fill(255);
  for (const l of lines)
    for (let y = l.y; y < l.y + 3; y++)
      for (let x = l.x; x < l.x + l.w; x++)
        for (let c = 0; c < 3; c++) rgb[(y * W + x) * 3 + c] = (x * 7 + y) % 3 === 0 ? 200 : 30;
  return rgb;
}
/** Draws a 2×3 dark box (a pointer) at (x, y) onto a copy. */
function withPointer(rgb: Uint8Array, x: number, y: number): Uint8Array {
  const out = Uint8Array.from(rgb);
  for (let yy = y; yy < y + 3; yy++)
    for (let xx = x; xx < x + 2; xx++) if (xx < W && yy < H) out.fill(20, (yy * W + xx) * 3, (yy * W + xx) * 3 + 3);
  return out;
}
function run(frames: Uint8Array[]): number[] {
  const t = new ContentChangeTracker(W, H);
  for (const f of frames) t.addFrame(f);
  return [...t.result()].flatMap((v, i) => (v > 0 ? [i] : []));
}
const A = slide([
  { y: 6, x: 8, w: 60 },
  { y: 22, x: 12, w: 80 },
  { y: 30, x: 12, w: 70 },
]);
const B = slide([
  { y: 6, x: 8, w: 50 },
  { y: 22, x: 12, w: 64 },
  { y: 30, x: 12, w: 90 },
]);
const hold = (f: Uint8Array, n: number) => Array.from({ length: n }, () => f);

describe('ContentChangeTracker', () => {
  it('starts a scene where a settled picture changes, at the first frame of the new picture', () => {
    expect(run([...hold(A, 40), ...hold(B, 40), ...hold(A, 40)])).toEqual([40, 80]);
  });
  it('ignores a pointer wandering over the slide, and still sees the slide change under it', () => {
    const frames = Array.from({ length: 120 }, (_, i) =>
      withPointer(i < 60 ? A : B, 10 + Math.round(50 + 40 * Math.sin(i / 7)), 20 + Math.round(20 * Math.sin(i / 5))),
    );
    expect(run(frames)).toEqual([60]);
  });
  it('ignores a blinking caret and a short flash or popup', () => {
    const caret = (on: boolean) => {
      const f = Uint8Array.from(A);
      if (on) for (let y = 40; y < 43; y++) f.fill(0, (y * W + 100) * 3, (y * W + 100) * 3 + 3);
      return f;
    };
    const frames: Uint8Array[] = Array.from({ length: 90 }, (_, i) => caret(Math.floor(i / 15) % 2 === 0));
    frames[50] = B; // a one-frame glitch
    for (let i = 60; i < 68; i++) frames[i] = B; // a popup shown for less than half a second
    expect(run(frames)).toEqual([]);
  });
  it('ignores noise, motion that never settles, and slow drift', () => {
    let seed = 1;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const noisy = Array.from({ length: 60 }, () =>
      A.map((v) => Math.max(0, Math.min(255, v + Math.round((rand() - 0.5) * 12)))),
    );
    expect(run(noisy)).toEqual([]);
    const moving = Array.from({ length: 60 }, (_, i) => slide([{ y: 6 + (i % 50), x: 8, w: 60 }]));
    expect(run(moving)).toEqual([]);
    // A gradient brightening by 1 grey level per frame: a large total change, never a sudden one.
    const drift = Array.from({ length: 120 }, (_, i) =>
      new Uint8Array(W * H * 3).map((_, p) => Math.min(255, ((p / 3) % W) + i)),
    );
    expect(run(drift)).toEqual([]);
  });
});
