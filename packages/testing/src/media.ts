import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
/** Bump when generation changes, so cached files are made again. */
const GENERATOR_VERSION = 3;

/** Test media live here between runs (generated once per spec; CI starts empty). */
export function fixtureDir(): string {
  return process.env.VIDEOQA_FIXTURE_DIR ?? join(tmpdir(), 'videoqa-fixtures');
}

/** Path for a fixture named after a hash of its spec; `make` writes it (atomically) when missing. */
async function cached(spec: unknown, ext: string, make: (out: string) => Promise<void>): Promise<string> {
  const key = createHash('sha1').update(JSON.stringify({ v: GENERATOR_VERSION, spec })).digest('hex').slice(0, 16);
  const dir = fixtureDir();
  const out = join(dir, `${key}.${ext}`);
  if (existsSync(out)) return out;
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `.${key}.${process.pid}.${Date.now()}.tmp.${ext}`);
  try {
    await make(tmp);
    await rename(tmp, out);
  } finally {
    await rm(tmp, { force: true });
  }
  return out;
}

async function ffmpeg(args: string[]): Promise<void> {
  try {
    await run('ffmpeg', ['-hide_banner', '-nostdin', '-y', '-loglevel', 'error', ...args], { maxBuffer: 16 * 1024 * 1024 });
  } catch (err) {
    throw new Error(`ffmpeg failed making a fixture: ${(err as { stderr?: string }).stderr ?? (err as Error).message}`);
  }
}

/** Named lavfi sources: visibly different content, for shots joined by hard cuts. */
export type ShotSource =
  | 'testsrc2'
  | 'smptebars'
  | 'rgbtestsrc'
  | 'mandelbrot'
  | 'checker'
  | 'stripes'
  | 'red'
  | 'blue'
  | 'green'
  | 'pan'
  | 'spin'
  | 'gradients';

function sourceFilter(source: ShotSource, w: number, h: number, fps: number, seconds: number): string {
  const size = `size=${w}x${h}:rate=${fps}`;
  switch (source) {
    case 'testsrc2':
    case 'smptebars':
    case 'rgbtestsrc':
    case 'mandelbrot':
      return `${source}=${size}`;
    case 'gradients':
      return `gradients=${size}:speed=0.02`;
    case 'red':
    case 'blue':
    case 'green':
      return `color=c=${source}:${size}`;
    // Same colours (black and white, half each), different structure.
    case 'checker':
      return `color=c=black:${size},format=gray,geq=lum='if(mod(floor(X/40)+floor(Y/40),2),255,0)'`;
    case 'stripes':
      return `color=c=black:${size},format=gray,geq=lum='if(mod(floor(Y/40),2),255,0)'`;
    // A fast pan across a wide test pattern: one shot with a lot of motion.
    case 'pan': {
      const speed = Math.round(w * 1.5);
      return `testsrc=size=${w + Math.ceil(speed * seconds) + 2}x${h}:rate=${fps},crop=${w}:${h}:x='min(t*${speed},${Math.ceil(speed * seconds)})':y=0`;
    }
    // Strong motion: the whole picture spinning.
    case 'spin':
      return `testsrc2=${size},rotate=a='t*2.5':fillcolor=black`;
  }
}

export interface Shot {
  source: ShotSource;
  seconds: number;
}

export type AudioSpec =
  | { kind: 'none' }
  | { kind: 'tone'; frequency?: number }
  | { kind: 'speech'; sentences: string[]; gapSec?: number; leadSec?: number };

export interface VideoSpec {
  shots: Shot[];
  width?: number;
  height?: number;
  fps?: number;
  audio?: AudioSpec;
  /** White frames laid over the picture: `frames` frames starting at frame `at`. */
  flashes?: { at: number; frames: number }[];
  /** Write the moov atom at the end (as cameras do); default true = faststart. */
  faststart?: boolean;
}

export interface GeneratedVideo {
  path: string;
  /** Frame index (at the spec's fps) where each shot after the first begins. */
  cuts: number[];
  durationSec: number;
  /** Where speech was placed, for speech audio. */
  speech?: SpeechTrack;
}

