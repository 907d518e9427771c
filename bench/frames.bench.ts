// Keyframe extraction: one ffmpeg process per keyframe (how the frames stage worked before)
// against FRAMES_PER_PROCESS seeking inputs per process (how it works now), on a normalized
// 5-minute 720p30 video, 50 keyframes (the middle of each 6 s shot). Interleaved repetitions,
// medians; wall time, CPU time of the whole process tree and its peak RSS.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeVideo, type Shot, type ShotSource } from '@videoqa/testing';
import { FRAMES_PER_PROCESS } from '@videoqa/stages/internals';
import { measure, median, round, writeResult, type Measured } from './lib.ts';

const here = fileURLToPath(new URL('.', import.meta.url));
const SOURCES: ShotSource[] = ['testsrc2', 'smptebars', 'rgbtestsrc', 'gradients', 'pan', 'spin', 'blue', 'checker'];
const REPS = Number(process.env.FRAMES_BENCH_REPS ?? 3);
const MINUTES = Number(process.env.FRAMES_BENCH_MINUTES ?? 5);

const shots: Shot[] = Array.from({ length: MINUTES * 10 }, (_, i) => ({
  source: SOURCES[i % SOURCES.length]!,
  seconds: 6,
}));
console.log(`generating a ${MINUTES}-minute 720p30 video...`);
// The same encoder settings as normalize's output (x264 veryfast CRF 23, 30 fps).
const video = await makeVideo({ shots, width: 1280, height: 720, fps: 30 });
const times = shots.map((_, i) => i * 6 + 3);

const variants = { perKeyframe: 1, perProcess: FRAMES_PER_PROCESS } as const;
const runs: Record<keyof typeof variants, Measured[]> = { perKeyframe: [], perProcess: [] };
for (let r = 0; r < REPS; r++) {
  for (const [name, perProcess] of Object.entries(variants) as [keyof typeof variants, number][]) {
    const dir = mkdtempSync(join(tmpdir(), 'vq-bench-frames-'));
    const m = await measure(process.execPath, [
      join(here, 'frames-child.ts'),
      video.path,
      dir,
      String(perProcess),
      times.join(','),
    ]);
    rmSync(dir, { recursive: true, force: true });
    runs[name].push(m);
    console.log(name, r, m.seconds, 's wall', m.cpuSeconds, 's CPU', m.peakRssMiB, 'MiB');
  }
}
const summary = (ms: Measured[], perProcess: number) => ({
  processes: Math.ceil(times.length / perProcess),
  wallSeconds: round(median(ms.map((m) => m.seconds)), 2),
  cpuSeconds: round(median(ms.map((m) => m.cpuSeconds)), 2),
  peakRssMiB: median(ms.map((m) => m.peakRssMiB)),
  allRuns: ms.map((m) => ({ wall: m.seconds, cpu: m.cpuSeconds, rssMiB: m.peakRssMiB })),
});
const before = summary(runs.perKeyframe, 1);
const after = summary(runs.perProcess, FRAMES_PER_PROCESS);
writeResult('frames', {
  video: `${MINUTES} min 1280x720 30 fps x264 veryfast CRF 23`,
  keyframes: times.length,
  concurrency: 2,
  repetitions: REPS,
  onePerKeyframe: before,
  [`${FRAMES_PER_PROCESS}PerProcess`]: after,
  wallRatio: round(after.wallSeconds / before.wallSeconds, 3),
  cpuRatio: round(after.cpuSeconds / before.cpuSeconds, 3),
});
