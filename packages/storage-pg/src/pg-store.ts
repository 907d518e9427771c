import {
  VideoNotFoundError,
  VideoqaError,
  type AnnotationRow,
  type CaptionRow,
  type ChapterRow,
  type VideoSummaryRow,
  type OcrRow,
  type EmbeddingKind,
  type EmbeddingUpdate,
  type FrameRow,
  type SceneRow,
  type SegmentRow,
  type StageRunRecord,
  type Store,
  type VideoPatch,
  type VideoRecord,
} from '@videoqa/core';
import type { Db, Queryable } from './db.ts';
import { EMBEDDING_DIMENSIONS, vectorColumnsInUse } from './migrate.ts';
import { storedEmbeddingDimensions } from './embedding-dimensions.ts';

const EMBEDDING_TABLES: Record<EmbeddingKind, string> = {
  segment: 'transcript_segments',
  caption: 'frame_captions',
  ocr: 'frame_ocr',
  chapter: 'video_chapters',
  summary: 'video_summaries',
  annotation: 'annotations',
};
/** The key of each table's rows (a summary is keyed by its video). */
const EMBEDDING_KEYS: Record<EmbeddingKind, string> = {
  segment: 'id',
  caption: 'id',
  ocr: 'id',
  chapter: 'id',
  summary: 'video_id',
  annotation: 'id',
};
/** Rows per UPDATE when writing vectors: ~1536 floats each keeps a statement near 10 MB. */
const EMBEDDING_BATCH = 250;

interface VideoRow {
  id: string;
  original_path: string | null;
  normalized_path: string | null;
  duration_sec: number | null;
  status: VideoRecord['status'];
  error: string | null;
  upload_removed_at?: Date | null;
  normalized_removed_at?: Date | null;
}

export function videoFromRow(r: VideoRow): VideoRecord {
  return {
    id: r.id,
    originalPath: r.original_path ?? '',
    normalizedPath: r.normalized_path,
    durationSec: r.duration_sec,
    status: r.status,
    error: r.error,
    ...(r.upload_removed_at !== undefined
      ? { uploadRemovedAt: r.upload_removed_at && new Date(r.upload_removed_at) }
      : {}),
    ...(r.normalized_removed_at !== undefined
      ? { normalizedRemovedAt: r.normalized_removed_at && new Date(r.normalized_removed_at) }
      : {}),
  };
}

/** A vector as the literal pgvector ('[1,2]') or real[] ('{1,2}') parses. */
export function embeddingLiteral(
  values: readonly number[],
  vector: boolean,
  dimensions: number = EMBEDDING_DIMENSIONS,
): string {
  if (values.length !== dimensions) {
    throw new VideoqaError(
      'EMBEDDING_DIMENSIONS',
      `Embedding has ${values.length} dimensions; the schema stores ${dimensions}`,
      false,
      {
        fix: `set OPENAI_EMBEDDING_DIMENSIONS to what the model returns (${values.length}) and run videoqa reembed, or use a model of ${dimensions} dimensions`,
      },
    );
  }
  for (const v of values)
    if (!Number.isFinite(v))
      throw new VideoqaError('EMBEDDING_INVALID', 'Embedding contains a non-finite number', false);
  const body = values.join(',');
  return vector ? `[${body}]` : `{${body}}`;
}

/**
 * The Store of core, on PostgreSQL or PGlite. Each replace* is one transaction:
 * delete the video's rows, bulk insert the new ones with one statement (unnest of
 * arrays), so a rerun never duplicates and a crash leaves the old rows intact.
 */
export class PgStore implements Store {
  readonly db: Db;
  private vectorMode: Promise<boolean> | undefined;
  private dimensionsRead: Promise<number> | undefined;

  constructor(db: Db) {
    this.db = db;
  }

  /** true when embeddings are pgvector columns, false for real[]. */
  usesPgvector(): Promise<boolean> {
    this.vectorMode ??= vectorColumnsInUse(this.db);
    return this.vectorMode;
  }

  /** The size the schema's vector columns hold (1536 on a schema older than migration 006). */
  embeddingDimensions(): Promise<number> {
    this.dimensionsRead ??= storedEmbeddingDimensions(this.db).then((n) => n ?? EMBEDDING_DIMENSIONS);
    return this.dimensionsRead;
  }

  /** Forget the cached schema facts (after `reembed` changed the vector columns). */
  forgetSchemaCache(): void {
    this.vectorMode = undefined;
    this.dimensionsRead = undefined;
  }

