import { VideoNotFoundError } from './errors.ts';
import type {
  AnnotationRow,
  CaptionRow,
  ChapterRow,
  VideoSummaryRow,
  EmbeddingKind,
  EmbeddingUpdate,
  FrameRow,
  OcrRow,
  SceneRow,
  SegmentRow,
  StageRunRecord,
  Store,
  VideoPatch,
  VideoRecord,
} from './store.ts';

const byIdx = <T extends { idx: number }>(a: T, b: T) => a.idx - b.idx;
const clone = <T>(value: T): T => structuredClone(value);

/**
 * A Store in process memory: the default for one-off runs and tests. It keeps
 * the same cascade rules as the Postgres schema.
 */
export class MemoryStore implements Store {
  readonly videos = new Map<string, VideoRecord>();
  private readonly segments = new Map<string, SegmentRow[]>();
  private readonly scenes = new Map<string, SceneRow[]>();
  private readonly frames = new Map<string, FrameRow[]>();
  private readonly captions = new Map<string, Map<string, CaptionRow>>();
  private readonly ocr = new Map<string, OcrRow[]>();
  private readonly chapters = new Map<string, ChapterRow[]>();
  private readonly summaries = new Map<string, VideoSummaryRow>();
  private readonly annotations = new Map<string, AnnotationRow[]>();
  private readonly embeddings: Record<EmbeddingKind, Map<string, number[]>> = {
    segment: new Map(),
    caption: new Map(),
    ocr: new Map(),
    chapter: new Map(),
    summary: new Map(),
    annotation: new Map(),
  };
  private readonly stageRuns = new Map<string, Map<string, StageRunRecord>>();

  async getVideo(id: string): Promise<VideoRecord | null> {
    const v = this.videos.get(id);
    return v ? clone(v) : null;
  }

  async saveVideo(video: VideoRecord): Promise<void> {
    const existing = this.videos.get(video.id);
    this.videos.set(video.id, { status: 'pending', ...existing, ...clone(video) });
  }

  async updateVideo(id: string, patch: VideoPatch): Promise<void> {
    const existing = this.videos.get(id);
    if (!existing) throw new VideoNotFoundError(id);
    this.videos.set(id, { ...existing, ...clone(patch) });
  }

  private requireVideo(id: string): void {
    if (!this.videos.has(id)) throw new VideoNotFoundError(id);
  }

  async replaceSegments(videoId: string, rows: readonly SegmentRow[]): Promise<void> {
    this.requireVideo(videoId);
    for (const s of this.segments.get(videoId) ?? []) this.embeddings.segment.delete(s.id);
    this.segments.set(videoId, clone([...rows]));
  }

  async replaceScenes(videoId: string, rows: readonly SceneRow[]): Promise<void> {
    this.requireVideo(videoId);
    await this.replaceFrames(videoId, []);
    this.scenes.set(videoId, clone([...rows]));
  }

  async replaceFrames(videoId: string, rows: readonly FrameRow[]): Promise<void> {
    this.requireVideo(videoId);
    for (const c of this.captions.get(videoId)?.keys() ?? []) this.embeddings.caption.delete(c);
    this.captions.delete(videoId);
    for (const o of this.ocr.get(videoId) ?? []) this.embeddings.ocr.delete(o.id);
    this.ocr.delete(videoId);
    const sceneIds = new Set((this.scenes.get(videoId) ?? []).map((s) => s.id));
    for (const f of rows) {
      if (!sceneIds.has(f.sceneId)) throw new Error(`frame ${f.id} references unknown scene ${f.sceneId}`);
    }
    this.frames.set(videoId, clone([...rows]));
  }

  async saveCaptions(videoId: string, rows: readonly CaptionRow[]): Promise<void> {
    this.requireVideo(videoId);
    const frameIds = new Set((this.frames.get(videoId) ?? []).map((f) => f.id));
    const map = this.captions.get(videoId) ?? new Map<string, CaptionRow>();
    for (const row of rows) {
      if (!frameIds.has(row.frameId)) throw new Error(`caption ${row.id} references unknown frame ${row.frameId}`);
      map.set(row.id, clone(row));
    }
    this.captions.set(videoId, map);
  }

  async replaceOcr(videoId: string, rows: readonly OcrRow[]): Promise<void> {
    this.requireVideo(videoId);
    const frameIds = new Set((this.frames.get(videoId) ?? []).map((f) => f.id));
    for (const row of rows) {
      if (!frameIds.has(row.frameId)) throw new Error(`OCR row ${row.id} references unknown frame ${row.frameId}`);
    }
    for (const o of this.ocr.get(videoId) ?? []) this.embeddings.ocr.delete(o.id);
    this.ocr.set(videoId, clone([...rows]));
  }

