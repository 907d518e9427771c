import { spawn } from 'node:child_process';

export const PCM_RATE = 16_000;

/** Decodes any audio ffmpeg reads into 16 kHz mono signed 16-bit samples. */
export async function decodeToPcm(audio: Uint8Array, ffmpegPath = 'ffmpeg'): Promise<Int16Array> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      ffmpegPath,
      [
        '-hide_banner',
        '-loglevel',
        'error',
        '-i',
        'pipe:0',
        '-ac',
        '1',
        '-ar',
        String(PCM_RATE),
        '-f',
        's16le',
        'pipe:1',
      ],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => {
      if (code !== 0) return reject(new Error(`ffmpeg could not decode the audio: ${err.trim().split('\n').pop()}`));
      const buf = Buffer.concat(out);
      resolve(new Int16Array(buf.buffer, buf.byteOffset, Math.floor(buf.length / 2)));
    });
    child.stdin.on('error', () => {}); // ffmpeg may stop reading early on bad input; the exit code tells
    child.stdin.end(Buffer.from(audio));
  });
}

export interface SpeechRegion {
  start: number;
  end: number;
}

/**
 * Energy-based voice activity: 20 ms frames above `thresholdDb` dBFS are
 * active; gaps shorter than `mergeGapSec` are bridged, regions shorter than
 * `minSec` dropped. Deterministic, and accurate to a frame for tones and
 * espeak speech separated by silence.
 */
export function detectSpeech(
  pcm: Int16Array,
  options: { thresholdDb?: number; mergeGapSec?: number; minSec?: number } = {},
): SpeechRegion[] {
  const frame = PCM_RATE / 50;
  const threshold = 32768 * 10 ** ((options.thresholdDb ?? -40) / 20);
  const mergeGap = options.mergeGapSec ?? 0.3;
  const minSec = options.minSec ?? 0.1;
  const raw: SpeechRegion[] = [];
  let start = -1;
  const frames = Math.floor(pcm.length / frame);
  for (let f = 0; f <= frames; f++) {
    let active = false;
    if (f < frames) {
      let sum = 0;
      for (let i = f * frame; i < (f + 1) * frame; i++) sum += pcm[i]! * pcm[i]!;
      active = Math.sqrt(sum / frame) > threshold;
    }
    if (active && start < 0) start = f;
    if (!active && start >= 0) {
      raw.push({ start: start / 50, end: f / 50 });
      start = -1;
    }
  }
  const merged: SpeechRegion[] = [];
  for (const r of raw) {
    const last = merged[merged.length - 1];
    if (last && r.start - last.end < mergeGap) last.end = r.end;
    else merged.push({ ...r });
  }
  return merged.filter((r) => r.end - r.start >= minSec);
}
