// CPU cost of scene scoring per frame: the adaptive scores alone (HSV differences and the colour-histogram
// change), and with the settled-content detector, over the same decoded 128x72 frames of the local-stages
// 1-minute video; and the colour histogram's own part. CPU time (process.cpuUsage), best of 7: unlike wall
// time it holds on a machine shared with other work.
import { spawnSync } from 'node:child_process';
import { FrameScorer, HISTOGRAM_BINS, histogramDistance, hsvHistogram, rgbToHsv } from '@videoqa/stages/internals';
import { makeVideo, type Shot, type ShotSource } from '@videoqa/testing';
import { round, writeResult } from './lib.ts';

const SOURCES: ShotSource[] = ['testsrc2', 'smptebars', 'rgbtestsrc', 'gradients', 'pan', 'spin', 'blue', 'checker'];
const shots: Shot[] = Array.from({ length: 10 }, (_, i) => ({ source: SOURCES[i % SOURCES.length]!, seconds: 6 }));
const video = await makeVideo({ shots, width: 1920, height: 1080, fps: 30, audio: { kind: 'tone' } });
const raw = spawnSync(
  'ffmpeg',
  ['-v', 'error', '-i', video.path, '-vf', 'fps=30,scale=128:72:flags=area,format=rgb24', '-f', 'rawvideo', 'pipe:1'],
  { maxBuffer: 1024 ** 3 },
).stdout;
const frames = raw.length / (128 * 72 * 3);

const cpuMs = (content: boolean): number => {
  const s = new FrameScorer(128, 72, content ? {} : false);
  const start = process.cpuUsage();
  s.push(raw);
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
};
// The histogram on its own: binning each frame's HSV pixels and comparing with the frame before.
const frameBytes = 128 * 72 * 3;
const hsvFrames = Array.from({ length: frames }, (_, i) => {
  const out = new Uint8Array(frameBytes);
  rgbToHsv(raw.subarray(i * frameBytes, (i + 1) * frameBytes), out);
  return out;
});
const histogramCpuMs = (): number => {
  let a = new Uint32Array(HISTOGRAM_BINS);
  let b = new Uint32Array(HISTOGRAM_BINS);
  let sink = 0;
  const start = process.cpuUsage();
  for (const f of hsvFrames) {
    hsvHistogram(f, a);
    sink += histogramDistance(a, b, 128 * 72);
    [a, b] = [b, a];
  }
  const used = process.cpuUsage(start);
  if (sink < 0) console.log(sink);
  return (used.user + used.system) / 1000;
};
const hsv: number[] = [];
const both: number[] = [];
const hist: number[] = [];
for (let r = 0; r < 7; r++) {
  hsv.push(cpuMs(false));
  both.push(cpuMs(true));
  hist.push(histogramCpuMs());
}
const hsvUs = (Math.min(...hsv) * 1000) / frames;
const bothUs = (Math.min(...both) * 1000) / frames;
const histUs = (Math.min(...hist) * 1000) / frames;
writeResult('scene-detector', {
  video: '1 min 1080p30 (local-stages), decoded to 128x72 rgb24',
  frames,
  cpuUsPerFrame: {
    // The adaptive detector's scores: HSV differences to 3 frames back and the colour-histogram change.
    hsvOnly: round(hsvUs, 1),
    colourHistogram: round(histUs, 1),
    withContentDetector: round(bothUs, 1),
    contentDetector: round(bothUs - hsvUs, 1),
  },
  // At 30 fps: CPU milliseconds the content detector adds per second of video.
  contentDetectorMsPerVideoSecond: round(((bothUs - hsvUs) * 30) / 1000, 2),
});
