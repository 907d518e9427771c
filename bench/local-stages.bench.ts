// normalize + scenes + frames against ffmpeg normalizing the same file alone (same settings),
// on generated 1080p30 videos with audio, 1 and 5 minutes long; plus scene detection alone and
// the settled-content detector's own cost; scene precision/recall/F1 per generated file (slides,
// screen recordings, scroll, cuts, flashes, pans); OCR time per keyframe.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MemoryStore, runPipeline } from '@videoqa/core';
import { closeOcr, framesStage, normalizeStage, ocrStage, scenesStage } from '@videoqa/stages';
import { makeVideo, scoreBoundaries, slideFixtures, type Shot, type ShotSource } from '@videoqa/testing';
import { measure, median, round, writeResult, type Measured } from './lib.ts';
import { ourScenes, sceneMedia } from './scene-media.ts';

const here = fileURLToPath(new URL('.', import.meta.url));
const SOURCES: ShotSource[] = ['testsrc2', 'smptebars', 'rgbtestsrc', 'gradients', 'pan', 'spin', 'blue', 'checker'];
// Repetitions, ffmpeg alone and ours interleaved so both see the same load; medians are reported.
const RUNS = Number(process.env.LOCAL_STAGES_REPS ?? 3);

function shots(minutes: number): Shot[] {
  const out: Shot[] = [];
  for (let i = 0; i < minutes * 10; i++) out.push({ source: SOURCES[i % SOURCES.length]!, seconds: 6 });
  return out;
}

/** The encode normalize does, without the scene-analysis output: ffmpeg alone. */
const ffmpegAlone = (input: string, dir: string) => [
  '-hide_banner',
  '-nostdin',
  '-y',
  '-loglevel',
  'error',
  '-i',
  input,
  '-filter_complex',
  '[0:v:0]fps=30,scale=1280:720:flags=bicubic,setsar=1,format=yuv420p[vout]',
  '-map',
  '[vout]',
  '-map',
  '0:a:0',
  '-c:a',
  'aac',
  '-b:a',
  '128k',
  '-c:v',
  'libx264',
  '-preset',
  'veryfast',
  '-crf',
  '23',
  '-g',
  '60',
  '-movflags',
  '+faststart',
  '-f',
  'mp4',
  join(dir, 'alone.mp4'),
  '-map',
  '0:a:0',
  '-vn',
  '-ac',
  '1',
  '-ar',
  '16000',
  '-c:a',
  'pcm_s16le',
  '-f',
  'wav',
  join(dir, 'alone.wav'),
];

