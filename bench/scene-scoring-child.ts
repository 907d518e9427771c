// Scene detection alone on a normalized video: decode to small frames + score + detect (used by local-stages.bench.ts).
import { detectCuts, scoreVideoFile } from '@videoqa/stages';

const [file] = process.argv.slice(2) as [string];
const t0 = performance.now();
const scores = await scoreVideoFile(file, { ffmpegPath: 'ffmpeg', size: { width: 1280, height: 720 }, fps: 30 });
const t1 = performance.now();
const cuts = detectCuts(scores.scores);
const t2 = performance.now();
console.log(JSON.stringify({ frames: scores.frameCount, decodeAndScoreSec: (t1 - t0) / 1000, detectMs: t2 - t1, cuts: cuts.length }));
