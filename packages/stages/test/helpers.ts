import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryStore, runPipeline, type PipelineResult, type Stage } from '@videoqa/core';

export function tempDataDir(prefix = 'vq-stage-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
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
