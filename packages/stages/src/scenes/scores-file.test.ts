import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SCORE_LAGS } from './frame-scores.ts';
import { readSceneScores, writeSceneScores } from './scores-file.ts';

const dir = mkdtempSync(join(tmpdir(), 'vq-scores-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('scene scores file', () => {
  it('round-trips the HSV scores, the content scores and the histogram changes', async () => {
    const scores = Float32Array.from({ length: 5 * SCORE_LAGS }, (_, i) => (i < SCORE_LAGS ? Number.NaN : i / 2));
    const content = Float32Array.from([0, 0, 0.25, 0, 0.5]);
    const histogram = Float32Array.from([Number.NaN, 0.01, 0.85, 0.02, 0]);
    await writeSceneScores(join(dir, 'a.bin'), {
      fps: 30,
      width: 128,
      height: 72,
      frameCount: 5,
      scores,
      content,
      histogram,
    });
    const back = await readSceneScores(join(dir, 'a.bin'));
    expect(back).toMatchObject({ fps: 30, width: 128, height: 72, frameCount: 5 });
    expect([...back!.scores]).toEqual([...scores]);
    expect([...back!.content]).toEqual([...content]);
    expect([...back!.histogram]).toEqual([...histogram]);
  });
  it.each([
    [1, 0],
    [2, 1],
  ])('reads a version-%i file (older scores) as missing, so the scenes stage decodes again', async (version, extra) => {
    const header = Buffer.alloc(20);
    header.write('VQSC', 0, 'ascii');
    header.writeUInt16LE(version, 4);
    header.writeUInt16LE(SCORE_LAGS, 6);
    header.writeFloatLE(30, 8);
    header.writeUInt16LE(128, 12);
    header.writeUInt16LE(72, 14);
    header.writeUInt32LE(2, 16);
    writeFileSync(join(dir, 'old.bin'), Buffer.concat([header, Buffer.alloc(2 * (SCORE_LAGS + extra) * 4)]));
    expect(await readSceneScores(join(dir, 'old.bin'))).toBeNull();
  });
});
