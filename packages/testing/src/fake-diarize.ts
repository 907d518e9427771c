import { PCM_RATE, type SpeechRegion } from './speech-regions.ts';

/**
 * Speaker labels for the fake server's diarized_json, from the voices themselves: the
 * median pitch of each speech region (autocorrelation over voiced 40 ms frames). Two
 * espeak-ng voices far apart in pitch are told apart reliably; that is all tests need.
 */

const FRAME = Math.round(PCM_RATE * 0.04);
const MIN_HZ = 70;
const MAX_HZ = 400;

/** Median fundamental frequency (Hz) of the voiced frames in [start, end) seconds, or 0 when nothing is voiced. */
export function medianPitchHz(pcm: Int16Array, start = 0, end = pcm.length / PCM_RATE): number {
  const from = Math.max(0, Math.floor(start * PCM_RATE));
  const to = Math.min(pcm.length, Math.floor(end * PCM_RATE));
  const minLag = Math.floor(PCM_RATE / MAX_HZ);
  const maxLag = Math.ceil(PCM_RATE / MIN_HZ);
  const pitches: number[] = [];
  for (let f = from; f + FRAME + maxLag <= to; f += FRAME) {
    let energy = 0;
    for (let i = f; i < f + FRAME; i++) energy += pcm[i]! * pcm[i]!;
    if (Math.sqrt(energy / FRAME) < 500) continue;
    let bestLag = 0;
    let best = 0;
    for (let lag = minLag; lag <= maxLag; lag++) {
      let sum = 0;
      for (let i = f; i < f + FRAME; i++) sum += pcm[i]! * pcm[i + lag]!;
      if (sum > best) {
        best = sum;
        bestLag = lag;
      }
    }
    // A voiced frame correlates strongly with itself one period later.
    if (bestLag > 0 && best > 0.4 * energy) pitches.push(PCM_RATE / bestLag);
  }
  if (pitches.length === 0) return 0;
  pitches.sort((a, b) => a - b);
  return pitches[Math.floor(pitches.length / 2)]!;
}

export interface KnownVoice {
  name: string;
  pitchHz: number;
}

export interface DiarizedRegion extends SpeechRegion {
  speaker: string;
}

/** Pitches within this ratio of each other are one voice. */
const SAME_VOICE = 1.25;
const close = (a: number, b: number) => a > 0 && b > 0 && Math.max(a, b) / Math.min(a, b) <= SAME_VOICE;

/**
 * Labels each region with a speaker as the real API does: a known speaker's name when the
 * voice matches one of the references, otherwise capital letters in order of first
 * appearance (A, B, ...) within this request — so without references, labels are only
 * consistent inside one request.
 */
export function diarize(
  pcm: Int16Array,
  regions: readonly SpeechRegion[],
  known: readonly KnownVoice[] = [],
): DiarizedRegion[] {
  const voices: { name: string; pitchHz: number }[] = [];
  let next = 0;
  return regions.map((r) => {
    const pitch = medianPitchHz(pcm, r.start, r.end);
    const k = known.find((v) => close(v.pitchHz, pitch));
    if (k) return { ...r, speaker: k.name };
    let v = voices.find((x) => close(x.pitchHz, pitch));
    if (!v) {
      v = { name: String.fromCharCode(65 + next++), pitchHz: pitch };
      voices.push(v);
    }
    return { ...r, speaker: v.name };
  });
}