const results: Record<string, unknown> = {};
// LOCAL_STAGES_MINUTES=1 runs the 1-minute video only (the 5-minute one takes ~5 minutes more).
const MINUTES = (process.env.LOCAL_STAGES_MINUTES ?? '1,5').split(',').map(Number);
for (const minutes of MINUTES) {
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
  const scenes = await measure(process.execPath, [
    join(here, 'scene-scoring-child.ts'),
    join(dataDir, 'processed', (await import('node:fs')).readdirSync(join(dataDir, 'processed'))[0]!, 'normalized.mp4'),
  ]);
  const sceneStats = JSON.parse(scenes.stdout.trim());
  rmSync(dataDir, { recursive: true, force: true });
  const med = (runs: Measured[]) => ({
    seconds: round(median(runs.map((m) => m.seconds)), 2),
    cpuSeconds: round(median(runs.map((m) => m.cpuSeconds)), 2),
    peakRssMiB: median(runs.map((m) => m.peakRssMiB)),
  });
  const a = med(alone);
  const o = med(ours);
  results[`${minutes}min_1080p30`] = {
    videoSeconds: video.durationSec,
    cuts: video.cuts.length,
    repetitions: RUNS,
    ffmpegAlone: { ...a, allRuns: alone.map((m) => ({ wall: m.seconds, cpu: m.cpuSeconds })) },
    normalizeScenesFrames: { ...o, allRuns: ours.map((m) => ({ wall: m.seconds, cpu: m.cpuSeconds })), stages },
    // Medians of interleaved runs: wall and CPU (the whole process tree, ffmpeg children included).
    ratioToFfmpegAlone: round(o.seconds / a.seconds, 3),
    cpuRatioToFfmpegAlone: round(o.cpuSeconds / a.cpuSeconds, 3),
    // Per-run ratios (each ours against the ffmpeg-alone run just before it), for the spread.
    pairedWallRatios: ours.map((m, i) => round(m.seconds / alone[i]!.seconds, 3)),
    pairedCpuRatios: ours.map((m, i) => round(m.cpuSeconds / alone[i]!.cpuSeconds, 3)),
    sceneDetectionAlone: {
      frames: sceneStats.frames,
      seconds: round(sceneStats.decodeAndScoreSec, 2),
      framesPerSecond: round(sceneStats.frames / sceneStats.decodeAndScoreSec, 0),
      realTimeFactor: round(video.durationSec / sceneStats.decodeAndScoreSec, 1),
      detectMs: round(sceneStats.detectMs, 1),
      cutsFound: sceneStats.cuts,
      peakRssMiB: scenes.peakRssMiB,
    },
    // Scoring the decoded frames in memory (best of 3), HSV alone and with the settled-content detector.
    sceneScoringPerFrameUs: {
      hsvOnly: round((sceneStats.hsvOnlyMs * 1000) / sceneStats.frames, 1),
      withContentDetector: round((sceneStats.withContentMs * 1000) / sceneStats.frames, 1),
      // The detector's CPU time as a fraction of ffmpeg normalizing alone (it runs beside ffmpeg, on the same decode).
      contentDetectorVsFfmpegAlone: round((sceneStats.withContentMs - sceneStats.hsvOnlyMs) / 1000 / a.seconds, 4),
    },
  };
  console.log(JSON.stringify(results[`${minutes}min_1080p30`]));
}
// Scene boundaries per generated file (±2 frames), the merged detectors against the adaptive HSV detector alone.
const sceneF1: Record<string, unknown> = {};
for (const m of await sceneMedia()) {
  const data = await ourScenes(m.path);
  const merged = scoreBoundaries(m.cuts, data.cuts);
  const hsv = scoreBoundaries(m.cuts, data.hsvCuts);
  sceneF1[m.name] = {
    expected: m.cuts.length,
    found: data.cuts.length,
    precision: round(merged.precision, 3),
    recall: round(merged.recall, 3),
    f1: round(merged.f1, 3),
    adaptiveHsvAlone: {
      found: data.hsvCuts.length,
      precision: round(hsv.precision, 3),
      recall: round(hsv.recall, 3),
      f1: round(hsv.f1, 3),
    },
  };
  console.log(m.name, JSON.stringify(sceneF1[m.name]));
}
results.sceneF1 = sceneF1;

// OCR: a 4-slide 720p deck; the first run starts the worker pool, the second reuses it.
{
  const deck = await slideFixtures['deck-light']!();
  const dataDir = mkdtempSync(join(tmpdir(), 'vq-bench-'));
  const store = new MemoryStore();
  const stages = [normalizeStage(), scenesStage(), framesStage(), ocrStage()];
  await closeOcr();
  const cold = await runPipeline({ video: deck.path, videoId: 'deck', stages, store, config: { dataDir } });
  const warmRuns: number[] = [];
  for (let r = 0; r < 3; r++) {
    const warm = await runPipeline({
      video: { id: 'deck', originalPath: '' },
      stages,
      store,
      config: { dataDir },
      only: ['ocr'],
      resume: false,
    });
    warmRuns.push(warm.stages.ocr!.durationMs);
  }
  await closeOcr();
  rmSync(dataDir, { recursive: true, force: true });
  const frames = cold.stages.ocr!.counts.frames!;
  const warmMs = Math.min(...warmRuns);
  results.ocr = {
    media: '4-slide deck, 1280x720 JPEG keyframes',
    workers: Math.min(4, (await import('node:os')).availableParallelism()),
    frames,
    words: cold.stages.ocr!.counts.words,
    firstRunMs: cold.stages.ocr!.durationMs,
    poolStartMs: Math.max(0, cold.stages.ocr!.durationMs - warmMs),
    warmRunMs: warmMs,
    msPerFrame: round(warmMs / frames, 0),
    msPerFramePerWorker: round((warmMs * Math.min(4, (await import('node:os')).availableParallelism())) / frames, 0),
  };
  console.log('ocr', JSON.stringify(results.ocr));
}

writeResult('local-stages', results);
