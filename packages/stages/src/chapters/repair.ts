import { VideoqaError, type ChapterDraft, type KeyPoint, type SummaryDraft } from '@videoqa/core';

/** Longest chapter title kept, characters (cut at a word boundary). */
export const MAX_TITLE_CHARS = 60;
export const MAX_KEY_POINTS = 7;
export const MAX_TAGS = 10;
const MAX_TAG_CHARS = 40;

export interface RepairContext {
  /** The range the chapters must cover: the whole video, or one window of it. */
  rangeStart: number;
  rangeEnd: number;
  /** Shortest chapter, seconds. */
  minChapterSec: number;
  /** Scene start times: chapter starts snap to the nearest one within snapSec. */
  sceneStarts: readonly number[];
  /** Transcript segment starts: the fallback snap targets (a chapter starts at a sentence, not inside one). */
  segmentStarts: readonly number[];
  /** How far a start may move when snapped (default: min(30, minChapterSec / 2)). */
  snapSec?: number;
}

export interface RepairedChapter {
  tStart: number;
  tEnd: number;
  title: string;
  summary: string;
}

export interface RepairedDraft {
  chapters: RepairedChapter[];
  summary: string;
  keyPoints: KeyPoint[];
  tags: string[];
  /** What was fixed, as short phrases (reported in the stage output; empty when nothing was). */
  repairs: string[];
}

