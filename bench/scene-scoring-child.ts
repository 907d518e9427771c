// Scene detection alone on a normalized video: decode to small frames + score + detect (used by local-stages.bench.ts).
// Also times the scoring of the same frames in memory with and without the settled-content detector: its own cost.
import { spawnSync } from 'node:child_process';
import { analysisSize, detectSceneCuts, FrameScorer, scoreVideoFile } from '@videoqa/stages/internals';

const [file] = process.argv.slice(2) as [string];
const t0 = performance.now();
const scores = await scoreVideoFile(file, { ffmpegPath: 'ffmpeg', size: { width: 1280, height: 720 }, fps: 30 });
const t1 = performance.now();
const { cuts } = detectSceneCuts(scores);
const t2 = performance.now();

const small = analysisSize({ width: 1280, height: 720 });
const raw = spawnSync(
  'ffmpeg',
  [
    '-v',
    'error',
    '-i',
    file,
    '-vf',
    `fps=30,scale=${small.width}:${small.height}:flags=area,format=rgb24`,
    '-f',
    'rawvideo',
    'pipe:1',
  ],
  { maxBuffer: 1024 ** 3 },
).stdout;
const timeScoring = (content: boolean) => {
  let best = Infinity;
  for (let r = 0; r < 3; r++) {
    const s = new FrameScorer(small.width, small.height, content ? {} : false);
    const a = performance.now();
    s.push(raw);
    best = Math.min(best, performance.now() - a);
  }
  return best;
};
const hsvOnlyMs = timeScoring(false);
const withContentMs = timeScoring(true);
console.log(
  JSON.stringify({
    frames: scores.frameCount,
    decodeAndScoreSec: (t1 - t0) / 1000,
    detectMs: t2 - t1,
    cuts: cuts.length,
    hsvOnlyMs,
    withContentMs,
  }),
);