  async getVideo(id: string): Promise<VideoRecord | null> {
    const res = await this.db.query<VideoRow>(
      'SELECT id, original_path, normalized_path, duration_sec, status, error, upload_removed_at, normalized_removed_at FROM videos WHERE id = $1',
      [id],
    );
    return res.rows[0] ? videoFromRow(res.rows[0]) : null;
  }

  async saveVideo(video: VideoRecord): Promise<void> {
    await this.db.query(
      `INSERT INTO videos (id, original_path, normalized_path, duration_sec, status, error)
       VALUES ($1, $2, $3, $4, coalesce($5, 'pending'), $6)
       ON CONFLICT (id) DO UPDATE SET
         original_path = coalesce(EXCLUDED.original_path, videos.original_path),
         normalized_path = coalesce(EXCLUDED.normalized_path, videos.normalized_path),
         duration_sec = coalesce(EXCLUDED.duration_sec, videos.duration_sec),
         status = coalesce($5, videos.status),
         error = CASE WHEN $5::text IS NULL THEN videos.error ELSE EXCLUDED.error END,
         updated_at = now()`,
      [
        video.id,
        video.originalPath || null,
        video.normalizedPath ?? null,
        video.durationSec ?? null,
        video.status ?? null,
        video.error ?? null,
      ],
    );
  }

  async updateVideo(id: string, patch: VideoPatch): Promise<void> {
    const sets: string[] = [];
    const params: unknown[] = [id];
    const columns: [keyof VideoPatch, string][] = [
      ['normalizedPath', 'normalized_path'],
      ['durationSec', 'duration_sec'],
      ['status', 'status'],
      ['error', 'error'],
    ];
    for (const [key, column] of columns) {
      if (key in patch) {
        params.push(patch[key] ?? null);
        sets.push(`${column} = $${params.length}`);
      }
    }
    const res = await this.db.query(
      `UPDATE videos SET ${[...sets, 'updated_at = now()'].join(', ')} WHERE id = $1`,
      params,
    );
    if (res.rowCount === 0) throw new VideoNotFoundError(id);
  }

  private async requireVideo(q: Queryable, videoId: string): Promise<void> {
    const res = await q.query('SELECT 1 FROM videos WHERE id = $1', [videoId]);
    if (res.rowCount === 0) throw new VideoNotFoundError(videoId);
  }

  async replaceSegments(videoId: string, rows: readonly SegmentRow[]): Promise<void> {
    await this.db.transaction(async (tx) => {
      await this.requireVideo(tx, videoId);
      await tx.query('DELETE FROM transcript_segments WHERE video_id = $1', [videoId]);
      if (rows.length === 0) return;
      await tx.query(
        `INSERT INTO transcript_segments (id, video_id, idx, t_start, t_end, text, speaker)
         SELECT id, $1, idx, t_start, t_end, text, speaker
           FROM unnest($2::text[], $3::int[], $4::float8[], $5::float8[], $6::text[], $7::text[]) AS r(id, idx, t_start, t_end, text, speaker)`,
        [
          videoId,
          rows.map((r) => r.id),
          rows.map((r) => r.idx),
          rows.map((r) => r.tStart),
          rows.map((r) => r.tEnd),
          rows.map((r) => r.text),
          rows.map((r) => r.speaker ?? null),
        ],
      );
    });
  }

  async replaceScenes(videoId: string, rows: readonly SceneRow[]): Promise<void> {
    await this.db.transaction(async (tx) => {
      await this.requireVideo(tx, videoId);
      // Frames and their captions cascade: they were derived from the old scenes.
      await tx.query('DELETE FROM scenes WHERE video_id = $1', [videoId]);
      if (rows.length === 0) return;
      await tx.query(
        `INSERT INTO scenes (id, video_id, idx, t_start, t_end)
         SELECT id, $1, idx, t_start, t_end FROM unnest($2::text[], $3::int[], $4::float8[], $5::float8[]) AS r(id, idx, t_start, t_end)`,
        [videoId, rows.map((r) => r.id), rows.map((r) => r.idx), rows.map((r) => r.tStart), rows.map((r) => r.tEnd)],
      );
    });
  }

