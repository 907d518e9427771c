import type { EmbeddingsProvider, Passage, Usage } from '@videoqa/core';
import type { Queryable } from './db.ts';
import { searchContent, type SearchHit, type SearchOptions } from './search.ts';

export interface RetrieveOptions {
  /** One video, or the whole library when absent. */
  videoId?: string;
  /** Most passages returned (default 8). */
  limit?: number;
  /** Embeds the question; without it retrieval is full-text only. */
  embeddings?: EmbeddingsProvider;
  /** Estimated tokens all passages may take together (default 3000). */
  tokenBudget?: number;
  /** Transcript segments are merged into windows of this many seconds (default 30). */
  windowSec?: number;
  /** Which search lists to fuse (default both); see SearchOptions.methods. */
  methods?: SearchOptions['methods'];
  signal?: AbortSignal;
}

export interface RetrievedPassages {
  passages: Passage[];
  /** Embedding requests and tokens spent on the question. */
  usage: Usage;
}

interface SegmentRow {
  id: string;
  video_id: string;
  t_start: number;
  t_end: number;
  text: string;
  speaker: string | null;
  idx: number;
  cell: number;
}

/**
 * Segment texts as a passage shows them: `[Speaker A]` where the speaker changes (diarized
 * transcripts), so the model knows who said what; plain text otherwise.
 */
const spokenTexts = (rows: readonly Pick<SegmentRow, 'text' | 'speaker'>[]): string[] =>
  rows.map((r, i) =>
    r.speaker && r.speaker !== rows[i - 1]?.speaker ? `[Speaker ${r.speaker}] ${r.text.trim()}` : r.text.trim(),
  );

interface SceneCaptionRow {
  video_id: string;
  t_start: number;
  t_end: number;
  caption: string;
  entities: { text?: unknown } | null;
}

/** Passages whose word sets overlap this much (Jaccard) say the same thing; the lower-ranked one goes. */
const NEAR_DUPLICATE = 0.8;
/** Per-passage overhead in the prompt (id, times, JSON keys), in tokens. */
const PASSAGE_OVERHEAD_TOKENS = 24;

/** Rough token count (about four characters per token for English), enough to keep a prompt in budget. */
export const estimateTokens = (text: string): number => Math.ceil(text.length / 4);

/** A caption with the text readable on screen, as one passage text. */
export function captionText(caption: string, entities: { text?: unknown } | null | undefined): string {
  const onScreen = Array.isArray(entities?.text)
    ? (entities.text as unknown[]).filter((t): t is string => typeof t === 'string' && t.trim() !== '')
    : [];
  return onScreen.length > 0 ? `${caption} On screen: ${onScreen.map((t) => `"${t}"`).join(', ')}.` : caption;
}

const passageId = (videoId: string, kind: string, t: number) => `${videoId}:${kind}:${t.toFixed(1)}`;

const words = (text: string) => new Set(text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []);

function jaccard(a: Set<string>, b: Set<string>): number {
  if (a.size === 0 && b.size === 0) return 1;
  let shared = 0;
  for (const w of a) if (b.has(w)) shared++;
  return shared / (a.size + b.size - shared);
}

/** An embeddings provider that counts what the wrapped one spends. */
function counting(provider: EmbeddingsProvider, usage: Usage): EmbeddingsProvider {
  return {
    name: provider.name,
    dimensions: provider.dimensions,
    maxBatchSize: provider.maxBatchSize,
    async embed(texts, opts) {
      const res = await provider.embed(texts, opts);
      usage.embeddingRequests = (usage.embeddingRequests ?? 0) + 1;
      usage.embeddingTokens = (usage.embeddingTokens ?? 0) + (res.usage?.totalTokens ?? res.usage?.inputTokens ?? 0);
      return res;
    },
  };
}

/**
 * Evidence for a question: hybrid search (vectors + full text, as
 * searchContent) over transcript segments and frame captions, turned into
 * passages a model can read and cite.
 *
 * - Transcript hits grow into windows: every segment starting in the same
 *   `windowSec` slot of the video (a fixed grid, so a window's id and text are
 *   the same whatever the question, and two hits in one slot make one passage).
 * - A window carries the caption of the scene its best hit falls in.
 * - Caption hits become passages of their own, with the scene's time range and
 *   on-screen text, unless a window above already carries that caption.
 * - Near-duplicates (same words, e.g. an intro repeated in every video) are dropped.
 * - Passages are taken best first while they fit the token budget.
 */
