import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { MemoryStore, runPipeline } from '@videoqa/core';
import { framesStage, normalizeStage, scenesStage } from '@videoqa/stages';
import { evenBatches, extractFrames, FRAMES_PER_PROCESS, onToolSpawn } from '@videoqa/stages/internals';
import { makeVideo } from '@videoqa/testing';
import { describe, expect, it } from 'vitest';
import { tempDataDir } from './helpers.ts';

const run = promisify(execFile);
const FPS = 30;
/** Grey level step per frame: frame n is a flat grey of 16 + STEP·n. */
const STEP = 3;

/** A 2-second 30 fps video whose every frame has its own flat grey level, so a pixel tells the frame number. */
async function framesNumberedByGrey(): Promise<string> {
  const out = join(tempDataDir('vq-grey-'), 'grey-per-frame.mp4');
  await run('ffmpeg', [
    '-hide_banner',
    '-nostdin',
    '-y',
    '-loglevel',
    'error',
    '-f',
    'lavfi',
    '-i',
    `color=c=black:size=160x120:rate=${FPS}:duration=2,format=gray,geq=lum='16+${STEP}*N'`,
    '-pix_fmt',
    'yuv420p',
    '-c:v',
    'libx264',
    '-preset',
    'veryfast',
    '-crf',
    '18',
    '-g',
    '60',
    out,
  ]);
  return out;
}

/** The frame whose grey is nearest to the JPEG's centre pixel (the grey source and the JPEG are both full range). */
async function frameNumberOf(file: string): Promise<number> {
  const { data } = await sharp(file)
    .greyscale()
    .extract({ left: 80, top: 60, width: 1, height: 1 })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return Math.round((data[0]! - 16) / STEP);
}

describe('frames: keyframes in one ffmpeg process', () => {
  it('writes every requested time as the first frame at or after it, all from one process', async () => {
    const video = await framesNumberedByGrey();
    const dir = tempDataDir('vq-frames-');
    const times = [0, 0.2, 0.5, 1.0, 1.017, 1.5, 1.95];
    const spawned: string[] = [];
    const stop = onToolSpawn((program) => spawned.push(program));
    try {
      await extractFrames(
        video,
        times.map((t, i) => ({ t, file: join(dir, `f${i}.jpg`) })),
        { ffmpegPath: 'ffmpeg', jpegQuality: 3, concurrency: 2 },
      );
    } finally {
      stop();
    }
    expect(spawned).toEqual(['ffmpeg']);
    const got = await Promise.all(times.map((_, i) => frameNumberOf(join(dir, `f${i}.jpg`))));
    // -ss t gives the first frame whose time is >= t (t rounded to the millisecond).
    expect(got).toEqual(times.map((t) => Math.max(0, Math.ceil(Number(t.toFixed(3)) * FPS - 1e-6))));
  });

  it('the frames stage takes its keyframes in one ffmpeg process', async () => {
    const v = await makeVideo({
      shots: [
        { source: 'smptebars', seconds: 2 },
        { source: 'testsrc2', seconds: 2 },
        { source: 'mandelbrot', seconds: 2 },
      ],
      width: 320,
      height: 240,
    });
    const dataDir = tempDataDir();
    const store = new MemoryStore();
    const stages = [normalizeStage(), scenesStage(), framesStage()];
    await runPipeline({ video: v.path, videoId: 'v1', stages, store, config: { dataDir } });

    const framesProcesses = async (spanSec: number) => {
      const spawned: string[][] = [];
      const stop = onToolSpawn((program, args) => spawned.push([program, ...args]));
      try {
        const r = await runPipeline({
          video: { id: 'v1', originalPath: '' },
          stages,
          store,
          config: { dataDir, framesSceneSpanSec: spanSec },
          only: ['frames'],
          resume: false,
        });
        expect(r.status).toBe('done');
      } finally {
        stop();
      }
      return spawned.filter((a) => a[0] === 'ffmpeg');
    };

    // 3 scenes, one frame each: one process with three seeking inputs.
    const one = await framesProcesses(10);
    expect(one).toHaveLength(1);
    expect(one[0]!.filter((a) => a === '-i')).toHaveLength(3);
    expect(readdirSync(join(dataDir, 'frames/v1')).sort()).toEqual(['scene_000.jpg', 'scene_001.jpg', 'scene_002.jpg']);

    // 3 scenes of 2 s in 1 s parts: 6 frames, still one process.
    const six = await framesProcesses(1);
    expect(six.map((a) => a.filter((x) => x === '-i').length)).toEqual([6]);
    expect(readdirSync(join(dataDir, 'frames/v1')).sort()).toEqual([
      'scene_000.jpg',
      'scene_000_1.jpg',
      'scene_001.jpg',
      'scene_001_1.jpg',
      'scene_002.jpg',
      'scene_002_1.jpg',
    ]);
    expect((await store.listFrames('v1')).map((f) => f.t)).toEqual([0.5, 1.5, 2.5, 3.5, 4.5, 5.5]);
  });

  it('more keyframes than one process takes are split evenly, each frame still at its time', async () => {
    const video = await framesNumberedByGrey();
    const dir = tempDataDir('vq-frames-');
    const times = Array.from({ length: FRAMES_PER_PROCESS + 2 }, (_, i) => Math.round(i * 0.19 * 1000) / 1000);
    const spawned: number[] = [];
    const stop = onToolSpawn(
      (program, args) => program === 'ffmpeg' && spawned.push(args.filter((a) => a === '-i').length),
    );
    try {
      await extractFrames(
        video,
        times.map((t, i) => ({ t, file: join(dir, `f${i}.jpg`) })),
        { ffmpegPath: 'ffmpeg', jpegQuality: 3, concurrency: 2 },
      );
    } finally {
      stop();
    }
    const half = (FRAMES_PER_PROCESS + 2) / 2;
    expect(spawned).toEqual([half, half]);
    const got = await Promise.all(times.map((_, i) => frameNumberOf(join(dir, `f${i}.jpg`))));
    expect(got).toEqual(times.map((t) => Math.max(0, Math.ceil(t * FPS - 1e-6))));
    expect(evenBatches([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], 4).map((b) => b.length)).toEqual([4, 4, 3]);
  });
});
