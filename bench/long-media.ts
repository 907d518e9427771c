// Long generated media for the long-video and worker-RSS benchmarks, made cheaply and cached
// under the OS temp dir keyed by their parameters (reruns reuse them):
// - a 1080p30 video with speech and a hard cut every 20–60 s: a set of distinct clips (lavfi
//   patterns, each in its own colours and with its own title) is encoded once, then joined by
//   the concat demuxer without re-encoding, cycling through the clips until the length is
//   reached; the audio is a looped espeak-ng speech track encoded to AAC once for the whole file;
// - an audio-only M4A: the same speech track with a longer silence after each pass, looped.
import { rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cachedFile, ffmpeg, makeSpeechTrack } from '@videoqa/testing';

const VERSION = 1;

export const SENTENCES = [
  'In this video we look at how the worker processes uploads.',
  'First the file is normalized to seven hundred twenty p.',
  'Then speech is transcribed and scenes are detected.',
  'Each scene gives a representative frame.',
  'Frames are described by a vision model.',
  'Finally everything is embedded for search.',
  'The copper kettle simmers for seven minutes before the tea is poured.',
  'A long recording should cost the same memory as a short one.',
  'Temporary files must be gone when the job is finished.',
  'Questions are answered with the moments that show them.',
];

// Distinct clips: [lavfi source, seconds, title]. Lengths between 20 and 60 s; every clip is
// visibly different (pattern, colours, title), so each cut is a real scene change.
const CLIPS: [string, number, string][] = [
  ['testsrc2=size=1920x1080:rate=30', 20, 'Part one'],
  ['smptebars=size=1920x1080:rate=30', 45, 'Part two'],
  ['color=c=0x204080:size=1920x1080:rate=30', 30, 'Part three'],
  ['gradients=size=1920x1080:rate=30:speed=0.02', 60, 'Part four'],
  ['rgbtestsrc=size=1920x1080:rate=30', 25, 'Part five'],
  ['color=c=0xa03020:size=1920x1080:rate=30', 50, 'Part six'],
  ['testsrc2=size=1920x1080:rate=30,hue=h=120', 35, 'Part seven'],
  ['testsrc=size=1920x1080:rate=30,negate', 40, 'Part eight'],
  ['color=c=0x30a050:size=1920x1080:rate=30', 55, 'Part nine'],
  ['smptehdbars=size=1920x1080:rate=30,hue=h=200', 28, 'Part ten'],
];
const FONT = '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf';

export function longMediaDir(): string {
  return process.env.VIDEOQA_LONG_MEDIA_DIR ?? join(tmpdir(), 'videoqa-long-media');
}

const cached = (spec: unknown, ext: string, make: (out: string) => Promise<void>) =>
  cachedFile(spec, ext, make, { dir: longMediaDir(), version: VERSION });

/** One pass of speech: the sentences with 2.5 s between them, 16 kHz mono WAV. */
async function speechUnit(): Promise<{ path: string; durationSec: number }> {
  const t = await makeSpeechTrack(SENTENCES, { gapSec: 2.5 });
  return { path: t.path, durationSec: t.durationSec };
}

async function clip(i: number): Promise<string> {
  const [src, seconds, title] = CLIPS[i]!;
  return cached({ clip: CLIPS[i] }, 'mp4', (out) =>
    ffmpeg([
      '-f',
      'lavfi',
      '-i',
      `${src},format=yuv420p,drawtext=fontfile=${FONT}:text='${title}':fontsize=120:fontcolor=white:box=1:boxcolor=black@0.6:x=(w-tw)/2:y=h*0.7`,
      '-t',
      String(seconds),
      '-c:v',
      'libx264',
      '-preset',
      'veryfast',
      '-crf',
      '23',
      '-pix_fmt',
      'yuv420p',
      '-r',
      '30',
      '-f',
      'mp4',
      out,
    ]),
  );
}

export interface LongVideo {
  path: string;
  durationSec: number;
  /** Seconds at which each cut is. */
  cuts: number[];
}

/** A `minutes`-long 1080p30 H.264 + AAC video with speech and a cut every 20–60 s. */
export async function makeLongVideo(minutes: number): Promise<LongVideo> {
  const durationSec = minutes * 60;
  const order: number[] = [];
  const cuts: number[] = [];
  let t = 0;
  while (t < durationSec) {
    const i = order.length % CLIPS.length;
    order.push(i);
    t += CLIPS[i]![1];
    if (t < durationSec) cuts.push(t);
  }
  const clips: string[] = [];
  for (const i of new Set(order)) clips[i] = await clip(i);
  const speech = await speechUnit();
  const path = await cached({ longVideo: minutes, clips: CLIPS, sentences: SENTENCES }, 'mp4', async (out) => {
    const list = `${out}.txt`;
    await writeFile(list, order.map((i) => `file '${clips[i]}'\n`).join(''));
    try {
      await ffmpeg([
        '-f',
        'concat',
        '-safe',
        '0',
        '-i',
        list,
        '-stream_loop',
        '-1',
        '-i',
        speech.path,
        '-map',
        '0:v',
        '-map',
        '1:a',
        '-c:v',
        'copy',
        '-c:a',
        'aac',
        '-b:a',
        '96k',
        '-t',
        String(durationSec),
        '-movflags',
        '+faststart',
        '-f',
        'mp4',
        out,
      ]);
    } finally {
      await rm(list, { force: true });
    }
  });
  return { path, durationSec, cuts };
}

/** A `minutes`-long audio-only M4A (AAC 64 kbit/s mono): speech with 2.5 s pauses, then 20 s of silence, looped. */
export async function makeLongAudio(minutes: number): Promise<{ path: string; durationSec: number }> {
  const durationSec = minutes * 60;
  const speech = await speechUnit();
  // One pass: the speech track, then 20 s of silence.
  const unit = await cached({ audioUnit: SENTENCES, silenceSec: 20 }, 'wav', (out) =>
    ffmpeg([
      '-i',
      speech.path,
      '-af',
      'apad=pad_dur=20',
      '-ac',
      '1',
      '-ar',
      '16000',
      '-c:a',
      'pcm_s16le',
      '-f',
      'wav',
      out,
    ]),
  );
  const path = await cached({ longAudio: minutes, sentences: SENTENCES }, 'm4a', (out) =>
    ffmpeg([
      '-stream_loop',
      '-1',
      '-i',
      unit,
      '-t',
      String(durationSec),
      '-ac',
      '1',
      '-c:a',
      'aac',
      '-b:a',
      '64k',
      '-f',
      'mp4',
      out,
    ]),
  );
  return { path, durationSec };
}

// `node bench/long-media.ts 30 120` makes the files ahead of a run.
if (import.meta.url === `file://${process.argv[1]}`) {
  const [v, a] = process.argv.slice(2).map(Number);
  if (v) console.log(await makeLongVideo(v));
  if (a) console.log(await makeLongAudio(a));
}
