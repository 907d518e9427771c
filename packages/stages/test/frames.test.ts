import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { MemoryStore, runPipeline } from '@videoqa/core';
import { framesStage, normalizeStage, scenesStage } from '@videoqa/stages';
import { makeVideo } from '@videoqa/testing';
import { describe, expect, it } from 'vitest';
import { runOn, tempDataDir } from './helpers.ts';

describe('frames', () => {
  it('takes a JPEG per scene, hashes it, and marks a returning shot (A B A) as a duplicate of the first', async () => {
    const v = await makeVideo({
      shots: [
        { source: 'smptebars', seconds: 2 },
        { source: 'testsrc2', seconds: 2 },
        { source: 'smptebars', seconds: 2 },
        { source: 'mandelbrot', seconds: 2 },
      ],
      width: 640,
      height: 360,
    });
    const { result, store, dataDir } = await runOn(v.path, [normalizeStage(), scenesStage(), framesStage()]);
    expect(result.status).toBe('done');
    const frames = await store.listFrames('v1');
    expect(frames.map((f) => [f.id, f.sceneId, f.path, f.duplicateOf])).toEqual([
      ['v1_frame_000', 'v1_scene_000', 'frames/v1/scene_000.jpg', null],
      ['v1_frame_001', 'v1_scene_001', 'frames/v1/scene_001.jpg', null],
      ['v1_frame_002', 'v1_scene_002', 'frames/v1/scene_002.jpg', 'v1_frame_000'],
      ['v1_frame_003', 'v1_scene_003', 'frames/v1/scene_003.jpg', null],
    ]);
    expect(frames.map((f) => f.t)).toEqual([1, 3, 5, 7]);
    for (const f of frames) {
      expect(f.phash).toMatch(/^[0-9a-f]{16}$/);
      expect(statSync(join(dataDir, f.path)).size).toBeGreaterThan(1000);
    }
    expect(result.stages.frames!.counts).toEqual({ frames: 4, duplicates: 1 });
  });

  it('takes more frames from scenes longer than the span', async () => {
    const v = await makeVideo({
      shots: [
        { source: 'testsrc2', seconds: 7 },
        { source: 'smptebars', seconds: 1 },
      ],
      width: 320,
      height: 240,
    });
    const { store } = await runOn(v.path, [normalizeStage(), scenesStage(), framesStage()], {
      config: { framesSceneSpanSec: 3 },
    });
    const frames = await store.listFrames('v1');
    expect(frames.map((f) => f.path)).toEqual([
      'frames/v1/scene_000.jpg',
      'frames/v1/scene_000_1.jpg',
      'frames/v1/scene_000_2.jpg',
      'frames/v1/scene_001.jpg',
    ]);
  });

  it('a rerun replaces the frames: no stale files, no duplicate rows', async () => {
    const v = await makeVideo({
      shots: [
        { source: 'testsrc2', seconds: 2 },
        { source: 'smptebars', seconds: 2 },
      ],
      width: 320,
      height: 240,
    });
    const dataDir = tempDataDir();
    const store = new MemoryStore();
    const stages = [normalizeStage(), scenesStage(), framesStage()];
    await runPipeline({ video: v.path, videoId: 'v1', stages, store, config: { dataDir, framesSceneSpanSec: 1 } });
    expect(readdirSync(join(dataDir, 'frames/v1'))).toHaveLength(4);
    const again = await runPipeline({
      video: { id: 'v1', originalPath: '' },
      stages,
      store,
      config: { dataDir, framesSceneSpanSec: 10 },
      only: ['frames'],
      resume: false,
    });
    expect(again.status).toBe('done');
    expect(readdirSync(join(dataDir, 'frames/v1')).sort()).toEqual(['scene_000.jpg', 'scene_001.jpg']);
    expect(await store.listFrames('v1')).toHaveLength(2);
    expect(readdirSync(join(dataDir, 'frames')).filter((n) => n.startsWith('.'))).toEqual([]);
    expect(existsSync(join(dataDir, 'frames/v1/scene_000_1.jpg'))).toBe(false);
  });
});