export async function retrievePassages(
  db: Queryable,
  question: string,
  options: RetrieveOptions = {},
): Promise<RetrievedPassages> {
  const limit = Math.max(1, Math.min(options.limit ?? 8, 50));
  const budget = Math.max(50, options.tokenBudget ?? 3000);
  const windowSec = options.windowSec ?? 30;
  const usage: Usage = {};
  const hits = await searchContent(db, question, {
    limit: Math.min(200, Math.max(limit * 5, 40)),
    videoId: options.videoId,
    embeddings: options.embeddings ? counting(options.embeddings, usage) : undefined,
    methods: options.methods,
    signal: options.signal,
  });
  if (hits.length === 0) return { passages: [], usage };

  // Slots hit, best first; the first hit of a slot is its best (hits come sorted by score).
  const slots = new Map<string, { videoId: string; cell: number; best: SearchHit }>();
  for (const h of hits) {
    if (h.kind !== 'segment') continue;
    const cell = Math.floor(h.tStart / windowSec);
    const key = `${h.videoId}\u0000${cell}`;
    if (!slots.has(key)) slots.set(key, { videoId: h.videoId, cell, best: h });
  }
  const segmentsBySlot = await loadSlotSegments(db, [...slots.values()], windowSec);
  await finishTurns(db, segmentsBySlot, windowSec);
  const scenes = await loadSceneCaptions(db, hits);
  const captionIds = hits.filter((h) => h.kind === 'caption').map((h) => h.id);
  const entities = new Map(
    captionIds.length === 0
      ? []
      : (
          await db.query<{ id: string; entities: { text?: unknown } | null }>(
            'SELECT id, entities FROM frame_captions WHERE id = ANY($1::text[])',
            [captionIds],
          )
        ).rows.map((r) => [r.id, r.entities]),
  );
  const sceneAt = (videoId: string, t: number) =>
    scenes.find((s) => s.video_id === videoId && s.t_start <= t && t < s.t_end);

  const candidates: Passage[] = [];
  const slotDone = new Set<string>();
  for (const h of hits) {
    if (h.kind === 'caption') {
      candidates.push({
        id: passageId(h.videoId, 'caption', h.frame?.t ?? h.tStart),
        videoId: h.videoId,
        kind: 'caption',
        tStart: h.tStart,
        tEnd: h.tEnd,
        text: captionText(h.text, entities.get(h.id)),
        score: h.score,
        sources: [h.id],
      });
      continue;
    }
    if (h.kind === 'annotation') {
      // A plugin's text about a stretch of the video (Store.replaceAnnotations): a passage of its own, labelled with its kind.
      candidates.push({
        id: passageId(h.videoId, 'annotation', h.tStart),
        videoId: h.videoId,
        kind: 'annotation',
        tStart: h.tStart,
        tEnd: h.tEnd,
        text: h.annotation ? `${h.annotation.kind}: ${h.text}` : h.text,
        score: h.score,
        sources: [h.id],
      });
      continue;
    }
    if (h.kind === 'chapter' || h.kind === 'summary') {
      // Written by the chapters stage from the video's own text: evidence about what a stretch (or the whole video) covers.
      candidates.push({
        id: passageId(h.videoId, h.kind, h.tStart),
        videoId: h.videoId,
        kind: h.kind,
        tStart: h.tStart,
        tEnd: h.tEnd,
        text: h.text,
        score: h.score,
        sources: [h.id],
      });
      continue;
    }
    if (h.kind === 'ocr') {
      // Text on screen (slides, UIs) is evidence of its own: a passage at its keyframe.
      candidates.push({
        id: passageId(h.videoId, 'ocr', h.frame?.t ?? h.tStart),
        videoId: h.videoId,
        kind: 'ocr',
        tStart: h.tStart,
        tEnd: h.tEnd,
        text: h.text,
        score: h.score,
        sources: [h.id],
      });
      continue;
    }
    const key = `${h.videoId}\u0000${Math.floor(h.tStart / windowSec)}`;
    if (slotDone.has(key)) continue;
    slotDone.add(key);
    const rows = segmentsBySlot.get(key) ?? [];
    if (rows.length === 0) continue;
    const scene = sceneAt(h.videoId, (h.tStart + h.tEnd) / 2);
    candidates.push({
      id: passageId(h.videoId, 'segment', rows[0]!.t_start),
      videoId: h.videoId,
      kind: 'segment',
      tStart: rows[0]!.t_start,
      tEnd: Math.max(...rows.map((r) => r.t_end)),
      text: spokenTexts(rows).join(' '),
      ...(scene ? { sceneCaption: captionText(scene.caption, scene.entities) } : {}),
      score: h.score,
      sources: rows.map((r) => r.id),
      parts: spokenTexts(rows).map((text, i) => ({ tStart: rows[i]!.t_start, tEnd: rows[i]!.t_end, text })),
    });
  }

  // A caption that already rides on an overlapping window as its scene adds nothing: fold it into the window.
  const windows = candidates.filter((p) => p.kind === 'segment');
  const merged = candidates.filter((c) => {
    if (c.kind !== 'caption') return true;
    const w = windows.find(
      (p) => p.videoId === c.videoId && p.sceneCaption === c.text && p.tStart < c.tEnd && c.tStart < p.tEnd,
    );
    if (w) w.score = Math.max(w.score, c.score);
    return !w;
  });
  merged.sort((a, b) => b.score - a.score || a.id.localeCompare(b.id));

  const kept: Passage[] = [];
  const keptWords: Set<string>[] = [];
  let used = 0;
  for (const p of merged) {
    if (kept.length >= limit) break;
    if (kept.some((k) => k.id === p.id)) continue;
    const w = words(p.text);
    if (keptWords.some((k) => jaccard(k, w) >= NEAR_DUPLICATE)) continue;
    const cost = estimateTokens(p.text) + estimateTokens(p.sceneCaption ?? '') + PASSAGE_OVERHEAD_TOKENS;
    if (used + cost > budget) {
      // The best passage always goes in, cut to the budget; later ones only if they fit whole.
      if (kept.length > 0) continue;
      const room = Math.max(0, (budget - PASSAGE_OVERHEAD_TOKENS) * 4);
      p.text = p.text.slice(0, room).replace(/\s+\S*$/, '');
      delete p.sceneCaption;
      delete p.parts;
    }
    used += estimateTokens(p.text) + estimateTokens(p.sceneCaption ?? '') + PASSAGE_OVERHEAD_TOKENS;
    kept.push(p);
    keptWords.push(w);
  }
  return { passages: kept, usage };
}

