import type { EmbeddingsProvider } from '@videoqa/core';
import type { Queryable } from './db.ts';
import { embeddingLiteral } from './pg-store.ts';
import { vectorColumnsInUse } from './migrate.ts';
import { storedEmbeddingDimensions } from './embedding-dimensions.ts';

/** segment: transcript; caption, ocr: a keyframe; chapter: a chapter's title and summary; summary: a video's summary, key points and tags. */
export type SearchKind = 'segment' | 'caption' | 'ocr' | 'chapter' | 'summary' | 'annotation';

/** Every kind, in the order lists are gathered. */
export const SEARCH_KINDS: readonly SearchKind[] = ['segment', 'caption', 'ocr', 'chapter', 'summary', 'annotation'];

export interface SearchHit {
  videoId: string;
  kind: SearchKind;
  /** Segment, caption or OCR row id. */
  id: string;
  /** Time range: the segment's, or the scene's for a caption. */
  tStart: number;
  tEnd: number;
  text: string;
  /** Reciprocal-rank-fusion score (higher is better). */
  score: number;
  /** For captions and OCR text: the frame, its time and image path (relative to DATA_DIR). */
  frame?: { id: string; t: number; path: string };
  /** For transcript segments of a diarized transcription: the speaker label (e.g. "A"). */
  speaker?: string;
  /** For annotations: the stage that wrote it and its own kind label (Store.replaceAnnotations). */
  annotation?: { stage: string; kind: string };
  /** Rank in each list that found it (1-based). */
  ranks: { vector?: number; text?: number };
}

export interface SearchOptions {
  limit?: number;
  videoId?: string;
  kinds?: readonly SearchKind[];
  /** Embeds the query; without it the search is full-text only. */
  embeddings?: EmbeddingsProvider;
  /** Which ranked lists to fuse (default both; vector needs `embeddings`). For comparing methods. */
  methods?: readonly ('vector' | 'text')[];
  signal?: AbortSignal;
}

/** RRF constant from Cormack et al.; dampens the weight of the very top ranks. */
const RRF_K = 60;

interface Row {
  id: string;
  video_id: string;
  t_start: number;
  t_end: number;
  text: string;
  frame_id: string | null;
  frame_t: number | null;
  frame_path: string | null;
  speaker: string | null;
  ann_stage: string | null;
  ann_kind: string | null;
  /** Distance (vector list, lower is better) or text rank (higher is better). */
  score: number;
}

const SOURCES: Record<SearchKind, { from: string; columns: string; alias: string }> = {
  segment: {
    from: 'transcript_segments s',
    alias: 's',
    columns:
      's.id, s.video_id, s.t_start, s.t_end, s.text, NULL::text AS frame_id, NULL::float8 AS frame_t, NULL::text AS frame_path, s.speaker, NULL::text AS ann_stage, NULL::text AS ann_kind',
  },
  caption: {
    from: 'frame_captions c JOIN frames f ON f.id = c.frame_id JOIN scenes sc ON sc.id = f.scene_id',
    alias: 'c',
    columns:
      'c.id, c.video_id, sc.t_start, sc.t_end, c.caption AS text, f.id AS frame_id, f.t AS frame_t, f.path AS frame_path, NULL::text AS speaker, NULL::text AS ann_stage, NULL::text AS ann_kind',
  },
  ocr: {
    from: 'frame_ocr o JOIN frames f ON f.id = o.frame_id JOIN scenes sc ON sc.id = f.scene_id',
    alias: 'o',
    columns:
      'o.id, o.video_id, sc.t_start, sc.t_end, o.text, f.id AS frame_id, f.t AS frame_t, f.path AS frame_path, NULL::text AS speaker, NULL::text AS ann_stage, NULL::text AS ann_kind',
  },
  chapter: {
    from: 'video_chapters ch',
    alias: 'ch',
    columns:
      "ch.id, ch.video_id, ch.t_start, ch.t_end, ch.title || ': ' || ch.summary AS text, NULL::text AS frame_id, NULL::float8 AS frame_t, NULL::text AS frame_path, NULL::text AS speaker, NULL::text AS ann_stage, NULL::text AS ann_kind",
  },
  // The whole video: its summary with the key points, from 0 to its duration.
  summary: {
    from: 'video_summaries su JOIN videos v ON v.id = su.video_id',
    alias: 'su',
    columns: `su.video_id || '_summary' AS id, su.video_id, 0::float8 AS t_start, coalesce(v.duration_sec, 0)::float8 AS t_end,
      su.summary || coalesce(' Key points: ' || (SELECT string_agg(k->>'text', '; ' ORDER BY ord) FROM jsonb_array_elements(su.key_points) WITH ORDINALITY AS e(k, ord)) || '.', '') AS text,
      NULL::text AS frame_id, NULL::float8 AS frame_t, NULL::text AS frame_path, NULL::text AS speaker, NULL::text AS ann_stage, NULL::text AS ann_kind`,
  },
  // Text stage plugins stored (Store.replaceAnnotations).
  annotation: {
    from: 'annotations an',
    alias: 'an',
    columns:
      'an.id, an.video_id, an.t_start, an.t_end, an.text, NULL::text AS frame_id, NULL::float8 AS frame_t, NULL::text AS frame_path, NULL::text AS speaker, an.stage AS ann_stage, an.kind AS ann_kind',
  },
};

