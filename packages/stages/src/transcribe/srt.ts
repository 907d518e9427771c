export interface TimedText {
  tStart: number;
  tEnd: number;
  text: string;
}

/** HH:MM:SS,mmm */
export function srtTimestamp(seconds: number): string {
  const ms = Math.max(0, Math.round(seconds * 1000));
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = Math.floor((ms % 60_000) / 1000);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(h)}:${pad(m)}:${pad(s)},${pad(ms % 1000, 3)}`;
}

/** SubRip text: numbered from 1, cues in order, never overlapping, blank line between cues. */
export function toSrt(segments: readonly TimedText[]): string {
  const cues: string[] = [];
  let prevEnd = 0;
  let n = 0;
  for (const seg of segments) {
    const text = seg.text.replace(/\r/g, '').replace(/\n{2,}/g, '\n').trim();
    if (!text) continue;
    const start = Math.max(seg.tStart, prevEnd);
    const end = Math.max(seg.tEnd, start + 0.001);
    prevEnd = end;
    cues.push(`${++n}\n${srtTimestamp(start)} --> ${srtTimestamp(end)}\n${text}\n`);
  }
  return cues.join('\n');
}

/** HH:MM:SS.mmm (WebVTT uses a dot where SubRip has a comma). */
export function vttTimestamp(seconds: number): string {
  return srtTimestamp(seconds).replace(',', '.');
}

/** WebVTT for browsers' <track>: the same cues as toSrt, in the same order, never overlapping. */
export function toVtt(segments: readonly TimedText[]): string {
  const srt = toSrt(segments);
  if (!srt) return 'WEBVTT\n';
  const cues = srt.split('\n\n').map((cue) => {
    const [n, times, ...text] = cue.split('\n');
    return [n, times!.replace(/,/g, '.'), ...text].join('\n');
  });
  return `WEBVTT\n\n${cues.join('\n\n')}`;
}
