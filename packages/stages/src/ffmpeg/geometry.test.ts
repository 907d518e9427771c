import { describe, expect, it } from 'vitest';
import { analysisSize, normalizedSize } from './geometry.ts';

describe('normalizedSize', () => {
  it.each([
    [1920, 1080, 1280, 720],
    [1280, 720, 1280, 720],
    [3840, 2160, 1280, 720],
    [1081, 1921, 720, 1280],
    [1080, 1920, 720, 1280],
    [720, 720, 720, 720],
    [321, 241, 320, 240],
    [640, 480, 640, 480],
    [1, 1, 2, 2],
    [20000, 300, 4096, 62],
    [1279, 719, 1278, 718],
    [1440, 1080, 960, 720],
  ])('%ix%i → %ix%i (shorter side 720, never upscaled, even, capped)', (w, h, ew, eh) => {
    const out = normalizedSize({ width: w, height: h });
    expect(out).toEqual({ width: ew, height: eh });
    expect(out.width % 2).toBe(0);
    expect(out.height % 2).toBe(0);
  });

  it('keeps the aspect ratio within a pixel', () => {
    const out = normalizedSize({ width: 1081, height: 1921 });
    expect(Math.abs(out.width / out.height - 1081 / 1921)).toBeLessThan(0.002);
  });

  it('analyses at a small size with the same aspect', () => {
    expect(analysisSize({ width: 1280, height: 720 })).toEqual({ width: 128, height: 72 });
    expect(analysisSize({ width: 720, height: 1280 })).toEqual({ width: 72, height: 128 });
    expect(analysisSize({ width: 64, height: 48 })).toEqual({ width: 64, height: 48 });
  });
});
