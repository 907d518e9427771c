import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { availableParallelism } from 'node:os';
import PQueue from 'p-queue';
import { frameId, removeStaleTemps, toDataDirRelative, type FrameRow, type Stage } from '@videoqa/core';
import { extractFrames } from '../frames/extract-frames.ts';
import { findDuplicates, greyThumbnail, phash64, THUMB_HEIGHT, THUMB_WIDTH } from '../frames/phash.ts';
import { RegionChange } from '../scenes/content-tracker.ts';
import { frameTimes } from '../frames/frame-times.ts';
import { normalizedInput } from './normalized-input.ts';

/** Grey levels two duplicate thumbnails may differ by per pixel (JPEG and video noise stay well under it). */
const DUPLICATE_PIXEL_DELTA = 24;

export interface FramesOptions {
  /** ffmpeg processes (and frames hashed) at once (default: CPU count, at most 4). */
  concurrency?: number;
  /** JPEG quality for ffmpeg's -q:v (2 best .. 31 worst; default 3). */
  jpegQuality?: number;
}

export interface FramesData {
  frames: number;
  duplicates: number;
}

/**
 * frames: a representative JPEG per scene (the middle; more for scenes longer
 * than FRAMES_SCENE_SPAN_SEC), a 64-bit DCT pHash each, and near-duplicates
 * (Hamming distance <= FRAMES_DUPLICATE_DISTANCE, confirmed on grey
 * thumbnails) pointed at their first occurrence so vision skips them.
 */
export function framesStage(options: FramesOptions = {}): Stage<FramesData> {
  return {
    name: 'frames',
    after: ['scenes'],
    description: 'representative JPEG frames with perceptual hashes and duplicate marks',
    async run(ctx) {
      const input = normalizedInput(ctx, 'frames');
      if (!input) return { skipped: 'the input has no video stream' };
      const { norm, file: videoFile, durationSec: duration } = input;
      const scenes = await ctx.store.listScenes(ctx.video.id);
      const plan = frameTimes(scenes, {
        spanSec: ctx.config.framesSceneSpanSec,
        durationSec: duration,
        fps: norm?.fps ?? 30,
      });

      // Write into a fresh directory and swap it in: a rerun never mixes old and new frames.
      const finalDir = ctx.paths.framesDir;
      await removeStaleTemps(finalDir); // work dirs of an interrupted run
      const workDir = join(dirname(finalDir), `.${basename(finalDir)}.${randomBytes(4).toString('hex')}.tmp`);
      await mkdir(workDir, { recursive: true });
      const hashes: string[] = new Array(plan.length);
      const thumbs: Uint8Array[] = new Array(plan.length);
      const concurrency = options.concurrency ?? Math.min(4, availableParallelism());
      const files = plan.map((p) => join(workDir, basename(ctx.paths.frame(p.sceneIdx, p.k))));
      const queue = new PQueue({ concurrency });
      try {
        // All keyframes in as few ffmpeg processes as memory allows (one for up to FRAMES_PER_PROCESS).
        await extractFrames(
          videoFile,
          plan.map((p, i) => ({ t: p.t, file: files[i]! })),
          {
            ffmpegPath: ctx.config.ffmpegPath,
            jpegQuality: options.jpegQuality ?? 3,
            concurrency,
            signal: ctx.signal,
            onProgress: (done, total) => ctx.progress(done, total),
          },
        );
        await Promise.all(
          files.map((file, i) =>
            queue.add(async () => {
              ctx.signal.throwIfAborted();
              [hashes[i], thumbs[i]] = await Promise.all([phash64(file), greyThumbnail(file)]);
            }),
          ),
        );
      } catch (err) {
        queue.clear();
        await queue.onIdle().catch(() => {});
        await rm(workDir, { recursive: true, force: true });
        throw err;
      }

      // A pHash match is confirmed on the pictures themselves, with the scene detector's measure:
      // a duplicate differs at most by small objects (pointer, caret) and noise, never by a line of text.
      const change = new RegionChange(THUMB_WIDTH, THUMB_HEIGHT);
      const dupOf = findDuplicates(
        hashes,
        ctx.config.framesDuplicateDistance,
        (i, j) => change.changedPixels(thumbs[i]!, thumbs[j]!, DUPLICATE_PIXEL_DELTA) === 0,
      );
      const rows: FrameRow[] = plan.map((p, i) => ({
        id: frameId(ctx.video.id, i),
        videoId: ctx.video.id,
        sceneId: scenes[p.sceneIdx]!.id,
        idx: i,
        t: p.t,
        path: toDataDirRelative(ctx.paths.dataDir, ctx.paths.frame(p.sceneIdx, p.k)),
        phash: hashes[i]!,
        duplicateOf: dupOf[i]! >= 0 ? frameId(ctx.video.id, dupOf[i]!) : null,
      }));
      const oldDir = `${workDir}.old`;
      await rename(finalDir, oldDir).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      });
      await rename(workDir, finalDir);
      await rm(oldDir, { recursive: true, force: true });
      await ctx.store.replaceFrames(ctx.video.id, rows);
      const duplicates = rows.filter((r) => r.duplicateOf).length;
      return { data: { frames: rows.length, duplicates }, counts: { frames: rows.length, duplicates } };
    },
  };
}
