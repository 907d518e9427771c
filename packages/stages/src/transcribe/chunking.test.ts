import { describe, expect, it } from 'vitest';
import { mergeChunkSegments, parseSilences, planChunks } from './chunking.ts';
import { srtTimestamp, toSrt } from './srt.ts';

describe('planChunks', () => {
  it('cuts at the silence nearest each boundary and overlaps neighbours', () => {
    const chunks = planChunks(1500, {
      chunkSec: 600,
      overlapSec: 2,
      silences: [
        { start: 590, end: 592 },
        { start: 1195, end: 1196 },
      ],
    });
    expect(chunks.map((c) => [c.from, c.to, c.keepFrom, c.keepUntil])).toEqual([
      [0, 593, -Infinity, 591],
      [589, 1197.5, 591, 1195.5],
      [1193.5, 1500, 1195.5, Infinity],
    ]);
  });

  it('falls back to the nominal boundary without silence nearby', () => {
    expect(planChunks(1000, { chunkSec: 600, overlapSec: 2 }).map((c) => c.keepUntil)).toEqual([600, Infinity]);
    expect(planChunks(500, { chunkSec: 600, overlapSec: 2 })).toHaveLength(1);
  });

  it('keeps a short remainder in the last chunk instead of sending it alone', () => {
    // Silences just before each nominal boundary: the cuts drift ~10 s earlier each time,
    // which left a 30-minute file a last chunk of 15 s.
    const silences = Array.from({ length: 11 }, (_, i) => ({ start: 590 * (i + 1), end: 590 * (i + 1) + 1 }));
    const chunks = planChunks(1785 + 15, { chunkSec: 600, overlapSec: 2, silences: silences.slice(0, 3) });
    expect(chunks).toHaveLength(3);
    expect(chunks.at(-1)!.to - chunks.at(-1)!.keepFrom).toBeLessThanOrEqual(600 + 30);
    expect(planChunks(1810, { chunkSec: 600, overlapSec: 2 })).toHaveLength(3);
    expect(planChunks(1831, { chunkSec: 600, overlapSec: 2 })).toHaveLength(4);
    const long = planChunks(7200, { chunkSec: 600, overlapSec: 2, silences });
    expect(long.at(-1)!.to - long.at(-1)!.keepFrom).toBeGreaterThan(30); // never a sliver of its own
  });
});

describe('mergeChunkSegments', () => {
  it('shifts to absolute time and keeps each overlapped segment once', () => {
    const [a, b] = planChunks(1000, { chunkSec: 600, overlapSec: 2 });
    const merged = mergeChunkSegments([
      {
        chunk: a!,
        segments: [
          { start: 595, end: 599, text: 'before the seam' },
          { start: 599.5, end: 601.5, text: 'across the seam' },
        ],
      },
      {
        chunk: b!,
        segments: [
          { start: 1.5, end: 3.5, text: 'across the seam' },
          { start: 5, end: 7, text: ' after ' },
        ],
      },
    ]);
    expect(merged).toEqual([
      { start: 595, end: 599, text: 'before the seam' },
      { start: 599.5, end: 601.5, text: 'across the seam' },
      { start: 603, end: 605, text: 'after' },
    ]);
  });

  it('orders, drops empty text and removes overlaps', () => {
    const chunk = { index: 0, from: 0, to: 10, keepFrom: -Infinity, keepUntil: Infinity };
    expect(
      mergeChunkSegments([
        {
          chunk,
          segments: [
            { start: 2, end: 5, text: 'b' },
            { start: 0, end: 3, text: 'a' },
            { start: 6, end: 7, text: '  ' },
          ],
        },
      ]),
    ).toEqual([
      { start: 0, end: 3, text: 'a' },
      { start: 3, end: 5, text: 'b' },
    ]);
  });
});

describe('silences and SRT', () => {
  it('parses silencedetect output', () => {
    expect(
      parseSilences(
        '[silencedetect @ 0x1] silence_start: 1.5\n[silencedetect @ 0x1] silence_end: 2.25 | silence_duration: 0.75\nsilence_start: -0.01\nsilence_end: 0.4',
      ),
    ).toEqual([
      { start: 1.5, end: 2.25 },
      { start: 0, end: 0.4 },
    ]);
  });

  it('writes valid SubRip', () => {
    expect(srtTimestamp(3723.4567)).toBe('01:02:03,457');
    expect(
      toSrt([
        { tStart: 0, tEnd: 1.5, text: 'Hello' },
        { tStart: 1.2, tEnd: 2, text: 'world\n\n!' },
        { tStart: 3, tEnd: 3, text: ' ' },
      ]),
    ).toBe('1\n00:00:00,000 --> 00:00:01,500\nHello\n\n2\n00:00:01,500 --> 00:00:02,000\nworld\n!\n');
  });
});