async function vectorCandidates(
  db: Queryable,
  kind: SearchKind,
  vector: readonly number[],
  pgvector: boolean,
  n: number,
  videoId?: string,
): Promise<Row[]> {
  const { from, columns, alias } = SOURCES[kind];
  // A query vector of another size than the columns is refused with the reembed hint, not a driver error.
  const literal = embeddingLiteral(vector, pgvector, (await storedEmbeddingDimensions(db)) ?? vector.length);
  // Without pgvector, cosine similarity is computed over real[] in SQL: exact, slower, same ranking.
  const distance = pgvector
    ? `${alias}.embedding <=> $1::vector`
    : `1 - (SELECT sum(a * b) FROM unnest(${alias}.embedding, $1::real[]) AS u(a, b)) / nullif(sqrt((SELECT sum(a * a) FROM unnest(${alias}.embedding) AS u(a))) * sqrt((SELECT sum(b * b) FROM unnest($1::real[]) AS u(b))), 0)`;
  const res = await db.query<Row>(
    `SELECT ${columns}, (${distance})::float8 AS score FROM ${from}
      WHERE ${alias}.embedding IS NOT NULL AND ($3::text IS NULL OR ${alias}.video_id = $3)
      ORDER BY score, id LIMIT $2`,
    [literal, n, videoId ?? null],
  );
  return res.rows;
}

async function textCandidates(
  db: Queryable,
  kind: SearchKind,
  query: string,
  n: number,
  videoId?: string,
): Promise<Row[]> {
  const { from, columns, alias } = SOURCES[kind];
  // Any of the words (OR), ranked by cover density: natural-language queries rarely match every word.
  const res = await db.query<Row>(
    `WITH q AS (SELECT nullif(replace(plainto_tsquery('english', $1)::text, '&', '|'), '') AS t)
     SELECT ${columns}, ts_rank_cd(${alias}.tsv, to_tsquery('english', q.t))::float8 AS score FROM ${from}, q
      WHERE q.t IS NOT NULL AND ${alias}.tsv @@ to_tsquery('english', q.t) AND ($3::text IS NULL OR ${alias}.video_id = $3)
      ORDER BY score DESC, id
      LIMIT $2`,
    [query, n, videoId ?? null],
  );
  return res.rows;
}

/**
 * Hybrid search over transcript segments, frame captions, OCR text, chapters and video summaries: vector nearest
 * neighbours and Postgres full-text search, fused by reciprocal rank.
 * Works on pgvector and real[] schemas alike.
 */
export async function searchContent(db: Queryable, query: string, options: SearchOptions = {}): Promise<SearchHit[]> {
  const text = query.trim();
  if (text.length === 0) return [];
  const limit = Math.max(1, Math.min(options.limit ?? 10, 200));
  const candidates = Math.max(limit * 4, 40);
  const kinds = options.kinds ?? SEARCH_KINDS;
  const pgvector = await vectorColumnsInUse(db);
  const queryVector =
    options.embeddings && (options.methods?.includes('vector') ?? true)
      ? (await options.embeddings.embed([text], { signal: options.signal })).vectors[0]
      : undefined;

  // One ranked list per method, across both kinds: vector by distance, text by rank.
  const vectorList: [SearchKind, Row][] = [];
  const textList: [SearchKind, Row][] = [];
  const useText = options.methods?.includes('text') ?? true;
  for (const kind of kinds) {
    if (queryVector)
      for (const r of await vectorCandidates(db, kind, queryVector, pgvector, candidates, options.videoId))
        vectorList.push([kind, r]);
    if (useText)
      for (const r of await textCandidates(db, kind, text, candidates, options.videoId)) textList.push([kind, r]);
  }
  vectorList.sort((a, b) => a[1].score - b[1].score);
  textList.sort((a, b) => b[1].score - a[1].score);

  const fused = new Map<string, SearchHit>();
  const add = (list: [SearchKind, Row][], method: 'vector' | 'text') => {
    list.slice(0, candidates).forEach(([kind, r], i) => {
      const key = `${kind}:${r.id}`;
      const hit =
        fused.get(key) ??
        ({
          videoId: r.video_id,
          kind,
          id: r.id,
          tStart: r.t_start,
          tEnd: r.t_end,
          text: r.text,
          score: 0,
          ranks: {},
          ...(r.frame_id ? { frame: { id: r.frame_id, t: r.frame_t ?? r.t_start, path: r.frame_path ?? '' } } : {}),
          ...(r.speaker ? { speaker: r.speaker } : {}),
          ...(r.ann_stage ? { annotation: { stage: r.ann_stage, kind: r.ann_kind ?? '' } } : {}),
        } satisfies SearchHit);
      hit.score += 1 / (RRF_K + i + 1);
      hit.ranks[method] = i + 1;
      fused.set(key, hit);
    });
  };
  add(vectorList, 'vector');
  add(textList, 'text');
  return [...fused.values()].sort((a, b) => b.score - a.score || a.id.localeCompare(b.id)).slice(0, limit);
}
