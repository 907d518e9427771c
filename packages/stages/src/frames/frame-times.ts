import type { SceneRow } from '@videoqa/core';

export interface FramePick {
  sceneIdx: number;
  /** 0 for the first frame of a scene, 1.. for extra frames of long scenes. */
  k: number;
  t: number;
}

/**
 * Where to take frames: the middle of each scene, or for a scene longer than
 * `spanSec`, the middles of ceil(length/spanSec) equal parts. Times stay half a
 * frame before the end so the last one can always be decoded.
 */
export function frameTimes(
  scenes: readonly Pick<SceneRow, 'idx' | 'tStart' | 'tEnd'>[],
  options: { spanSec: number; durationSec: number; fps: number },
): FramePick[] {
  const lastDecodable = Math.max(0, options.durationSec - 0.5 / options.fps);
  const picks: FramePick[] = [];
  scenes.forEach((scene, sceneIdx) => {
    const length = Math.max(0, scene.tEnd - scene.tStart);
    const parts = Math.max(1, Math.ceil(length / options.spanSec));
    for (let k = 0; k < parts; k++) {
      const t = scene.tStart + ((k + 0.5) * length) / parts;
      picks.push({ sceneIdx, k, t: Math.round(Math.min(t, lastDecodable) * 1000) / 1000 });
    }
  });
  return picks;
}
