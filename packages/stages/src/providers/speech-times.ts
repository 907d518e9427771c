import { spawn } from 'node:child_process';
import { abortReasonOf, type TranscriptSegment } from '@videoqa/core';
import { diesWithParent } from '../ffmpeg/run.ts';
import { parseSilences, type Silence } from '../transcribe/chunking.ts';

/** Pauses this long separate spoken stretches (the chunk planner uses the same detector settings). */
const SILENCE_FILTER = 'silencedetect=noise=-35dB:d=0.4';
const MIN_SPEECH_SEC = 0.15;

/**
 * Silences and length of an audio file given as bytes, from ffmpeg's silencedetect
 * (audio piped in on stdin: nothing is written to disk).
 */
export function detectSilences(
  ffmpegPath: string,
  audio: Uint8Array,
  signal?: AbortSignal,
): Promise<{ silences: Silence[]; durationSec: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      ...diesWithParent(ffmpegPath, [
        '-hide_banner',
        '-nostdin',
        '-i',
        'pipe:0',
        '-af',
        SILENCE_FILTER,
        '-f',
        'null',
        '-',
      ]),
      { stdio: ['pipe', 'ignore', 'pipe'], signal },
    );
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    // ffmpeg may stop reading early (a broken file): an EPIPE on stdin is its answer, not ours.
    child.stdin.on('error', () => {});
    child.stdin.end(Buffer.from(audio.buffer, audio.byteOffset, audio.byteLength));
    child.once('error', (err) => reject(signal?.aborted ? abortReasonOf(signal) : err));
    child.once('close', (code) => {
      if (code !== 0)
        return reject(
          new Error(
            `ffmpeg silencedetect failed (exit ${code}): ${stderr.split('\n').filter(Boolean).slice(-2).join(' | ')}`,
          ),
        );
      const times = [...stderr.matchAll(/time=(\d+):(\d+):([\d.]+)/g)].map(
        (m) => Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]),
      );
      resolve({ silences: parseSilences(stderr), durationSec: times.at(-1) ?? 0 });
    });
  });
}

/** The stretches between silences, in [0, duration]. */
export function speechRegions(silences: readonly Silence[], durationSec: number): { start: number; end: number }[] {
  const regions: { start: number; end: number }[] = [];
  let from = 0;
  for (const s of [...silences].sort((a, b) => a.start - b.start)) {
    if (s.start - from >= MIN_SPEECH_SEC) regions.push({ start: from, end: Math.min(s.start, durationSec) });
    from = Math.max(from, s.end);
  }
  if (durationSec - from >= MIN_SPEECH_SEC) regions.push({ start: from, end: durationSec });
  return regions;
}

const round2 = (x: number) => Math.round(x * 100) / 100;

/**
 * Timed segments for a transcript that came back as plain text: the words are
 * shared out over the spoken stretches in proportion to their length, in order.
 * Coarser than Whisper's own segments, but every word keeps a plausible time.
 */
export function segmentsFromText(
  text: string,
  regions: readonly { start: number; end: number }[],
  durationSec: number,
): TranscriptSegment[] {
  const words = text.trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) return [];
  const spans = regions.length > 0 ? regions : [{ start: 0, end: Math.max(durationSec, 0.01) }];
  const total = spans.reduce((n, r) => n + (r.end - r.start), 0);
  const segments: TranscriptSegment[] = [];
  let used = 0;
  let elapsed = 0;
  spans.forEach((r, i) => {
    elapsed += r.end - r.start;
    const upTo = i === spans.length - 1 ? words.length : Math.round((words.length * elapsed) / total);
    if (upTo <= used) return;
    segments.push({ start: round2(r.start), end: round2(r.end), text: words.slice(used, upTo).join(' ') });
    used = upTo;
  });
  return segments;
}
