// The generated scene-detection media (cuts, flashes, pans, slide decks, screens, scrolls) with
// their true boundaries, and our scenes stage run on each: shared by the local-stages and
// PySceneDetect benchmarks so both score the same files the same way.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryStore, runPipeline } from '@videoqa/core';
import { normalizeStage, type ScenesData, scenesStage } from '@videoqa/stages';
import { cutFixtures, slideFixtures } from '@videoqa/testing';

export interface SceneMedia {
  name: string;
  path: string;
  /** The true boundaries, in frames. */
  cuts: number[];
}

export async function sceneMedia(): Promise<SceneMedia[]> {
  const media: SceneMedia[] = [];
  for (const [name, make] of Object.entries(cutFixtures)) media.push({ name, ...(await make()) });
  for (const [name, make] of Object.entries(slideFixtures)) media.push({ name, ...(await make()) });
  return media;
}

/** normalize + scenes on a file, in memory; the DATA_DIR is removed afterwards. */
export async function ourScenes(path: string): Promise<ScenesData> {
  const dataDir = mkdtempSync(join(tmpdir(), 'vq-bench-'));
  try {
    const run = await runPipeline({
      video: path,
      stages: [normalizeStage(), scenesStage()],
      store: new MemoryStore(),
      config: { dataDir },
    });
    return run.stages.scenes!.data as ScenesData;
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}