/** A video of lavfi shots joined by hard cuts (frame-exact), with optional audio and flashes. */
export async function makeVideo(spec: VideoSpec): Promise<GeneratedVideo> {
  const w = spec.width ?? 320;
  const h = spec.height ?? 240;
  const fps = spec.fps ?? 30;
  const frameCounts = spec.shots.map((s) => Math.round(s.seconds * fps));
  const cuts: number[] = [];
  frameCounts.reduce((acc, n) => {
    if (acc > 0) cuts.push(acc);
    return acc + n;
  }, 0);
  const totalFrames = frameCounts.reduce((a, b) => a + b, 0);
  const durationSec = totalFrames / fps;
  const speech = spec.audio?.kind === 'speech' ? await makeSpeechTrack(spec.audio.sentences, { gapSec: spec.audio.gapSec, leadSec: spec.audio.leadSec }) : undefined;
  const path = await cached({ ...spec, w, h, fps }, 'mp4', async (out) => {
    const args: string[] = [];
    const filters: string[] = [];
    spec.shots.forEach((s, i) => {
      args.push('-f', 'lavfi', '-i', sourceFilter(s.source, w, h, fps, s.seconds));
      filters.push(`[${i}:v]trim=end_frame=${frameCounts[i]},setpts=PTS-STARTPTS,format=yuv420p,setsar=1[v${i}]`);
    });
    let chain = `${spec.shots.map((_, i) => `[v${i}]`).join('')}concat=n=${spec.shots.length}:v=1:a=0`;
    for (const f of spec.flashes ?? []) chain += `,drawbox=x=0:y=0:w=iw:h=ih:color=white@1:t=fill:enable='between(n,${f.at},${f.at + f.frames - 1})'`;
    filters.push(`${chain}[vout]`);
    const audioIndex = spec.shots.length;
    if (spec.audio?.kind === 'tone') args.push('-f', 'lavfi', '-i', `sine=frequency=${spec.audio.frequency ?? 440}:sample_rate=44100`);
    if (speech) args.push('-i', speech.path);
    args.push('-filter_complex', filters.join(';'), '-map', '[vout]');
    if (spec.audio?.kind === 'tone') args.push('-map', `${audioIndex}:a`);
    if (speech) args.push('-map', `${audioIndex}:a`, '-af', 'apad');
    args.push('-t', durationSec.toFixed(3), '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '23', '-pix_fmt', 'yuv420p', '-r', String(fps));
    if (spec.audio && spec.audio.kind !== 'none') args.push('-c:a', 'aac', '-b:a', '96k');
    if (spec.faststart !== false) args.push('-movflags', '+faststart');
    args.push('-f', 'mp4', out);
    await ffmpeg(args);
  });
  return { path, cuts, durationSec, speech };
}

export interface SpeechTrack {
  path: string;
  /** Each sentence's time span in the track. */
  regions: { text: string; start: number; end: number }[];
  durationSec: number;
}

async function wavDuration(path: string): Promise<number> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'default=nw=1:nk=1', path]);
  return Number(stdout.trim());
}

/** espeak-ng sentences separated by silence, as a 16 kHz mono WAV, with where each one is. */
export async function makeSpeechTrack(sentences: string[], options: { gapSec?: number; leadSec?: number } = {}): Promise<SpeechTrack> {
  const gap = options.gapSec ?? 1;
  const lead = options.leadSec ?? 0.5;
  const parts = await Promise.all(
    sentences.map((text) =>
      cached({ espeak: text }, 'wav', async (out) => {
        const raw = `${out}.espeak.wav`;
        try {
          await run('espeak-ng', ['-v', 'en', '-s', '160', '-w', raw, text]);
        } catch (err) {
          throw new Error(`espeak-ng failed (install it: apt-get install espeak-ng): ${(err as Error).message}`);
        }
        // Trim espeak's own leading/trailing silence so the measured span is the speech.
        await ffmpeg(['-i', raw, '-af', 'silenceremove=start_periods=1:start_threshold=-45dB:stop_periods=1:stop_threshold=-45dB:stop_duration=0.2,aresample=16000', '-ac', '1', '-c:a', 'pcm_s16le', '-f', 'wav', out]);
        await rm(raw, { force: true });
      }),
    ),
  );
  const durations = await Promise.all(parts.map(wavDuration));
  const regions: SpeechTrack['regions'] = [];
  let t = lead;
  sentences.forEach((text, i) => {
    regions.push({ text, start: t, end: t + durations[i]! });
    t += durations[i]! + gap;
  });
  const durationSec = t - gap + lead;
  const path = await cached({ track: sentences, gap, lead }, 'wav', async (out) => {
    const inputs = parts.flatMap((p) => ['-i', p]);
    const delays = parts.map((_, i) => `[${i}:a]adelay=${Math.round(regions[i]!.start * 1000)}:all=1[a${i}]`).join(';');
    const mix = `${delays};${parts.map((_, i) => `[a${i}]`).join('')}amix=inputs=${parts.length}:normalize=0,apad,atrim=end=${durationSec.toFixed(3)}[out]`;
    await ffmpeg([...inputs, '-filter_complex', mix, '-map', '[out]', '-ac', '1', '-ar', '16000', '-c:a', 'pcm_s16le', '-f', 'wav', out]);
  });
  return { path, regions, durationSec };
}

export interface ToneRegion {
  start: number;
  end: number;
}

/** Deterministic, non-periodic tone bursts filling `durationSec`: stands in for speech in long-audio tests. */
export function toneRegions(durationSec: number, seed = 7): ToneRegion[] {
  let x = seed;
  const rand = () => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return x / 2147483648;
  };
  const regions: ToneRegion[] = [];
  let t = 0.5 + rand();
  while (t < durationSec - 2) {
    const len = 0.8 + rand() * 3.2;
    const end = Math.min(t + len, durationSec - 0.5);
    regions.push({ start: Math.round(t * 100) / 100, end: Math.round(end * 100) / 100 });
    t = end + 0.6 + rand() * 2.4;
  }
  return regions;
}

