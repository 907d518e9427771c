// normalize + scenes + frames against ffmpeg normalizing the same file alone (same settings),
// on generated 1080p30 videos with audio, 1 and 5 minutes long; plus scene detection alone.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeVideo, type Shot, type ShotSource } from '@videoqa/testing';
import { measure, round, writeResult, type Measured } from './lib.ts';

const here = fileURLToPath(new URL('.', import.meta.url));
const SOURCES: ShotSource[] = ['testsrc2', 'smptebars', 'rgbtestsrc', 'gradients', 'pan', 'spin', 'blue', 'checker'];
const RUNS = 2;

function shots(minutes: number): Shot[] {
  const out: Shot[] = [];
  for (let i = 0; i < minutes * 10; i++) out.push({ source: SOURCES[i % SOURCES.length]!, seconds: 6 });
  return out;
}

/** The encode normalize does, without the scene-analysis output: ffmpeg alone. */
const ffmpegAlone = (input: string, dir: string) => [
  '-hide_banner', '-nostdin', '-y', '-loglevel', 'error', '-i', input,
  '-filter_complex', '[0:v:0]fps=30,scale=1280:720:flags=bicubic,setsar=1,format=yuv420p[vout]',
  '-map', '[vout]', '-map', '0:a:0', '-c:a', 'aac', '-b:a', '128k', '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '23', '-g', '60', '-movflags', '+faststart', '-f', 'mp4', join(dir, 'alone.mp4'),
  '-map', '0:a:0', '-vn', '-ac', '1', '-ar', '16000', '-c:a', 'pcm_s16le', '-f', 'wav', join(dir, 'alone.wav'),
];

const best = (runs: Measured[]) => runs.reduce((a, b) => (b.seconds < a.seconds ? b : a));

const results: Record<string, unknown> = {};
for (const minutes of [1, 5]) {
  console.log(`generating a ${minutes}-minute 1080p30 video...`);
  const video = await makeVideo({ shots: shots(minutes), width: 1920, height: 1080, fps: 30, audio: { kind: 'tone' } });
  const alone: Measured[] = [];
  const ours: Measured[] = [];
  let stages: unknown;
  let dataDir = '';
  for (let r = 0; r < RUNS; r++) {
    const dir = mkdtempSync(join(tmpdir(), 'vq-bench-'));
    alone.push(await measure('ffmpeg', ffmpegAlone(video.path, dir)));
    rmSync(dir, { recursive: true, force: true });
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    dataDir = mkdtempSync(join(tmpdir(), 'vq-bench-'));
    const m = await measure(process.execPath, [join(here, 'local-stages-child.ts'), video.path, dataDir]);
    ours.push(m);
    stages = JSON.parse(m.stdout.trim().split('\n').pop()!);
  }
  const scenes = await measure(process.execPath, [join(here, 'scene-scoring-child.ts'), join(dataDir, 'processed', (await import('node:fs')).readdirSync(join(dataDir, 'processed'))[0]!, 'normalized.mp4')]);
  const sceneStats = JSON.parse(scenes.stdout.trim());
  rmSync(dataDir, { recursive: true, force: true });
  const a = best(alone);
  const o = best(ours);
  results[`${minutes}min_1080p30`] = {
    videoSeconds: video.durationSec,
    cuts: video.cuts.length,
    ffmpegAlone: { seconds: a.seconds, peakRssMiB: a.peakRssMiB, allRuns: alone.map((m) => m.seconds) },
    normalizeScenesFrames: { seconds: o.seconds, peakRssMiB: o.peakRssMiB, allRuns: ours.map((m) => m.seconds), stages },
    ratioToFfmpegAlone: round(o.seconds / a.seconds, 3),
    sceneDetectionAlone: {
      frames: sceneStats.frames,
      seconds: round(sceneStats.decodeAndScoreSec, 2),
      framesPerSecond: round(sceneStats.frames / sceneStats.decodeAndScoreSec, 0),
      realTimeFactor: round(video.durationSec / sceneStats.decodeAndScoreSec, 1),
      detectMs: round(sceneStats.detectMs, 1),
      cutsFound: sceneStats.cuts,
      peakRssMiB: scenes.peakRssMiB,
    },
  };
  console.log(JSON.stringify(results[`${minutes}min_1080p30`]));
}
writeResult('local-stages', results);