/** The model's output cannot be turned into chapters: reported, never stored. */
export class ChaptersInvalidError extends VideoqaError {
  constructor(message: string) {
    // Retryable: a model's reply varies between calls; the job's attempts bound the cost.
    super('CHAPTERS_INVALID', `chapters reply rejected: ${message}`, true, {
      fix: 'try a stronger OPENAI_CHAT_MODEL, or set CHAPTERS_ENABLED=false',
    });
  }
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

/** A short title: no leading timestamp or numbering, one line, at most MAX_TITLE_CHARS at a word boundary. */
export function cleanTitle(title: string): string {
  let t = title.replace(/\s+/g, ' ').trim();
  t = t.replace(/^(\(?\d{1,2}(:\d{2}){1,2}\)?|chapter\s+\d+|\d+[.)])\s*[-–—:.]?\s*/i, '').trim();
  t = t
    .replace(/^["'“”‘’]+|["'“”‘’]+$/g, '')
    .replace(/[.:;,]+$/, '')
    .trim();
  if (t.length > MAX_TITLE_CHARS) {
    const cut = t.slice(0, MAX_TITLE_CHARS + 1);
    const space = cut.lastIndexOf(' ');
    t = (space > 20 ? cut.slice(0, space) : cut.slice(0, MAX_TITLE_CHARS)).replace(/[\s,.;:–—-]+$/, '');
  }
  return t;
}

/** Lowercase, trimmed, without '#', de-duplicated, at most MAX_TAGS. */
export function cleanTags(tags: readonly string[]): string[] {
  const out: string[] = [];
  for (const raw of tags) {
    const t = raw.toLowerCase().replace(/^#+/, '').replace(/\s+/g, ' ').trim().slice(0, MAX_TAG_CHARS).trim();
    if (t && !out.includes(t)) out.push(t);
    if (out.length === MAX_TAGS) break;
  }
  return out;
}

function nearest(targets: readonly number[], t: number, within: number, lo: number, hi: number): number | undefined {
  let best: number | undefined;
  for (const x of targets) {
    if (x <= lo || x >= hi || Math.abs(x - t) > within) continue;
    if (best === undefined || Math.abs(x - t) < Math.abs(best - t)) best = x;
  }
  return best;
}

/**
 * Turns a model's draft into chapters that cover [rangeStart, rangeEnd] exactly: chapters
 * wholly outside the range are dropped, the rest clamped and sorted; each chapter ends where
 * the next starts (so overlaps and gaps cannot survive); starts snap to the nearest scene
 * start (else the nearest segment start) within snapSec; chapters shorter than minChapterSec
 * are merged into a neighbour. Key points are clamped into the range, tags cleaned.
 * Throws ChaptersInvalidError when nothing usable is left: no chapter inside the range, a
 * chapter without a title, or no summary.
 */
export function repairDraft(draft: ChapterDraft, ctx: RepairContext): RepairedDraft {
  const { rangeStart, rangeEnd, minChapterSec } = ctx;
  if (!(rangeEnd > rangeStart)) throw new ChaptersInvalidError(`empty time range ${rangeStart}–${rangeEnd} s`);
  const repairs: string[] = [];
  const snapSec = ctx.snapSec ?? Math.min(30, minChapterSec / 2);

  const untitled = draft.chapters.findIndex((c) => cleanTitle(c.title) === '');
  if (untitled >= 0) throw new ChaptersInvalidError(`chapter ${untitled + 1} of ${draft.chapters.length} has no title`);
  const inside = draft.chapters.filter(
    (c) =>
      Number.isFinite(c.t_start) &&
      Number.isFinite(c.t_end) &&
      c.t_start < rangeEnd &&
      Math.max(c.t_start, c.t_end) > rangeStart,
  );
  if (inside.length < draft.chapters.length)
    repairs.push(
      `${draft.chapters.length - inside.length} chapter(s) outside ${round3(rangeStart)}–${round3(rangeEnd)} s dropped`,
    );
  if (inside.length === 0)
    throw new ChaptersInvalidError(
      `none of the ${draft.chapters.length} chapter(s) lies inside ${round3(rangeStart)}–${round3(rangeEnd)} s`,
    );
  const sorted = inside
    .map((c, i) => ({ ...c, t_start: Math.min(Math.max(c.t_start, rangeStart), rangeEnd), order: i }))
    .sort((a, b) => a.t_start - b.t_start || a.order - b.order);
  if (sorted.some((c, i) => c.order !== i)) repairs.push('chapters sorted by start time');
  if (inside.some((c) => c.t_start < rangeStart || c.t_end > rangeEnd))
    repairs.push('chapter times clamped to the range');
  const overlapsOrGaps = sorted.some((c, i) => i > 0 && Math.abs(sorted[i - 1]!.t_end - c.t_start) > 0.5);
  if (overlapsOrGaps) repairs.push('overlaps and gaps closed (each chapter ends where the next starts)');

  // Snap, then drop chapters whose start coincides with the previous one (the earlier one wins).
  let pieces: RepairedChapter[] = [];
  for (const [i, c] of sorted.entries()) {
    let start = i === 0 ? rangeStart : c.t_start;
    if (i > 0)
      start =
        nearest(ctx.sceneStarts, start, snapSec, rangeStart, rangeEnd) ??
        nearest(ctx.segmentStarts, start, snapSec, rangeStart, rangeEnd) ??
        start;
    if (pieces.length > 0 && start <= pieces.at(-1)!.tStart + 1e-6) continue;
    pieces.push({
      tStart: start,
      tEnd: rangeEnd,
      title: cleanTitle(c.title),
      summary: c.summary.replace(/\s+/g, ' ').trim(),
    });
  }
  pieces = pieces.map((p, i) => ({ ...p, tEnd: pieces[i + 1]?.tStart ?? rangeEnd }));

  // At most one chapter per minChapterSec: merge the shortest short chapter into its shorter neighbour.
  let merged = 0;
  for (;;) {
    if (pieces.length < 2) break;
    const lengths = pieces.map((p) => p.tEnd - p.tStart);
    let shortest = -1;
    for (let i = 0; i < pieces.length; i++)
      if (lengths[i]! < minChapterSec - 1e-6 && (shortest < 0 || lengths[i]! < lengths[shortest]!)) shortest = i;
    if (shortest < 0) break;
    const before = shortest - 1;
    const after = shortest + 1;
    const other =
      after >= pieces.length ? before : before < 0 ? after : lengths[before]! <= lengths[after]! ? before : after;
    const [a, b] = other < shortest ? [other, shortest] : [shortest, other];
    const keep = lengths[a]! >= lengths[b]! ? pieces[a]! : pieces[b]!;
    pieces.splice(a, 2, { ...keep, tStart: pieces[a]!.tStart, tEnd: pieces[b]!.tEnd });
    merged++;
  }
  if (merged > 0) repairs.push(`${merged} chapter(s) shorter than ${minChapterSec} s merged into a neighbour`);

  const rest = repairSummary(draft, ctx);
  repairs.push(...rest.repairs);

  return { ...rest, chapters: pieces.map((p) => ({ ...p, tStart: round3(p.tStart), tEnd: round3(p.tEnd) })), repairs };
}

/**
 * The summary part of a draft, checked against the range: a non-empty summary (else
 * ChaptersInvalidError), key points with text, inside the range (clamped), in time order,
 * de-duplicated; tags cleaned.
 */
export function repairSummary(
  draft: SummaryDraft,
  ctx: Pick<RepairContext, 'rangeStart' | 'rangeEnd'>,
): Omit<RepairedDraft, 'chapters'> {
  const { rangeStart, rangeEnd } = ctx;
  const repairs: string[] = [];
  const summary = draft.summary.replace(/\s+/g, ' ').trim();
  if (!summary) throw new ChaptersInvalidError('the summary is empty');

  const keyPoints: KeyPoint[] = [];
  let droppedPoints = 0;
  for (const k of draft.key_points) {
    const text = k.text.replace(/\s+/g, ' ').trim();
    const [a, b] = [Math.min(k.t_start, k.t_end), Math.max(k.t_start, k.t_end)];
    if (
      !text ||
      !Number.isFinite(a) ||
      !Number.isFinite(b) ||
      a >= rangeEnd ||
      b <= rangeStart ||
      keyPoints.some((p) => p.text === text)
    ) {
      droppedPoints++;
      continue;
    }
    keyPoints.push({ text, tStart: round3(Math.max(a, rangeStart)), tEnd: round3(Math.min(b, rangeEnd)) });
  }
  if (droppedPoints > 0) repairs.push(`${droppedPoints} key point(s) without text or outside the range dropped`);
  keyPoints.sort((x, y) => x.tStart - y.tStart);

  return { summary, keyPoints, tags: cleanTags(draft.tags), repairs };
}

/** The key points to keep for a whole video: at most MAX_KEY_POINTS, spread over the video in time order. */
export function pickKeyPoints(points: readonly KeyPoint[]): KeyPoint[] {
  if (points.length <= MAX_KEY_POINTS) return [...points];
  // Evenly spaced picks keep the end of a long video represented, not just its first windows.
  const step = points.length / MAX_KEY_POINTS;
  return Array.from({ length: MAX_KEY_POINTS }, (_, i) => points[Math.floor(i * step)]!);
}

/**
 * The summary part of a repaired result, as a merge request carries it: at most
 * MAX_KEY_POINTS key points and MAX_TAGS tags, so a merge prompt stays bounded whatever
 * the model returned.
 */
export function toSummaryDraft(r: Omit<RepairedDraft, 'chapters'>): SummaryDraft {
  return {
    summary: r.summary,
    key_points: pickKeyPoints(r.keyPoints).map((k) => ({ text: k.text, t_start: k.tStart, t_end: k.tEnd })),
    tags: r.tags,
  };
}
