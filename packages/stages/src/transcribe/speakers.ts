import type { TranscriptSegment } from '@videoqa/core';

/** The API takes at most this many known speakers per request. */
export const MAX_KNOWN_SPEAKERS = 4;
/** Reference clips must be 2-10 s long. */
export const REFERENCE_MIN_SEC = 2;
export const REFERENCE_MAX_SEC = 10;

/** The name a speaker goes by in known_speaker_names: distinct from the API's own labels (single capitals). */
export const knownSpeakerName = (label: string): string => `Speaker ${label}`;

/**
 * Keeps one set of speaker labels (A, B, ...) across the chunks of a long recording. A
 * diarizing model labels speakers afresh in every request, so chunk 2's "A" need not be
 * chunk 1's "A". Speakers already heard are sent with the next chunk as known speakers
 * ("Speaker A" plus a clip of their voice); the model names them so when it recognises
 * them, and any other label in a reply is a speaker new to the recording, who gets the
 * next free letter. Labels are in order of first appearance.
 */
export class SpeakerLabels {
  private next = 0;
  private readonly known = new Set<string>();

  /** Labels used so far, in order. */
  get labels(): string[] {
    return [...this.known];
  }

  /** Replaces one reply's labels with recording-wide ones. Returns the segments and the labels new in this reply. */
  mapReply(segments: readonly TranscriptSegment[]): { segments: TranscriptSegment[]; added: string[] } {
    const local = new Map<string, string>();
    const added: string[] = [];
    const out = segments.map((s) => {
      if (!s.speaker) return { ...s };
      const named = /^Speaker ([A-Z]{1,2})$/.exec(s.speaker)?.[1];
      if (named && this.known.has(named)) return { ...s, speaker: named };
      let label = local.get(s.speaker);
      if (!label) {
        label = this.nextLabel();
        local.set(s.speaker, label);
        this.known.add(label);
        added.push(label);
      }
      return { ...s, speaker: label };
    });
    return { segments: out, added };
  }

  private nextLabel(): string {
    const n = this.next++;
    // A..Z, then AA, AB... (a 27th speaker is unlikely, but must not collide).
    return n < 26
      ? String.fromCharCode(65 + n)
      : String.fromCharCode(65 + Math.floor(n / 26) - 1) + String.fromCharCode(65 + (n % 26));
  }
}

/**
 * Where to cut a reference clip of one speaker: their longest turn, at most 10 s of it;
 * a turn under 2 s is widened to 2 s around its middle (inside the audio).
 */
export function referenceRange(
  segments: readonly TranscriptSegment[],
  speaker: string,
  audioSec: number,
): { start: number; end: number } | undefined {
  const turns = segments.filter((s) => s.speaker === speaker && s.end > s.start);
  if (turns.length === 0) return undefined;
  const longest = turns.reduce((a, b) => (b.end - b.start > a.end - a.start ? b : a));
  let start = longest.start;
  let end = Math.min(longest.end, start + REFERENCE_MAX_SEC);
  if (end - start < REFERENCE_MIN_SEC) {
    const mid = (start + end) / 2;
    start = Math.max(0, mid - REFERENCE_MIN_SEC / 2);
    end = Math.min(audioSec, start + REFERENCE_MIN_SEC);
    start = Math.max(0, end - REFERENCE_MIN_SEC);
  }
  return end - start >= REFERENCE_MIN_SEC - 1e-6 ? { start, end } : undefined;
}