  async replaceFrames(videoId: string, rows: readonly FrameRow[]): Promise<void> {
    await this.db.transaction(async (tx) => {
      await this.requireVideo(tx, videoId);
      await tx.query('DELETE FROM frames WHERE video_id = $1', [videoId]);
      if (rows.length === 0) return;
      // duplicate_of refers to rows of the same batch; insert first, link after.
      await tx.query(
        `INSERT INTO frames (id, video_id, scene_id, idx, t, path, phash)
         SELECT id, $1, scene_id, idx, t, path, phash
           FROM unnest($2::text[], $3::text[], $4::int[], $5::float8[], $6::text[], $7::text[]) AS r(id, scene_id, idx, t, path, phash)`,
        [
          videoId,
          rows.map((r) => r.id),
          rows.map((r) => r.sceneId),
          rows.map((r) => r.idx),
          rows.map((r) => r.t),
          rows.map((r) => r.path),
          rows.map((r) => r.phash),
        ],
      );
      const dups = rows.filter((r) => r.duplicateOf);
      if (dups.length > 0) {
        await tx.query(
          `UPDATE frames f SET duplicate_of = d.dup FROM unnest($1::text[], $2::text[]) AS d(id, dup) WHERE f.id = d.id`,
          [dups.map((r) => r.id), dups.map((r) => r.duplicateOf)],
        );
      }
    });
  }

  async saveCaptions(videoId: string, rows: readonly CaptionRow[]): Promise<void> {
    if (rows.length === 0) return;
    await this.db.query(
      `INSERT INTO frame_captions (id, frame_id, video_id, caption, entities)
       SELECT id, frame_id, $1, caption, entities::jsonb FROM unnest($2::text[], $3::text[], $4::text[], $5::text[]) AS r(id, frame_id, caption, entities)
       ON CONFLICT (id) DO UPDATE SET caption = EXCLUDED.caption, entities = EXCLUDED.entities, embedding = NULL`,
      [
        videoId,
        rows.map((r) => r.id),
        rows.map((r) => r.frameId),
        rows.map((r) => r.caption),
        rows.map((r) => JSON.stringify(r.entities)),
      ],
    );
  }

  async listSegments(videoId: string): Promise<SegmentRow[]> {
    const res = await this.db.query<{
      id: string;
      idx: number;
      t_start: number;
      t_end: number;
      text: string;
      speaker: string | null;
    }>('SELECT id, idx, t_start, t_end, text, speaker FROM transcript_segments WHERE video_id = $1 ORDER BY idx', [
      videoId,
    ]);
    // speaker only when there is one: rows of an undiarized transcript look as they always did.
    return res.rows.map((r) => ({
      id: r.id,
      videoId,
      idx: r.idx,
      tStart: r.t_start,
      tEnd: r.t_end,
      text: r.text,
      ...(r.speaker !== null ? { speaker: r.speaker } : {}),
    }));
  }

  async listScenes(videoId: string): Promise<SceneRow[]> {
    const res = await this.db.query<{ id: string; idx: number; t_start: number; t_end: number }>(
      'SELECT id, idx, t_start, t_end FROM scenes WHERE video_id = $1 ORDER BY idx',
      [videoId],
    );
    return res.rows.map((r) => ({ id: r.id, videoId, idx: r.idx, tStart: r.t_start, tEnd: r.t_end }));
  }

  async listFrames(videoId: string): Promise<FrameRow[]> {
    const res = await this.db.query<{
      id: string;
      scene_id: string;
      idx: number;
      t: number;
      path: string;
      phash: string;
      duplicate_of: string | null;
    }>('SELECT id, scene_id, idx, t, path, phash, duplicate_of FROM frames WHERE video_id = $1 ORDER BY idx', [
      videoId,
    ]);
    return res.rows.map((r) => ({
      id: r.id,
      videoId,
      sceneId: r.scene_id,
      idx: r.idx,
      t: r.t,
      path: r.path,
      phash: r.phash,
      duplicateOf: r.duplicate_of,
    }));
  }

  async listCaptions(videoId: string): Promise<CaptionRow[]> {
    const res = await this.db.query<{
      id: string;
      frame_id: string;
      caption: string;
      entities: Record<string, unknown>;
    }>('SELECT id, frame_id, caption, entities FROM frame_captions WHERE video_id = $1 ORDER BY id', [videoId]);
    return res.rows.map((r) => ({ id: r.id, frameId: r.frame_id, videoId, caption: r.caption, entities: r.entities }));
  }

