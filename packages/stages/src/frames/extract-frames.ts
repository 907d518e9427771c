import PQueue from 'p-queue';
import { spawnTool } from '../ffmpeg/run.ts';

/**
 * Keyframes one ffmpeg process takes. Each is its own seeking input inside that process, so
 * the frames are exactly the ones a single `-ss t -i video -frames:v 1` would give, but the
 * process start-up (~70 ms of CPU, 0.1-0.3 s of wall time on a loaded machine) is paid once.
 * ffmpeg keeps every input's demuxer and decoder until it exits (~19 MB each for 720p H.264,
 * measured: 10 inputs 246 MB, 50 inputs 1014 MB), so a process takes at most this many.
 * A single decode with a `select` filter was measured too and is slower on anything but
 * short videos: it decodes every frame (27 s for 50 frames of a 5-minute 720p video, against
 * 5.5 s for 50 seeking inputs and 15.6 s for 50 processes).
 */
export const FRAMES_PER_PROCESS = 8;

export interface FrameToExtract {
  /** Seconds into the video. */
  t: number;
  /** Absolute path of the JPEG to write. */
  file: string;
}

export interface ExtractFramesOptions {
  ffmpegPath: string;
  /** ffmpeg's -q:v for mjpeg (2 best .. 31 worst). */
  jpegQuality: number;
  /** Processes at once (each decodes on one core). */
  concurrency: number;
  signal?: AbortSignal;
  /** Called after each process with the frames written so far. */
  onProgress?: (done: number, total: number) => void;
  /** Frames per process (default FRAMES_PER_PROCESS). */
  perProcess?: number;
}

/** Splits n items into the fewest groups of at most `max`, as even as possible (10 by 8 → 5 + 5). */
export function evenBatches<T>(items: readonly T[], max: number): T[][] {
  if (items.length === 0) return [];
  const groups = Math.ceil(items.length / max);
  const out: T[][] = [];
  let start = 0;
  for (let g = 0; g < groups; g++) {
    const size = Math.floor(items.length / groups) + (g < items.length % groups ? 1 : 0);
    out.push(items.slice(start, start + size));
    start += size;
  }
  return out;
}

/** The ffmpeg arguments that write each frame of `batch` from `video` in one process. */
export function extractArgs(video: string, batch: readonly FrameToExtract[], jpegQuality: number): string[] {
  const args = ['-hide_banner', '-nostdin', '-y', '-loglevel', 'error'];
  // One decoder thread per input: the inputs of a process are decoded one after another on
  // its main thread anyway, and frame threads would multiply each decoder's memory.
  for (const f of batch) args.push('-threads', '1', '-ss', f.t.toFixed(3), '-i', video);
  batch.forEach((f, i) => {
    args.push(
      '-map',
      `${i}:v:0`,
      '-frames:v',
      '1',
      '-q:v',
      String(jpegQuality),
      '-f',
      'image2',
      '-c:v',
      'mjpeg',
      '-update',
      '1',
      f.file,
    );
  });
  return args;
}

/** Writes a JPEG per requested time, FRAMES_PER_PROCESS frames to an ffmpeg process. */
export async function extractFrames(
  video: string,
  frames: readonly FrameToExtract[],
  options: ExtractFramesOptions,
): Promise<void> {
  const batches = evenBatches(frames, options.perProcess ?? FRAMES_PER_PROCESS);
  const queue = new PQueue({ concurrency: Math.max(1, options.concurrency) });
  let done = 0;
  try {
    await Promise.all(
      batches.map((batch) =>
        queue.add(async () => {
          options.signal?.throwIfAborted();
          await spawnTool(options.ffmpegPath, extractArgs(video, batch, options.jpegQuality), {
            signal: options.signal,
          }).done;
          done += batch.length;
          options.onProgress?.(done, frames.length);
        }),
      ),
    );
  } catch (err) {
    // No new process after a failure; wait for the running ones so the caller can remove the files.
    queue.clear();
    await queue.onIdle().catch(() => {});
    throw err;
  }
}
