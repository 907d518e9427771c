import type { TranscriptSegment } from '@videoqa/core';

export interface AudioChunk {
  index: number;
  /** Audio range sent, in seconds (includes the overlap). */
  from: number;
  to: number;
  /** Segments starting in [keepFrom, keepUntil) are taken from this chunk. */
  keepFrom: number;
  keepUntil: number;
}

export interface Silence {
  start: number;
  end: number;
}

/**
 * Splits [0, duration] into chunks of about chunkSec, cutting in the middle of
 * the silence nearest each nominal boundary (within searchSec) so no word is
 * split; each chunk also carries overlapSec of audio on both sides, and only
 * segments starting inside its own range are kept, so nothing is duplicated.
 */
export function planChunks(
  durationSec: number,
  options: { chunkSec: number; overlapSec: number; silences?: readonly Silence[]; searchSec?: number },
): AudioChunk[] {
  const { chunkSec, overlapSec } = options;
  const search = options.searchSec ?? Math.min(30, chunkSec / 4);
  const cuts = [0];
  // Silence-aligned cuts drift earlier than the nominal ones, which used to leave a last chunk
  // of a few seconds sent as a request of its own (0.03 MiB at the end of a 2-hour file). A
  // remainder up to `search` longer than a chunk stays in the last one instead: chunks are far
  // under the upload limit (10 minutes of 32 kbit/s MP3 is ~2.3 MB of 25).
  while (durationSec - cuts[cuts.length - 1]! > chunkSec + search) {
    const nominal = cuts[cuts.length - 1]! + chunkSec;
    const near = (options.silences ?? [])
      .map((s) => (s.start + s.end) / 2)
      .filter((m) => Math.abs(m - nominal) <= search && m > cuts[cuts.length - 1]! + chunkSec / 2)
      .sort((a, b) => Math.abs(a - nominal) - Math.abs(b - nominal))[0];
    cuts.push(near ?? nominal);
  }
  cuts.push(durationSec);
  const chunks: AudioChunk[] = [];
  for (let i = 0; i < cuts.length - 1; i++) {
    const keepFrom = cuts[i]!;
    const keepUntil = i === cuts.length - 2 ? Number.POSITIVE_INFINITY : cuts[i + 1]!;
    chunks.push({
      index: i,
      from: Math.max(0, keepFrom - (i === 0 ? 0 : overlapSec)),
      to: Math.min(durationSec, cuts[i + 1]! + overlapSec),
      keepFrom: i === 0 ? Number.NEGATIVE_INFINITY : keepFrom,
      keepUntil,
    });
  }
  return chunks;
}

/**
 * Shifts each chunk's segments back to absolute time, keeps those that start
 * in the chunk's own range, and returns them in order with no overlaps.
 */
export function mergeChunkSegments(
  chunks: readonly { chunk: AudioChunk; segments: readonly TranscriptSegment[] }[],
): TranscriptSegment[] {
  const all: TranscriptSegment[] = [];
  for (const { chunk, segments } of chunks) {
    for (const s of segments) {
      const start = s.start + chunk.from;
      if (start < chunk.keepFrom || start >= chunk.keepUntil) continue;
      all.push({ start, end: s.end + chunk.from, text: s.text, ...(s.speaker ? { speaker: s.speaker } : {}) });
    }
  }
  all.sort((a, b) => a.start - b.start);
  const out: TranscriptSegment[] = [];
  let prevEnd = 0;
  for (const s of all) {
    const text = s.text.trim();
    if (!text) continue;
    const start = Math.max(s.start, prevEnd);
    const end = Math.max(s.end, start);
    out.push({ start: round3(start), end: round3(end), text, ...(s.speaker ? { speaker: s.speaker } : {}) });
    prevEnd = end;
  }
  return out;
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

/** Parses ffmpeg silencedetect output into silences. */
export function parseSilences(stderr: string): Silence[] {
  const out: Silence[] = [];
  let start: number | undefined;
  for (const line of stderr.split('\n')) {
    const s = /silence_start:\s*(-?[\d.]+)/.exec(line);
    if (s) start = Math.max(0, Number(s[1]));
    const e = /silence_end:\s*([\d.]+)/.exec(line);
    if (e && start !== undefined) {
      out.push({ start, end: Number(e[1]) });
      start = undefined;
    }
  }
  return out;
}
