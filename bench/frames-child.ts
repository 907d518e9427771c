// Extracts keyframes with a given number per ffmpeg process (used by frames.bench.ts).
import { join } from 'node:path';
import { extractFrames } from '@videoqa/stages/internals';

const [video, dir, perProcess, times] = process.argv.slice(2) as [string, string, string, string];
const frames = times.split(',').map((t, i) => ({ t: Number(t), file: join(dir, `f${i}.jpg`) }));
// The frames stage's concurrency on this 2-core machine (CPU count, at most 4).
await extractFrames(video, frames, {
  ffmpegPath: 'ffmpeg',
  jpegQuality: 3,
  concurrency: 2,
  perProcess: Number(perProcess),
});