  async replaceOcr(videoId: string, rows: readonly OcrRow[]): Promise<void> {
    await this.db.transaction(async (tx) => {
      await this.requireVideo(tx, videoId);
      await tx.query('DELETE FROM frame_ocr WHERE video_id = $1', [videoId]);
      if (rows.length === 0) return;
      await tx.query(
        `INSERT INTO frame_ocr (id, frame_id, video_id, text, confidence, language)
         SELECT id, frame_id, $1, text, confidence, language
           FROM unnest($2::text[], $3::text[], $4::text[], $5::real[], $6::text[]) AS r(id, frame_id, text, confidence, language)`,
        [
          videoId,
          rows.map((r) => r.id),
          rows.map((r) => r.frameId),
          rows.map((r) => r.text),
          rows.map((r) => r.confidence),
          rows.map((r) => r.language),
        ],
      );
    });
  }

  async listOcr(videoId: string): Promise<OcrRow[]> {
    const res = await this.db.query<{
      id: string;
      frame_id: string;
      text: string;
      confidence: number;
      language: string;
    }>('SELECT id, frame_id, text, confidence, language FROM frame_ocr WHERE video_id = $1 ORDER BY id', [videoId]);
    return res.rows.map((r) => ({
      id: r.id,
      frameId: r.frame_id,
      videoId,
      text: r.text,
      confidence: r.confidence,
      language: r.language,
    }));
  }

  async replaceChapters(
    videoId: string,
    chapters: readonly ChapterRow[],
    summary: VideoSummaryRow | null,
  ): Promise<void> {
    await this.db.transaction(async (tx) => {
      await this.requireVideo(tx, videoId);
      await tx.query('DELETE FROM video_chapters WHERE video_id = $1', [videoId]);
      await tx.query('DELETE FROM video_summaries WHERE video_id = $1', [videoId]);
      if (chapters.length > 0) {
        await tx.query(
          `INSERT INTO video_chapters (id, video_id, idx, t_start, t_end, title, summary)
           SELECT id, $1, idx, t_start, t_end, title, summary
             FROM unnest($2::text[], $3::int[], $4::float8[], $5::float8[], $6::text[], $7::text[]) AS r(id, idx, t_start, t_end, title, summary)`,
          [
            videoId,
            chapters.map((c) => c.id),
            chapters.map((c) => c.idx),
            chapters.map((c) => c.tStart),
            chapters.map((c) => c.tEnd),
            chapters.map((c) => c.title),
            chapters.map((c) => c.summary),
          ],
        );
      }
      if (summary) {
        const keyPoints = summary.keyPoints.map((k) => ({ text: k.text, t_start: k.tStart, t_end: k.tEnd }));
        await tx.query(
          'INSERT INTO video_summaries (video_id, summary, key_points, tags, model) VALUES ($1, $2, $3::jsonb, $4::jsonb, $5)',
          [videoId, summary.summary, JSON.stringify(keyPoints), JSON.stringify(summary.tags), summary.model],
        );
      }
    });
  }

  async replaceAnnotations(videoId: string, stage: string, rows: readonly AnnotationRow[]): Promise<void> {
    await this.db.transaction(async (tx) => {
      await this.requireVideo(tx, videoId);
      await tx.query('DELETE FROM annotations WHERE video_id = $1 AND stage = $2', [videoId, stage]);
      if (rows.length === 0) return;
      await tx.query(
        `INSERT INTO annotations (id, video_id, stage, kind, t_start, t_end, text, data)
         SELECT id, $1, $2, kind, t_start, t_end, text, data
           FROM unnest($3::text[], $4::text[], $5::float8[], $6::float8[], $7::text[], $8::jsonb[]) AS r(id, kind, t_start, t_end, text, data)`,
        [
          videoId,
          stage,
          rows.map((r) => r.id),
          rows.map((r) => r.kind),
          rows.map((r) => r.tStart),
          rows.map((r) => r.tEnd),
          rows.map((r) => r.text),
          rows.map((r) => (r.data === undefined ? null : JSON.stringify(r.data))),
        ],
      );
    });
  }

  async listAnnotations(videoId: string, stage?: string): Promise<AnnotationRow[]> {
    const res = await this.db.query<{
      id: string;
      stage: string;
      kind: string;
      t_start: number;
      t_end: number;
      text: string;
      data: unknown;
    }>(
      `SELECT id, stage, kind, t_start, t_end, text, data FROM annotations
        WHERE video_id = $1 AND ($2::text IS NULL OR stage = $2) ORDER BY t_start, id`,
      [videoId, stage ?? null],
    );
    return res.rows.map((r) => ({
      id: r.id,
      videoId,
      stage: r.stage,
      kind: r.kind,
      tStart: r.t_start,
      tEnd: r.t_end,
      text: r.text,
      ...(r.data === null ? {} : { data: r.data }),
    }));
  }

