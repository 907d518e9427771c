export interface TimedText {
  tStart: number;
  tEnd: number;
  text: string;
  /** Speaker label from a diarized transcription ("A", "B"...); shown as `[Speaker A]` (SRT) or `<v Speaker A>` (VTT). */
  speaker?: string | null;
}

/** How a speaker label is shown: "A" becomes "Speaker A"; a name given as a known speaker stays as it is. */
export function speakerName(label: string): string {
  const clean = label.replace(/[<>[\]\r\n]/g, '').trim();
  return /^[A-Z]$/.test(clean) ? `Speaker ${clean}` : clean;
}

interface Cue {
  start: number;
  end: number;
  text: string;
  speaker?: string;
}

/** The cues both formats share: in order, never overlapping, empty text left out. */
function cues(segments: readonly TimedText[]): Cue[] {
  const out: Cue[] = [];
  let prevEnd = 0;
  for (const seg of segments) {
    const text = seg.text
      .replace(/\r/g, '')
      .replace(/\n{2,}/g, '\n')
      .trim();
    if (!text) continue;
    const start = Math.max(seg.tStart, prevEnd);
    const end = Math.max(seg.tEnd, start + 0.001);
    prevEnd = end;
    const speaker = seg.speaker ? speakerName(seg.speaker) : '';
    out.push({ start, end, text, ...(speaker ? { speaker } : {}) });
  }
  return out;
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
  return cues(segments)
    .map(
      (c, i) =>
        `${i + 1}\n${srtTimestamp(c.start)} --> ${srtTimestamp(c.end)}\n${c.speaker ? `[${c.speaker}] ` : ''}${c.text}\n`,
    )
    .join('\n');
}

/** HH:MM:SS.mmm (WebVTT uses a dot where SubRip has a comma). */
export function vttTimestamp(seconds: number): string {
  return srtTimestamp(seconds).replace(',', '.');
}

/** WebVTT for browsers' <track>: the same cues as toSrt, in the same order, never overlapping. */
export function toVtt(segments: readonly TimedText[]): string {
  const all = cues(segments);
  if (all.length === 0) return 'WEBVTT\n';
  // Cue text is not markup: &, < and > are escaped, so a transcript cannot open a tag.
  const escapeCueText = (t: string) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const body = all.map(
    (c, i) =>
      `${i + 1}\n${vttTimestamp(c.start)} --> ${vttTimestamp(c.end)}\n${c.speaker ? `<v ${escapeCueText(c.speaker)}>` : ''}${escapeCueText(c.text)}\n`,
  );
  return `WEBVTT\n\n${body.join('\n')}`;
}
