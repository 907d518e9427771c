import { analysisSize, type Size } from '../ffmpeg/geometry.ts';
import { spawnTool } from '../ffmpeg/run.ts';
import { FrameScorer } from './frame-scores.ts';
import type { SceneScores } from './scores-file.ts';

/**
 * Decodes a video at `fps` into small raw frames and scores them: the fallback
 * when normalize did not leave a scores file (e.g. it ran with analyzeScenes off).
 */
export async function scoreVideoFile(
  path: string,
  options: { ffmpegPath: string; size: Size; fps: number; signal?: AbortSignal; onProgress?: (sec: number) => void },
): Promise<SceneScores> {
  const small = analysisSize(options.size);
  const scorer = new FrameScorer(small.width, small.height);
  const run = spawnTool(
    options.ffmpegPath,
    [
      '-hide_banner',
      '-nostdin',
      '-loglevel',
      'error',
      '-nostats',
      '-progress',
      'pipe:3',
      '-i',
      path,
      '-vf',
      `fps=${options.fps},scale=${small.width}:${small.height}:flags=area,format=rgb24`,
      '-f',
      'rawvideo',
      'pipe:1',
    ],
    { signal: options.signal, progressFd: 3, pipeStdout: true, onProgress: options.onProgress },
  );
  run.child.stdout!.on('data', (chunk: Buffer) => scorer.push(chunk));
  await run.done;
  return {
    fps: options.fps,
    width: small.width,
    height: small.height,
    frameCount: scorer.frameCount,
    scores: scorer.result(),
    content: scorer.contentResult(),
    histogram: scorer.histogramResult(),
  };
}