  async listChapters(videoId: string): Promise<ChapterRow[]> {
    const res = await this.db.query<{
      id: string;
      idx: number;
      t_start: number;
      t_end: number;
      title: string;
      summary: string;
    }>('SELECT id, idx, t_start, t_end, title, summary FROM video_chapters WHERE video_id = $1 ORDER BY idx', [
      videoId,
    ]);
    return res.rows.map((r) => ({
      id: r.id,
      videoId,
      idx: r.idx,
      tStart: r.t_start,
      tEnd: r.t_end,
      title: r.title,
      summary: r.summary,
    }));
  }

  async getSummary(videoId: string): Promise<VideoSummaryRow | null> {
    const res = await this.db.query<{
      summary: string;
      key_points: { text: string; t_start: number; t_end: number }[];
      tags: string[];
      model: string | null;
    }>('SELECT summary, key_points, tags, model FROM video_summaries WHERE video_id = $1', [videoId]);
    const r = res.rows[0];
    if (!r) return null;
    return {
      videoId,
      summary: r.summary,
      keyPoints: r.key_points.map((k) => ({ text: k.text, tStart: k.t_start, tEnd: k.t_end })),
      tags: r.tags,
      model: r.model,
    };
  }

  async setEmbeddings(kind: EmbeddingKind, rows: readonly EmbeddingUpdate[]): Promise<void> {
    if (rows.length === 0) return;
    const vector = await this.usesPgvector();
    const table = EMBEDDING_TABLES[kind];
    const cast = vector ? 'vector' : 'real[]';
    const dimensions = await this.embeddingDimensions();
    const literals = rows.map((r) => embeddingLiteral(r.embedding, vector, dimensions));
    await this.db.transaction(async (tx) => {
      for (let i = 0; i < rows.length; i += EMBEDDING_BATCH) {
        await tx.query(
          `UPDATE ${table} t SET embedding = v.e::${cast} FROM unnest($1::text[], $2::text[]) AS v(id, e) WHERE t.${EMBEDDING_KEYS[kind]} = v.id`,
          [rows.slice(i, i + EMBEDDING_BATCH).map((r) => r.id), literals.slice(i, i + EMBEDDING_BATCH)],
        );
      }
    });
  }

  async listEmbedded(kind: EmbeddingKind, videoId: string): Promise<string[]> {
    const key = EMBEDDING_KEYS[kind];
    const res = await this.db.query<{ id: string }>(
      `SELECT ${key} AS id FROM ${EMBEDDING_TABLES[kind]} WHERE video_id = $1 AND embedding IS NOT NULL ORDER BY ${key}`,
      [videoId],
    );
    return res.rows.map((r) => r.id);
  }

  async listStageRuns(videoId: string): Promise<StageRunRecord[]> {
    const res = await this.db.query<{
      stage: string;
      status: StageRunRecord['status'];
      started_at: Date;
      finished_at: Date | null;
      output: unknown;
      usage: Record<string, number> | null;
      error: string | null;
    }>(
      'SELECT stage, status, started_at, finished_at, output, usage, error FROM stage_runs WHERE video_id = $1 ORDER BY started_at',
      [videoId],
    );
    return res.rows.map((r) => ({
      videoId,
      stage: r.stage,
      status: r.status,
      startedAt: r.started_at,
      finishedAt: r.finished_at,
      output: r.output,
      usage: r.usage,
      error: r.error,
    }));
  }

  async saveStageRun(run: StageRunRecord): Promise<void> {
    await this.db.query(
      `INSERT INTO stage_runs (video_id, stage, status, started_at, finished_at, output, usage, error)
       VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb, $8)
       ON CONFLICT (video_id, stage) DO UPDATE SET
         status = EXCLUDED.status, started_at = EXCLUDED.started_at, finished_at = EXCLUDED.finished_at,
         output = EXCLUDED.output, usage = EXCLUDED.usage, error = EXCLUDED.error`,
      [
        run.videoId,
        run.stage,
        run.status,
        run.startedAt,
        run.finishedAt ?? null,
        run.output === undefined ? null : JSON.stringify(run.output),
        run.usage ? JSON.stringify(run.usage) : null,
        run.error ?? null,
      ],
    );
  }

  async deleteStageRuns(videoId: string, stages: readonly string[]): Promise<void> {
    if (stages.length === 0) return;
    await this.db.query('DELETE FROM stage_runs WHERE video_id = $1 AND stage = ANY($2::text[])', [
      videoId,
      [...stages],
    ]);
  }
}