/** A 16 kHz mono WAV with 440 Hz tone bursts at the given regions and silence elsewhere. */
export async function makeToneWav(durationSec: number, regions: readonly ToneRegion[]): Promise<string> {
  return cached({ toneWav: durationSec, regions }, 'wav', async (out) => {
    const rate = 16_000;
    const samples = Math.round(durationSec * rate);
    const data = Buffer.alloc(44 + samples * 2);
    data.write('RIFF', 0);
    data.writeUInt32LE(36 + samples * 2, 4);
    data.write('WAVEfmt ', 8);
    data.writeUInt32LE(16, 16);
    data.writeUInt16LE(1, 20);
    data.writeUInt16LE(1, 22);
    data.writeUInt32LE(rate, 24);
    data.writeUInt32LE(rate * 2, 28);
    data.writeUInt16LE(2, 32);
    data.writeUInt16LE(16, 34);
    data.write('data', 36);
    data.writeUInt32LE(samples * 2, 40);
    for (const r of regions) {
      for (let i = Math.round(r.start * rate); i < Math.min(samples, Math.round(r.end * rate)); i++) {
        data.writeInt16LE(Math.round(12_000 * Math.sin((2 * Math.PI * 440 * i) / rate)), 44 + i * 2);
      }
    }
    await writeFile(out, data);
  });
}

/** A video (static picture) carrying the given WAV as its audio track. */
export async function makeVideoWithAudio(wav: string, options: { width?: number; height?: number } = {}): Promise<string> {
  const w = options.width ?? 160;
  const h = options.height ?? 120;
  return cached({ videoWithAudio: wav, w, h, size: (await stat(wav)).size }, 'mp4', async (out) => {
    await ffmpeg(['-f', 'lavfi', '-i', `color=c=blue:size=${w}x${h}:rate=5`, '-i', wav, '-shortest', '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'stillimage', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-b:a', '64k', '-movflags', '+faststart', '-f', 'mp4', out]);
  });
}

/** Broken and unusual inputs for bad-input tests. */
export const badInputs = {
  async empty(): Promise<string> {
    return cached({ bad: 'empty' }, 'mp4', (out) => writeFile(out, ''));
  },
  async textFile(): Promise<string> {
    return cached({ bad: 'text' }, 'mp4', (out) => writeFile(out, 'This is not a video. It is a text file with an .mp4 name.\n'.repeat(20)));
  },
  /** An MP4 cut in half whose moov atom was at the end: "moov atom not found". */
  async truncatedNoMoov(): Promise<string> {
    const src = await makeVideo({ shots: [{ source: 'testsrc2', seconds: 4 }], audio: { kind: 'tone' }, faststart: false });
    return cached({ bad: 'truncated-no-moov', src: src.path }, 'mp4', async (out) => {
      const data = await readFile(src.path);
      await writeFile(out, data.subarray(0, Math.floor(data.length / 2)));
    });
  },
  /** A faststart MP4 cut at 40%: it probes fine but most frames are missing. */
  async truncatedFaststart(): Promise<string> {
    const src = await makeVideo({ shots: [{ source: 'testsrc2', seconds: 6 }, { source: 'smptebars', seconds: 6 }], audio: { kind: 'tone' } });
    return cached({ bad: 'truncated-faststart', src: src.path }, 'mp4', async (out) => {
      const data = await readFile(src.path);
      await writeFile(out, data.subarray(0, Math.floor(data.length * 0.4)));
    });
  },
  async audioOnly(): Promise<string> {
    return cached({ bad: 'audio-only' }, 'm4a', (out) => ffmpeg(['-f', 'lavfi', '-i', 'sine=frequency=300:duration=3', '-c:a', 'aac', '-f', 'mp4', out]));
  },
};

/** The same video with a rotation flag, as phones record portrait video. */
export async function makeRotated(src: string, degrees: 90 | 180 | 270): Promise<string> {
  return cached({ rotated: src, degrees }, 'mp4', (out) => ffmpeg(['-display_rotation', String(-degrees), '-i', src, '-c', 'copy', '-f', 'mp4', out]).catch(() => ffmpeg(['-i', src, '-c', 'copy', '-metadata:s:v:0', `rotate=${degrees}`, '-f', 'mp4', out])));
}

/** Variable frame rate: frames at irregular intervals. */
export async function makeVariableFrameRate(): Promise<string> {
  return cached({ vfr: 1 }, 'mp4', (out) =>
    ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=30,setpts=\'N/30/TB+0.02*sin(N)/TB\'', '-t', '3', '-c:v', 'libx264', '-preset', 'ultrafast', '-fps_mode', 'vfr', '-pix_fmt', 'yuv420p', '-f', 'mp4', out]),
  );
}

/** Copies a fixture to a new name (e.g. with spaces and unicode) in a directory. */
export async function copyAs(src: string, dir: string, name: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const out = join(dir, name);
  await copyFile(src, out);
  return out;
}

/** First bytes of a file (to check container signatures in tests). */
export async function head(path: string, bytes = 16): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(bytes);
    await fh.read(buf, 0, bytes, 0);
    return buf;
  } finally {
    await fh.close();
  }
}
