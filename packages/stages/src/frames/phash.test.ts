import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { findDuplicates, hammingDistance, phash64 } from './phash.ts';
import { frameTimes } from './frame-times.ts';

const pattern = (w: number, h: number, f: (x: number, y: number) => number) => {
  const data = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data.fill(f(x, y), (y * w + x) * 3, (y * w + x) * 3 + 3);
  return sharp(data, { raw: { width: w, height: h, channels: 3 } })
    .jpeg()
    .toBuffer();
};

describe('phash64', () => {
  it('is 16 hex digits, stable under rescaling and recompression, different across pictures', async () => {
    const blobs = await pattern(320, 240, (x, y) => Math.round(128 + 90 * Math.sin(x / 31) * Math.cos(y / 23)));
    const blobsSmall = await sharp(blobs).resize(160, 120).jpeg({ quality: 50 }).toBuffer();
    const other = await pattern(320, 240, (x, y) => Math.round(128 + 90 * Math.cos((x + y) / 17)));
    const [a, b, c] = await Promise.all([phash64(blobs), phash64(blobsSmall), phash64(other)]);
    expect(a).toMatch(/^[0-9a-f]{16}$/);
    expect(hammingDistance(a, b)).toBeLessThanOrEqual(4);
    expect(hammingDistance(a, c)).toBeGreaterThan(16);
  });

  it('counts differing bits', () => {
    expect(hammingDistance('0000000000000000', 'ffffffffffffffff')).toBe(64);
    expect(hammingDistance('00000000000000f0', '0000000000000010')).toBe(3);
  });

  it('points near-duplicates at their first occurrence (A B A → third is a duplicate of first)', () => {
    expect(findDuplicates(['0000000000000000', 'ffffffffffffffff', '0000000000000001', '00000000000000ff'], 4)).toEqual(
      [-1, -1, 0, -1],
    );
  });
  it('asks the finer check before marking a duplicate, and keeps looking at later originals', () => {
    const hashes = ['0000000000000000', '0000000000000001', '0000000000000000', '0000000000000003'];
    // Pictures: 0 and 2 are the same, 1 and 3 are the same; all hashes are close.
    const picture = [0, 1, 0, 1];
    expect(findDuplicates(hashes, 4, (i, j) => picture[i] === picture[j])).toEqual([-1, -1, 0, 1]);
  });
});

describe('frameTimes', () => {
  it('takes the middle of each scene, and more frames from long scenes', () => {
    const picks = frameTimes(
      [
        { idx: 0, tStart: 0, tEnd: 4 },
        { idx: 1, tStart: 4, tEnd: 40 },
      ],
      { spanSec: 15, durationSec: 40, fps: 30 },
    );
    expect(picks).toEqual([
      { sceneIdx: 0, k: 0, t: 2 },
      { sceneIdx: 1, k: 0, t: 10 },
      { sceneIdx: 1, k: 1, t: 22 },
      { sceneIdx: 1, k: 2, t: 34 },
    ]);
  });
});
