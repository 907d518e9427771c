// CPU cost of scene scoring per frame: the adaptive HSV scores alone, and with the settled-content
// detector, over the same decoded 128x72 frames of the local-stages 1-minute video. CPU time
// (process.cpuUsage), best of 7: unlike wall time it holds on a machine shared with other work.
import { spawnSync } from 'node:child_process';
import { FrameScorer } from '@videoqa/stages';
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
const hsv: number[] = [];
const both: number[] = [];
for (let r = 0; r < 7; r++) {
  hsv.push(cpuMs(false));
  both.push(cpuMs(true));
}
const hsvUs = (Math.min(...hsv) * 1000) / frames;
const bothUs = (Math.min(...both) * 1000) / frames;
writeResult('scene-detector', {
  video: '1 min 1080p30 (local-stages), decoded to 128x72 rgb24',
  frames,
  cpuUsPerFrame: {
    hsvOnly: round(hsvUs, 1),
    withContentDetector: round(bothUs, 1),
    contentDetector: round(bothUs - hsvUs, 1),
  },
  // At 30 fps: CPU milliseconds the content detector adds per second of video.
  contentDetectorMsPerVideoSecond: round(((bothUs - hsvUs) * 30) / 1000, 2),
});
