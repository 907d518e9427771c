// Process one video with the library, in memory: no database, no worker.
//   node examples/process-file.ts path/to/video.mp4 [--data-dir ./data]
// With OPENAI_API_KEY set the AI stages run too; without it they are skipped.
import { MemoryStore, loadConfig, runPipeline } from '@videoqa/core';
import { closeOcr, defaultStages } from '@videoqa/stages';

const [file, ...rest] = process.argv.slice(2);
if (!file) {
  console.error('usage: node examples/process-file.ts <video> [--data-dir <dir>]');
  process.exit(2);
}
const dataDir = rest[rest.indexOf('--data-dir') + 1] ?? './data';
const store = new MemoryStore();
const run = runPipeline({
  video: file,
  stages: defaultStages(),
  store,
  config: loadConfig({ overrides: { dataDir } }),
});
run.events.on('stage:done', (e) => console.log(`${e.stage}: done in ${e.durationMs} ms`, e.counts));
run.events.on('stage:skipped', (e) => console.log(`${e.stage}: skipped (${e.reason})`));

const result = await run;
await closeOcr(); // the OCR worker threads would keep the process alive until their idle timeout
if (result.status !== 'done') {
  console.error(`failed in ${result.failedStage}: ${result.error?.message}`);
  process.exit(1);
}
const scenes = await store.listScenes(result.videoId);
const frames = await store.listFrames(result.videoId);
console.log(
  JSON.stringify({
    videoId: result.videoId,
    scenes: scenes.map((s) => [s.tStart, s.tEnd]),
    frames: frames.length,
    segments: (await store.listSegments(result.videoId)).length,
  }),
);