  async listOcr(videoId: string): Promise<OcrRow[]> {
    return clone(this.ocr.get(videoId) ?? []).sort((a, b) => a.id.localeCompare(b.id));
  }

  async replaceChapters(
    videoId: string,
    chapters: readonly ChapterRow[],
    summary: VideoSummaryRow | null,
  ): Promise<void> {
    this.requireVideo(videoId);
    for (const c of this.chapters.get(videoId) ?? []) this.embeddings.chapter.delete(c.id);
    this.embeddings.summary.delete(videoId);
    this.chapters.set(videoId, clone([...chapters]));
    if (summary) this.summaries.set(videoId, clone(summary));
    else this.summaries.delete(videoId);
  }

  async replaceAnnotations(videoId: string, stage: string, rows: readonly AnnotationRow[]): Promise<void> {
    this.requireVideo(videoId);
    const kept = (this.annotations.get(videoId) ?? []).filter((a) => {
      if (a.stage !== stage) return true;
      this.embeddings.annotation.delete(a.id);
      return false;
    });
    this.annotations.set(videoId, [...kept, ...clone(rows.map((r) => ({ ...r, videoId, stage })))]);
  }

  async listAnnotations(videoId: string, stage?: string): Promise<AnnotationRow[]> {
    return clone((this.annotations.get(videoId) ?? []).filter((a) => stage === undefined || a.stage === stage)).sort(
      (a, b) => a.tStart - b.tStart || a.id.localeCompare(b.id),
    );
  }

  async listChapters(videoId: string): Promise<ChapterRow[]> {
    return clone(this.chapters.get(videoId) ?? []).sort(byIdx);
  }

  async getSummary(videoId: string): Promise<VideoSummaryRow | null> {
    const s = this.summaries.get(videoId);
    return s ? clone(s) : null;
  }

  async listSegments(videoId: string): Promise<SegmentRow[]> {
    return clone(this.segments.get(videoId) ?? []).sort(byIdx);
  }
  async listScenes(videoId: string): Promise<SceneRow[]> {
    return clone(this.scenes.get(videoId) ?? []).sort(byIdx);
  }
  async listFrames(videoId: string): Promise<FrameRow[]> {
    return clone(this.frames.get(videoId) ?? []).sort(byIdx);
  }
  async listCaptions(videoId: string): Promise<CaptionRow[]> {
    return clone([...(this.captions.get(videoId)?.values() ?? [])]).sort((a, b) => a.id.localeCompare(b.id));
  }

  async setEmbeddings(kind: EmbeddingKind, rows: readonly EmbeddingUpdate[]): Promise<void> {
    for (const row of rows) this.embeddings[kind].set(row.id, [...row.embedding]);
  }

  async listEmbedded(kind: EmbeddingKind, videoId: string): Promise<string[]> {
    const idsOf: Record<EmbeddingKind, () => string[]> = {
      segment: () => (this.segments.get(videoId) ?? []).map((s) => s.id),
      ocr: () => (this.ocr.get(videoId) ?? []).map((o) => o.id),
      caption: () => [...(this.captions.get(videoId)?.keys() ?? [])],
      chapter: () => (this.chapters.get(videoId) ?? []).map((c) => c.id),
      summary: () => (this.summaries.has(videoId) ? [videoId] : []),
      annotation: () => (this.annotations.get(videoId) ?? []).map((a) => a.id),
    };
    const ids = idsOf[kind]();
    return ids.filter((id) => this.embeddings[kind].has(id));
  }

  /** The stored vector of a segment, caption or OCR row (for tests and search over memory). */
  getEmbedding(kind: EmbeddingKind, id: string): number[] | undefined {
    return this.embeddings[kind].get(id);
  }

  async listStageRuns(videoId: string): Promise<StageRunRecord[]> {
    return clone([...(this.stageRuns.get(videoId)?.values() ?? [])]);
  }

  async saveStageRun(run: StageRunRecord): Promise<void> {
    this.requireVideo(run.videoId);
    const map = this.stageRuns.get(run.videoId) ?? new Map<string, StageRunRecord>();
    map.set(run.stage, clone(run));
    this.stageRuns.set(run.videoId, map);
  }

  async deleteStageRuns(videoId: string, stages: readonly string[]): Promise<void> {
    const map = this.stageRuns.get(videoId);
    for (const s of stages) map?.delete(s);
  }
}
