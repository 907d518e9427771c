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

/**
 * Path of a generated file named after a hash of its spec and generator version, in `dir`;
 * `make` writes it (to a temp name, then renamed) only when it is missing. Benchmarks keep
 * their own larger media in their own folder with it.
 */
export async function cachedFile(
  spec: unknown,
  ext: string,
  make: (out: string) => Promise<void>,
  options: { dir?: string; version?: number } = {},
): Promise<string> {
  const key = createHash('sha1')
    .update(JSON.stringify({ v: options.version ?? GENERATOR_VERSION, spec }))
    .digest('hex')
    .slice(0, 16);
  const dir = options.dir ?? fixtureDir();
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

const cached = (spec: unknown, ext: string, make: (out: string) => Promise<void>) => cachedFile(spec, ext, make);

/** Runs ffmpeg quietly; a failure carries its stderr. */
export async function ffmpeg(args: string[]): Promise<void> {
  try {
    await run('ffmpeg', ['-hide_banner', '-nostdin', '-y', '-loglevel', 'error', ...args], {
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (err) {
    throw new Error(`ffmpeg failed making media: ${(err as { stderr?: string }).stderr ?? (err as Error).message}`);
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
  | { kind: 'speech'; sentences: string[]; gapSec?: number; leadSec?: number; voices?: readonly EspeakVoice[] };

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
  const speech =
    spec.audio?.kind === 'speech'
      ? await makeSpeechTrack(spec.audio.sentences, {
          gapSec: spec.audio.gapSec,
          leadSec: spec.audio.leadSec,
          voices: spec.audio.voices,
        })
      : undefined;
  const path = await cached({ ...spec, w, h, fps }, 'mp4', async (out) => {
    const args: string[] = [];
    const filters: string[] = [];
    spec.shots.forEach((s, i) => {
      args.push('-f', 'lavfi', '-i', sourceFilter(s.source, w, h, fps, s.seconds));
      filters.push(`[${i}:v]trim=end_frame=${frameCounts[i]},setpts=PTS-STARTPTS,format=yuv420p,setsar=1[v${i}]`);
    });
    let chain = `${spec.shots.map((_, i) => `[v${i}]`).join('')}concat=n=${spec.shots.length}:v=1:a=0`;
    for (const f of spec.flashes ?? [])
      chain += `,drawbox=x=0:y=0:w=iw:h=ih:color=white@1:t=fill:enable='between(n,${f.at},${f.at + f.frames - 1})'`;
    filters.push(`${chain}[vout]`);
    const audioIndex = spec.shots.length;
    if (spec.audio?.kind === 'tone')
      args.push('-f', 'lavfi', '-i', `sine=frequency=${spec.audio.frequency ?? 440}:sample_rate=44100`);
    if (speech) args.push('-i', speech.path);
    args.push('-filter_complex', filters.join(';'), '-map', '[vout]');
    if (spec.audio?.kind === 'tone') args.push('-map', `${audioIndex}:a`);
    if (speech) args.push('-map', `${audioIndex}:a`, '-af', 'apad');
    args.push(
      '-t',
      durationSec.toFixed(3),
      '-c:v',
      'libx264',
      '-preset',
      'veryfast',
      '-crf',
      '23',
      '-pix_fmt',
      'yuv420p',
      '-r',
      String(fps),
    );
    if (spec.audio && spec.audio.kind !== 'none') args.push('-c:a', 'aac', '-b:a', '96k');
    if (spec.faststart !== false) args.push('-movflags', '+faststart');
    args.push('-f', 'mp4', out);
    await ffmpeg(args);
  });
  return { path, cuts, durationSec, speech };
}

/** An espeak-ng voice: a variant (`en+m3`, `en+f4`...) and a pitch (0-99, default 50). */
export interface EspeakVoice {
  variant: string;
  pitch?: number;
}

/** Two voices far apart in pitch: a low male and a high female variant, for two-speaker tests. */
export const TWO_VOICES: readonly EspeakVoice[] = [
  { variant: 'en+m3', pitch: 25 },
  { variant: 'en+f4', pitch: 85 },
];

export interface SpeechTrack {
  path: string;
  /** Each sentence's time span in the track. */
  regions: { text: string; start: number; end: number }[];
  durationSec: number;
}

async function wavDuration(path: string): Promise<number> {
  const { stdout } = await run('ffprobe', [
    '-v',
    'error',
    '-show_entries',
    'format=duration',
    '-of',
    'default=nw=1:nk=1',
    path,
  ]);
  return Number(stdout.trim());
}

/** espeak-ng sentences separated by silence, as a 16 kHz mono WAV, with where each one is. */
export async function makeSpeechTrack(
  sentences: string[],
  options: { gapSec?: number; leadSec?: number; voices?: readonly EspeakVoice[] } = {},
): Promise<SpeechTrack> {
  const gap = options.gapSec ?? 1;
  const lead = options.leadSec ?? 0.5;
  const parts = await Promise.all(
    sentences.map((text, i) => {
      // Sentence i is spoken by voices[i % voices.length]: alternating voices make a conversation.
      const voice = options.voices?.length ? options.voices[i % options.voices.length]! : undefined;
      return cached(voice ? { espeak: text, voice } : { espeak: text }, 'wav', async (out) => {
        const raw = `${out}.espeak.wav`;
        try {
          await run('espeak-ng', [
            '-v',
            voice?.variant ?? 'en',
            '-s',
            '160',
            ...(voice?.pitch !== undefined ? ['-p', String(voice.pitch)] : []),
            '-w',
            raw,
            text,
          ]);
        } catch (err) {
          throw new Error(`espeak-ng failed (install it: apt-get install espeak-ng): ${(err as Error).message}`);
        }
        // Trim espeak's own leading/trailing silence so the measured span is the speech.
        await ffmpeg([
          '-i',
          raw,
          '-af',
          'silenceremove=start_periods=1:start_threshold=-45dB:stop_periods=1:stop_threshold=-45dB:stop_duration=0.2,aresample=16000',
          '-ac',
          '1',
          '-c:a',
          'pcm_s16le',
          '-f',
          'wav',
          out,
        ]);
        await rm(raw, { force: true });
      });
    }),
  );
  const durations = await Promise.all(parts.map(wavDuration));
  const regions: SpeechTrack['regions'] = [];
  let t = lead;
  sentences.forEach((text, i) => {
    regions.push({ text, start: t, end: t + durations[i]! });
    t += durations[i]! + gap;
  });
  const durationSec = t - gap + lead;
  const path = await cached(
    options.voices?.length ? { track: sentences, gap, lead, voices: options.voices } : { track: sentences, gap, lead },
    'wav',
    async (out) => {
      const inputs = parts.flatMap((p) => ['-i', p]);
      const delays = parts
        .map((_, i) => `[${i}:a]adelay=${Math.round(regions[i]!.start * 1000)}:all=1[a${i}]`)
        .join(';');
      const mix = `${delays};${parts.map((_, i) => `[a${i}]`).join('')}amix=inputs=${parts.length}:normalize=0,apad,atrim=end=${durationSec.toFixed(3)}[out]`;
      await ffmpeg([
        ...inputs,
        '-filter_complex',
        mix,
        '-map',
        '[out]',
        '-ac',
        '1',
        '-ar',
        '16000',
        '-c:a',
        'pcm_s16le',
        '-f',
        'wav',
        out,
      ]);
    },
  );
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
export async function makeVideoWithAudio(
  wav: string,
  options: { width?: number; height?: number } = {},
): Promise<string> {
  const w = options.width ?? 160;
  const h = options.height ?? 120;
  return cached({ videoWithAudio: wav, w, h, size: (await stat(wav)).size }, 'mp4', async (out) => {
    await ffmpeg([
      '-f',
      'lavfi',
      '-i',
      `color=c=blue:size=${w}x${h}:rate=5`,
      '-i',
      wav,
      '-shortest',
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-tune',
      'stillimage',
      '-pix_fmt',
      'yuv420p',
      '-c:a',
      'aac',
      '-b:a',
      '64k',
      '-movflags',
      '+faststart',
      '-f',
      'mp4',
      out,
    ]);
  });
}

/** Broken and unusual inputs for bad-input tests. */
export const badInputs = {
  async empty(): Promise<string> {
    return cached({ bad: 'empty' }, 'mp4', (out) => writeFile(out, ''));
  },
  async textFile(): Promise<string> {
    return cached({ bad: 'text' }, 'mp4', (out) =>
      writeFile(out, 'This is not a video. It is a text file with an .mp4 name.\n'.repeat(20)),
    );
  },
  /** An MP4 cut in half whose moov atom was at the end: "moov atom not found". */
  async truncatedNoMoov(): Promise<string> {
    const src = await makeVideo({
      shots: [{ source: 'testsrc2', seconds: 4 }],
      audio: { kind: 'tone' },
      faststart: false,
    });
    return cached({ bad: 'truncated-no-moov', src: src.path }, 'mp4', async (out) => {
      const data = await readFile(src.path);
      await writeFile(out, data.subarray(0, Math.floor(data.length / 2)));
    });
  },
  /** A faststart MP4 cut at 40%: it probes fine but most frames are missing. */
  async truncatedFaststart(): Promise<string> {
    const src = await makeVideo({
      shots: [
        { source: 'testsrc2', seconds: 6 },
        { source: 'smptebars', seconds: 6 },
      ],
      audio: { kind: 'tone' },
    });
    return cached({ bad: 'truncated-faststart', src: src.path }, 'mp4', async (out) => {
      const data = await readFile(src.path);
      await writeFile(out, data.subarray(0, Math.floor(data.length * 0.4)));
    });
  },
  async audioOnly(): Promise<string> {
    return cached({ bad: 'audio-only' }, 'm4a', (out) =>
      ffmpeg(['-f', 'lavfi', '-i', 'sine=frequency=300:duration=3', '-c:a', 'aac', '-f', 'mp4', out]),
    );
  },
};

/** The same video with a rotation flag, as phones record portrait video. */
export async function makeRotated(src: string, degrees: 90 | 180 | 270): Promise<string> {
  return cached({ rotated: src, degrees }, 'mp4', (out) =>
    ffmpeg(['-display_rotation', String(-degrees), '-i', src, '-c', 'copy', '-f', 'mp4', out]).catch(() =>
      ffmpeg(['-i', src, '-c', 'copy', '-metadata:s:v:0', `rotate=${degrees}`, '-f', 'mp4', out]),
    ),
  );
}

/** Variable frame rate: frames at irregular intervals. */
export async function makeVariableFrameRate(): Promise<string> {
  return cached({ vfr: 1 }, 'mp4', (out) =>
    ffmpeg([
      '-f',
      'lavfi',
      '-i',
      "testsrc2=size=320x240:rate=30,setpts='N/30/TB+0.02*sin(N)/TB'",
      '-t',
      '3',
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-fps_mode',
      'vfr',
      '-pix_fmt',
      'yuv420p',
      '-f',
      'mp4',
      out,
    ]),
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

// ---------------------------------------------------------------------------
// Slides and screen recordings: static pictures whose content changes in a
// few pixels (text), which colour-histogram detectors cannot see.

/** A TrueType font for drawtext (DejaVu ships with Debian's ffmpeg dependencies via fontconfig). */
let fontPath: string | undefined;
async function findFont(): Promise<string> {
  if (fontPath) return fontPath;
  const known = [
    '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf',
    '/usr/share/fonts/TTF/DejaVuSans.ttf',
    '/System/Library/Fonts/Supplemental/Arial.ttf',
  ];
  for (const p of known) if (existsSync(p)) return (fontPath = p);
  const { stdout } = await run('fc-match', ['-f', '%{file}', 'sans']).catch(() => ({ stdout: '' }));
  if (stdout.trim() && existsSync(stdout.trim())) return (fontPath = stdout.trim());
  throw new Error('no TrueType font for drawtext: install fonts-dejavu-core (apt-get install fonts-dejavu-core)');
}

/** Quotes a filter option value (filtergraph level): backslash-escape what the parser treats specially. */
const filterValue = (s: string) =>
  s
    .replace(/\\/g, '\\\\')
    .replace(/'/g, "\\'")
    .replace(/:/g, '\\:')
    .replace(/,/g, '\\,')
    .replace(/;/g, '\\;')
    .replace(/\[/g, '\\[')
    .replace(/]/g, '\\]');

/**
 * Makes a video from a filter graph that draws text from files (drawtext `textfile=`,
 * so any characters are safe). `build` gets `textFile(text)`, which returns the escaped
 * path of a file holding that text; the files live in a temp directory removed after.
 */
async function renderWithTexts(
  out: string,
  seconds: number,
  build: (textFile: (text: string) => string, font: string) => { inputs: string[]; graph: string },
): Promise<void> {
  const font = await findFont();
  const dir = join(fixtureDir(), `.texts.${process.pid}.${Date.now()}.${Math.random().toString(36).slice(2)}`);
  const texts: string[] = [];
  const { inputs, graph } = build((text) => filterValue(join(dir, `${texts.push(text) - 1}.txt`)), filterValue(font));
  await mkdir(dir, { recursive: true });
  try {
    await Promise.all(texts.map((t, i) => writeFile(join(dir, `${i}.txt`), t)));
    await ffmpeg([
      ...inputs,
      '-filter_complex',
      graph,
      '-map',
      '[vout]',
      '-t',
      seconds.toFixed(3),
      '-c:v',
      'libx264',
      '-preset',
      'veryfast',
      '-crf',
      '23',
      '-pix_fmt',
      'yuv420p',
      '-movflags',
      '+faststart',
      '-f',
      'mp4',
      out,
    ]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export interface Slide {
  title: string;
  bullets: string[];
  /** Show the bullets one by one (an incremental reveal) instead of all at once. */
  reveal?: boolean;
}

export interface SlideDeckSpec {
  slides: Slide[];
  /** light: dark text on white; dark: light text on a near-black background. */
  theme?: 'light' | 'dark';
  /** Seconds each slide (or each reveal step) is shown. */
  stepSec?: number;
  width?: number;
  height?: number;
  /** Temporal noise on every frame (sensor/compression noise of a recorded projector or a re-encoded deck). */
  noise?: number;
  /** A mouse pointer wandering over the slides the whole time. */
  cursor?: boolean;
}

export interface GeneratedSlides {
  path: string;
  /** First frame of each new picture (a slide, or a reveal step): the boundaries a detector should find. */
  cuts: number[];
  durationSec: number;
  fps: number;
  /** What is on screen from each step on (step 0 starts at frame 0). */
  steps: { startFrame: number; slide: number; title: string; bullets: string[] }[];
}

const THEMES = {
  light: { bg: '0xFFFFFF', title: '0x1F2937', text: '0x111111', accent: '0x2563EB' },
  dark: { bg: '0x1E1E2E', title: '0xF5F5F5', text: '0xE0E0E0', accent: '0x89B4FA' },
};

/** A pointer: a small dark box with a light border, moving on a smooth, deterministic path. */
const cursorOverlay = (w: number, h: number) =>
  `overlay=x='${Math.round(w * 0.45)}+${Math.round(w * 0.35)}*sin(t*0.9)':y='${Math.round(h * 0.5)}+${Math.round(h * 0.3)}*sin(t*1.3+1)':eval=frame`;

/**
 * A slide deck: every slide the same layout (accent bar, title, bullets at the same
 * places), different text, hard changes between slides; optionally bullets revealed
 * one by one, noise, and a wandering pointer.
 */
export async function makeSlideDeck(spec: SlideDeckSpec): Promise<GeneratedSlides> {
  const w = spec.width ?? 1280;
  const h = spec.height ?? 720;
  const fps = 30;
  const stepFrames = Math.round((spec.stepSec ?? 2) * fps);
  const theme = THEMES[spec.theme ?? 'light'];
  const steps: GeneratedSlides['steps'] = [];
  for (const [si, s] of spec.slides.entries()) {
    if (s.reveal)
      for (let k = 0; k <= s.bullets.length; k++)
        steps.push({
          startFrame: steps.length * stepFrames,
          slide: si,
          title: s.title,
          bullets: s.bullets.slice(0, k),
        });
    else steps.push({ startFrame: steps.length * stepFrames, slide: si, title: s.title, bullets: s.bullets });
  }
  const totalFrames = steps.length * stepFrames;
  const durationSec = totalFrames / fps;
  const path = await cached({ slideDeck: spec, w, h, fps }, 'mp4', async (out) => {
    const scale = h / 720;
    await renderWithTexts(out, durationSec, (file, font) => {
      const draws: string[] = [
        `drawbox=x=${Math.round(60 * scale)}:y=${Math.round(150 * scale)}:w=${Math.round(w - 120 * scale)}:h=${Math.max(2, Math.round(6 * scale))}:color=${theme.accent}:t=fill`,
      ];
      spec.slides.forEach((s, si) => {
        const first = steps.findIndex((st) => st.slide === si);
        const last = steps.length - 1 - [...steps].reverse().findIndex((st) => st.slide === si);
        const endFrame = (last + 1) * stepFrames - 1;
        draws.push(
          `drawtext=fontfile=${font}:textfile=${file(s.title)}:expansion=none:fontsize=${Math.round(56 * scale)}:fontcolor=${theme.title}:x=${Math.round(60 * scale)}:y=${Math.round(60 * scale)}:enable='between(n,${first * stepFrames},${endFrame})'`,
        );
        s.bullets.forEach((b, bi) => {
          const from = s.reveal ? (first + bi + 1) * stepFrames : first * stepFrames;
          draws.push(
            `drawtext=fontfile=${font}:textfile=${file(`•  ${b}`)}:expansion=none:fontsize=${Math.round(40 * scale)}:fontcolor=${theme.text}:x=${Math.round(90 * scale)}:y=${Math.round((220 + bi * 80) * scale)}:enable='between(n,${from},${endFrame})'`,
          );
        });
      });
      const inputs = [
        '-f',
        'lavfi',
        '-i',
        `color=c=${theme.bg}:size=${w}x${h}:rate=${fps}:duration=${durationSec.toFixed(3)}`,
      ];
      let graph = `[0:v]format=yuv420p,${draws.join(',')}`;
      if (spec.noise) graph += `,noise=alls=${spec.noise}:allf=t`;
      if (spec.cursor) {
        inputs.push(
          '-f',
          'lavfi',
          '-i',
          `color=c=0x202020:size=${Math.round(14 * scale)}x${Math.round(22 * scale)}:rate=${fps},pad=iw+4:ih+4:2:2:color=0xF0F0F0`,
        );
        graph += `[bg];[bg][1:v]${cursorOverlay(w, h)}:shortest=1,format=yuv420p`;
      }
      return { inputs, graph: `${graph}[vout]` };
    });
  });
  return { path, cuts: steps.slice(1).map((s) => s.startFrame), durationSec, fps, steps };
}

export interface ScreenRecordingSpec {
  /** Lines of the document on screen before and after a window switch (omit `after` for none). */
  before: string[];
  after?: string[];
  /** When the window switch happens, in seconds (default: half way). */
  switchSec?: number;
  seconds?: number;
}

/**
 * A screen recording: an editor-like window with lines of text, a pointer moving the
 * whole time, a blinking text caret, a ticking clock in the corner and light noise,
 * and optionally one switch to another document (the only real content change).
 */
export async function makeScreenRecording(spec: ScreenRecordingSpec): Promise<GeneratedSlides> {
  const w = 1280;
  const h = 720;
  const fps = 30;
  const seconds = spec.seconds ?? 8;
  const switchFrame = spec.after ? Math.round((spec.switchSec ?? seconds / 2) * fps) : null;
  const path = await cached({ screenRecording: spec, w, h, fps }, 'mp4', async (out) => {
    const docs = spec.after ? [spec.before, spec.after] : [spec.before];
    await renderWithTexts(out, seconds, (file, font) => {
      const draws = [
        'drawbox=x=0:y=0:w=iw:h=40:color=0x3C3F41:t=fill', // title bar
        'drawbox=x=0:y=40:w=220:h=ih-40:color=0xE8E8E8:t=fill', // side bar
        // The clock (seconds since start) ticks once a second in the title bar.
        `drawtext=fontfile=${font}:text='%{eif\\:t+600\\:d}':fontsize=22:fontcolor=0xFFFFFF:x=w-110:y=9`,
      ];
      docs.forEach((lines, di) => {
        const enable =
          switchFrame === null ? '' : di === 0 ? `:enable='lt(n,${switchFrame})'` : `:enable='gte(n,${switchFrame})'`;
        lines.forEach((line, li) => {
          draws.push(
            `drawtext=fontfile=${font}:textfile=${file(line)}:expansion=none:fontsize=26:fontcolor=0x202020:x=260:y=${80 + li * 44}${enable}`,
          );
        });
      });
      // A caret after the last line of the current document, blinking twice a second.
      const caretY = 80 + (spec.before.length - 1) * 44;
      const inputs = ['-f', 'lavfi', '-i', `color=c=0xFFFFFF:size=${w}x${h}:rate=${fps}:duration=${seconds}`];
      inputs.push('-f', 'lavfi', '-i', `color=c=0x000000:size=2x30:rate=${fps}`);
      inputs.push('-f', 'lavfi', '-i', `color=c=0x202020:size=14x22:rate=${fps},pad=iw+4:ih+4:2:2:color=0xF0F0F0`);
      const graph =
        `[0:v]format=yuv420p,${draws.join(',')}[doc];` +
        `[doc][1:v]overlay=x=700:y=${caretY}:enable='lt(mod(t\\,1)\\,0.5)':shortest=1[caret];` +
        `[caret][2:v]${cursorOverlay(w, h)}:shortest=1,noise=alls=4:allf=t,format=yuv420p[vout]`;
      return { inputs, graph };
    });
  });
  const steps: GeneratedSlides['steps'] = [
    { startFrame: 0, slide: 0, title: spec.before[0] ?? '', bullets: spec.before.slice(1) },
  ];
  if (switchFrame !== null)
    steps.push({ startFrame: switchFrame, slide: 1, title: spec.after![0] ?? '', bullets: spec.after!.slice(1) });
  return { path, cuts: switchFrame === null ? [] : [switchFrame], durationSec: seconds, fps, steps };
}

export interface ScrollSpec {
  lines: string[];
  /** Still before the scroll, scrolling, and still after it (seconds). */
  holdSec?: number;
  scrollSec?: number;
  /** Pixels per second (at 720p). */
  speed?: number;
}

/**
 * A long page of text that sits still, scrolls slowly and stops on new content: the
 * scroll itself is no boundary; the picture it stops on is (one boundary, where it stops).
 */
export async function makeScroll(spec: ScrollSpec): Promise<GeneratedSlides> {
  const w = 1280;
  const h = 720;
  const fps = 30;
  const hold = spec.holdSec ?? 2;
  const scrollSec = spec.scrollSec ?? 4;
  const speed = spec.speed ?? 120;
  const seconds = hold * 2 + scrollSec;
  const path = await cached({ scroll: spec, w, h, fps }, 'mp4', async (out) => {
    await renderWithTexts(out, seconds, (file, font) => {
      const offset = `clip((t-${hold})*${speed}\\,0\\,${Math.round(scrollSec * speed)})`;
      const draws = spec.lines.map(
        (line, i) =>
          `drawtext=fontfile=${font}:textfile=${file(line)}:expansion=none:fontsize=34:fontcolor=0x1A1A1A:x=120:y='${60 + i * 56}-${offset}'`,
      );
      return {
        inputs: ['-f', 'lavfi', '-i', `color=c=0xFAFAFA:size=${w}x${h}:rate=${fps}:duration=${seconds}`],
        graph: `[0:v]format=yuv420p,${draws.join(',')}[vout]`,
      };
    });
  });
  const stop = Math.round((hold + scrollSec) * fps);
  return {
    path,
    cuts: [stop],
    durationSec: seconds,
    fps,
    steps: [
      { startFrame: 0, slide: 0, title: spec.lines[0] ?? '', bullets: [] },
      { startFrame: stop, slide: 1, title: '', bullets: [] },
    ],
  };
}

const DECK: Slide[] = [
  {
    title: 'Quarterly review',
    bullets: ['Revenue grew in every region', 'Churn fell to four percent', 'Hiring is on plan'],
  },
  { title: 'Product roadmap', bullets: ['Search across all meetings', 'Offline transcription', 'Faster uploads'] },
  {
    title: 'Risks and mitigations',
    bullets: ['Vendor lock-in: keep exports open', 'Latency: cache embeddings', 'Cost: batch requests'],
  },
  { title: 'Next steps', bullets: ['Ship the beta in March', 'Interview ten customers', 'Review pricing'] },
];

/**
 * The slide and screen media the scene detector is held to (tests and bench):
 * name → generator. Every `cuts` entry is a real content change; nothing else
 * (pointer, caret, clock, noise, the scroll itself) is.
 */
export const slideFixtures: Record<string, () => Promise<GeneratedSlides>> = {
  'deck-light': () => makeSlideDeck({ theme: 'light', slides: DECK }),
  // 960×540: noise does not compress, and a smaller picture keeps generating it quick.
  'deck-dark-noise-pointer': () =>
    makeSlideDeck({ theme: 'dark', noise: 12, cursor: true, width: 960, height: 540, slides: DECK.slice(0, 3) }),
  'reveal-bullets': () =>
    makeSlideDeck({
      stepSec: 1.5,
      slides: [
        { title: 'Why slides matter', bullets: ['Lectures', 'Shared screens', 'Product demos'], reveal: true },
        { title: 'What we built', bullets: ['Content-change scenes', 'Slide-safe dedup'], reveal: true },
      ],
    }),
  'screen-pointer-caret-clock': () =>
    makeScreenRecording({
      before: ['def main():', '    print("hello")', '    return 0'],
      after: ['# Release notes', '- faster search', '- OCR of slides', '- fewer duplicates'],
    }),
  'screen-no-change': () =>
    makeScreenRecording({ before: ['SELECT id, title', 'FROM videos', 'WHERE status = ready'], seconds: 6 }),
  'slow-scroll': () =>
    makeScroll({
      lines: Array.from(
        { length: 30 },
        (_, i) => `Line ${i + 1}: the quick brown fox ${['jumps', 'runs', 'sleeps'][i % 3]} over item ${i * 7}`,
      ),
    }),
};

const CUT_SPECS: Record<string, Pick<VideoSpec, 'shots' | 'flashes'>> = {
  'cuts-7-shots': {
    shots: [
      { source: 'testsrc2', seconds: 2 },
      { source: 'smptebars', seconds: 1.5 },
      { source: 'mandelbrot', seconds: 2 },
      { source: 'rgbtestsrc', seconds: 1 },
      { source: 'gradients', seconds: 2 },
      { source: 'red', seconds: 1 },
      { source: 'testsrc2', seconds: 1.5 },
    ],
  },
  'pan-and-spin': {
    shots: [
      { source: 'smptebars', seconds: 1.5 },
      { source: 'pan', seconds: 4 },
      { source: 'red', seconds: 1 },
      { source: 'spin', seconds: 4 },
      { source: 'blue', seconds: 1 },
    ],
  },
  flashes: {
    shots: [
      { source: 'testsrc2', seconds: 3 },
      { source: 'mandelbrot', seconds: 3 },
    ],
    flashes: [
      { at: 30, frames: 1 },
      { at: 55, frames: 2 },
      { at: 130, frames: 1 },
      { at: 150, frames: 2 },
    ],
  },
  'same-colours-structure': {
    shots: [
      { source: 'checker', seconds: 1.5 },
      { source: 'stripes', seconds: 1.5 },
      { source: 'checker', seconds: 1.5 },
    ],
  },
};

/**
 * The camera-style media the scene detector is held to (tests and bench), 640×360 30 fps
 * without audio: hard cuts, a fast pan and a spin, one- and two-frame flashes, and shots of
 * the same colours with different structure.
 */
export const cutFixtures: Record<string, () => Promise<GeneratedVideo>> = Object.fromEntries(
  Object.entries(CUT_SPECS).map(([name, spec]) => [
    name,
    () => makeVideo({ ...spec, width: 640, height: 360, fps: 30, audio: { kind: 'none' } }),
  ]),
);

/** Precision and recall of found boundaries against expected ones, each matched at most once within ±tolerance frames. */
export function scoreBoundaries(
  expected: readonly number[],
  found: readonly number[],
  tolerance = 2,
): { precision: number; recall: number; f1: number; matched: number } {
  const used = new Set<number>();
  let matched = 0;
  for (const e of expected) {
    const hit = found.findIndex((f, i) => !used.has(i) && Math.abs(f - e) <= tolerance);
    if (hit >= 0) {
      used.add(hit);
      matched++;
    }
  }
  const precision = found.length === 0 ? 1 : matched / found.length;
  const recall = expected.length === 0 ? 1 : matched / expected.length;
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { precision, recall, f1, matched };
}
