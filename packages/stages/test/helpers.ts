import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryStore, runPipeline, type PipelineResult, type Stage } from '@videoqa/core';
import { afterAll } from 'vitest';

const created: string[] = [];
// Each test file that makes DATA_DIRs removes them when it ends: nothing is left in the OS temp dir.
afterAll(() => {
  for (const dir of created.splice(0)) {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      /* still in use: left for the OS to clean */
    }
  }
});

export function tempDataDir(prefix = 'vq-stage-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  created.push(dir);
  return dir;
}

/** Runs stages on a file in a fresh DATA_DIR with a MemoryStore. */
export async function runOn(
  file: string,
  stages: Stage[],
  options: {
    videoId?: string;
    config?: Record<string, unknown>;
    dataDir?: string;
    store?: MemoryStore;
    signal?: AbortSignal;
  } = {},
): Promise<{ result: PipelineResult; store: MemoryStore; dataDir: string; videoId: string }> {
  const dataDir = options.dataDir ?? tempDataDir();
  const store = options.store ?? new MemoryStore();
  const videoId = options.videoId ?? 'v1';
  const result = await runPipeline({
    video: file,
    videoId,
    stages,
    store,
    config: { dataDir, openaiApiKey: undefined, ...options.config },
    signal: options.signal,
  });
  return { result, store, dataDir, videoId };
}
