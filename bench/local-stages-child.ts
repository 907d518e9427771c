// Runs normalize + scenes + frames on one file in this process and prints per-stage timings (used by local-stages.bench.ts).
import { MemoryStore, runPipeline } from '@videoqa/core';
import { framesStage, normalizeStage, scenesStage } from '@videoqa/stages';

const [file, dataDir] = process.argv.slice(2) as [string, string];
const result = await runPipeline({
  video: file,
  stages: [normalizeStage(), scenesStage(), framesStage()],
  store: new MemoryStore(),
  config: { dataDir },
});
if (result.status !== 'done') throw result.error;
console.log(
  JSON.stringify(
    Object.fromEntries(Object.entries(result.stages).map(([k, v]) => [k, { ms: v.durationMs, counts: v.counts }])),
  ),
);
