// A stage plugin of your own, placed between two standard stages:
// normalize → loudness → transcribe (the other stages as usual).
//   node examples/custom-stage.ts path/to/video.mp4 [--data-dir ./data]
import { defineStage, loadConfig, MemoryStore, runPipeline, type Stage } from '@videoqa/core';
import { defaultStages, runToText, type NormalizeData } from '@videoqa/stages';

/** Measures integrated loudness (EBU R128) of the normalized audio with ffmpeg. */
export const loudnessStage = defineStage<{ lufs: number | null }>({
  name: 'loudness',
  after: ['normalize'],
  async run(ctx) {
    const norm = ctx.outputs.get('normalize') as NormalizeData;
    if (!norm.hasAudio) return { skipped: 'no audio track' };
    const res = await runToText(
      ctx.config.ffmpegPath,
      ['-hide_banner', '-nostats', '-i', ctx.paths.audio, '-af', 'ebur128', '-f', 'null', '-'],
      ctx.signal,
    );
    const match = /I:\s+(-?[\d.]+) LUFS/.exec(res.stderr.split('Summary:').pop() ?? '');
    const lufs = match ? Number(match[1]) : null;
    ctx.log.info({ lufs }, 'measured loudness');
    return { data: { lufs }, counts: { lufs: lufs ?? 0 } };
  },
});

// Transcription now waits for the loudness check (say, to skip silent videos).
const stages: Stage[] = defaultStages().map((s) => (s.name === 'transcribe' ? { ...s, after: ['loudness'] } : s));
stages.splice(1, 0, loudnessStage as Stage);

const [file, ...rest] = process.argv.slice(2);
if (!file) {
  console.error('usage: node examples/custom-stage.ts <video> [--data-dir <dir>]');
  process.exit(2);
}
const dataDir = rest[rest.indexOf('--data-dir') + 1] ?? './data';
const run = runPipeline({
  video: file,
  stages,
  store: new MemoryStore(),
  config: loadConfig({ overrides: { dataDir } }),
});
const order: string[] = [];
run.events.on('stage:start', (e) => order.push(e.stage));
const result = await run;
console.log(
  JSON.stringify({
    status: result.status,
    order,
    loudness: result.stages.loudness?.data ?? null,
    transcribe: result.stages.transcribe?.status,
  }),
);
process.exit(result.status === 'done' ? 0 : 1);
