import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { MemoryStore, runPipeline } from '@videoqa/core';
import { normalizeStage, scenesStage } from '@videoqa/stages';
import { cutFixtures, makeVideo, type VideoSpec } from '@videoqa/testing';
import { describe, expect, it } from 'vitest';
import { runOn, tempDataDir } from './helpers.ts';

const FPS = 30;

async function detect(spec: VideoSpec | keyof typeof cutFixtures) {
  const v =
    typeof spec === 'string'
      ? await cutFixtures[spec]!()
      : await makeVideo({ width: 640, height: 360, fps: FPS, audio: { kind: 'none' }, ...spec });
  const { result, store } = await runOn(v.path, [normalizeStage(), scenesStage()]);
  expect(result.status).toBe('done');
  const data = result.stages.scenes!.data as { cuts: number[]; scenes: { tStart: number; tEnd: number }[] };
  return { expected: v.cuts, found: data.cuts, scenes: await store.listScenes('v1'), duration: v.durationSec };
}

/** Every expected cut found within ±2 frames, and nothing else. */
function expectCutsMatch(expected: number[], found: number[]) {
  expect(found).toHaveLength(expected.length);
  expected.forEach((cut, i) => {
    expect(Math.abs(found[i]! - cut)).toBeLessThanOrEqual(2);
  });
}

describe('scenes (adaptive detector)', () => {
  it('finds every hard cut between different shots within ±2 frames, and no false cut', async () => {
    const r = await detect('cuts-7-shots');
    expect(r.expected).toEqual([60, 105, 165, 195, 255, 285]);
    expectCutsMatch(r.expected, r.found);
  });

  it('covers the whole video with scenes, no gaps, seed ids', async () => {
    const r = await detect({
      shots: [
        { source: 'testsrc2', seconds: 2 },
        { source: 'smptebars', seconds: 2 },
        { source: 'blue', seconds: 1 },
      ],
    });
    expect(r.scenes.map((s) => s.id)).toEqual(['v1_scene_000', 'v1_scene_001', 'v1_scene_002']);
    expect(r.scenes[0]!.tStart).toBe(0);
    for (let i = 1; i < r.scenes.length; i++) expect(r.scenes[i]!.tStart).toBe(r.scenes[i - 1]!.tEnd);
    expect(r.scenes.at(-1)!.tEnd).toBeCloseTo(r.duration, 1);
    expect(r.scenes[1]!.tStart).toBeCloseTo(2, 1);
  });

  it('does not cut inside a fast pan or a spinning shot, and finds the low-contrast cut into the spin', async () => {
    const r = await detect('pan-and-spin');
    expect(r.expected).toEqual([45, 165, 195, 315]);
    // Every cut within ±2 frames and nothing else: no false cut inside the pan or the spin, and the
    // cut from a red card straight into the spinning shot (2.9x its moving neighbours, under the
    // adaptive threshold of 3) is found because the colour histogram changes abruptly there.
    expectCutsMatch(r.expected, r.found);
  });

  it('does not count one- and two-frame flashes as cuts (PySceneDetect does)', async () => {
    const r = await detect('flashes');
    expectCutsMatch(r.expected, r.found);
  });

  it('cuts between shots of the same colours but different structure', async () => {
    const r = await detect('same-colours-structure');
    expectCutsMatch(r.expected, r.found);
  });

  it('decodes the normalized video itself when normalize left no scores', async () => {
    const v = await makeVideo({
      shots: [
        { source: 'testsrc2', seconds: 2 },
        { source: 'smptebars', seconds: 2 },
      ],
      width: 640,
      height: 360,
      audio: { kind: 'none' },
    });
    const dataDir = tempDataDir();
    const store = new MemoryStore();
    const first = await runPipeline({
      video: v.path,
      videoId: 'v1',
      stages: [normalizeStage(), scenesStage()],
      store,
      config: { dataDir },
    });
    rmSync(join(dataDir, 'processed/v1/scene-scores.bin'));
    const second = await runPipeline({
      video: { id: 'v1', originalPath: 'uploads/v1_x.mp4' },
      stages: [normalizeStage(), scenesStage()],
      store,
      config: { dataDir },
      only: ['scenes'],
    });
    expect(second.status).toBe('done');
    expect((second.stages.scenes!.data as { cuts: number[] }).cuts).toEqual(
      (first.stages.scenes!.data as { cuts: number[] }).cuts,
    );
    expect(second.stages.scenes!.counts.framesAnalysed).toBe(120);
  });
});