/**
 * A window whose last segment has a speaker runs on to the end of that speaker's turn (at
 * most one more window's length), so a passage does not stop in the middle of what
 * someone is saying. Undiarized transcripts are left as they are.
 */
async function finishTurns(db: Queryable, slots: Map<string, SegmentRow[]>, windowSec: number): Promise<void> {
  for (const rows of slots.values()) {
    const last = rows.at(-1);
    if (!last?.speaker) continue;
    const next = await db.query<SegmentRow>(
      `SELECT id, video_id, t_start, t_end, text, speaker, idx, -1 AS cell FROM transcript_segments
        WHERE video_id = $1 AND idx > $2 AND t_start < $3 ORDER BY idx LIMIT 100`,
      [last.video_id, last.idx, last.t_start + windowSec],
    );
    for (const r of next.rows) {
      if (r.speaker !== last.speaker) break;
      rows.push(r);
    }
  }
}

/** Every segment starting in the hit slots, per slot, in order. One query per video. */
async function loadSlotSegments(
  db: Queryable,
  slots: { videoId: string; cell: number }[],
  windowSec: number,
): Promise<Map<string, SegmentRow[]>> {
  const cellsByVideo = new Map<string, number[]>();
  for (const s of slots) cellsByVideo.set(s.videoId, [...(cellsByVideo.get(s.videoId) ?? []), s.cell]);
  const out = new Map<string, SegmentRow[]>();
  for (const [videoId, cells] of cellsByVideo) {
    const res = await db.query<SegmentRow>(
      `SELECT id, video_id, t_start, t_end, text, speaker, idx, floor(t_start / $2)::int AS cell
         FROM transcript_segments
        WHERE video_id = $1 AND floor(t_start / $2)::int = ANY($3::int[])
        ORDER BY idx`,
      [videoId, windowSec, cells],
    );
    for (const r of res.rows) {
      const key = `${videoId}\u0000${r.cell}`;
      out.set(key, [...(out.get(key) ?? []), r]);
    }
  }
  return out;
}

/**
 * Scenes of the hit videos with the caption of their first captioned frame
 * (a duplicate frame borrows the caption of the frame it repeats).
 */
async function loadSceneCaptions(db: Queryable, hits: readonly SearchHit[]): Promise<SceneCaptionRow[]> {
  const videos = [...new Set(hits.map((h) => h.videoId))];
  const res = await db.query<SceneCaptionRow>(
    `SELECT DISTINCT ON (sc.id) sc.video_id, sc.t_start, sc.t_end, c.caption, c.entities
       FROM scenes sc
       JOIN frames f ON f.scene_id = sc.id
       JOIN frame_captions c ON c.frame_id = coalesce(f.duplicate_of, f.id)
      WHERE sc.video_id = ANY($1::text[])
      ORDER BY sc.id, f.idx`,
    [videos],
  );
  return res.rows.sort((a, b) => a.video_id.localeCompare(b.video_id) || a.t_start - b.t_start);
}
