/** The records videoqa produces, and the interface of wherever they are kept. */

export type VideoStatus = 'pending' | 'processing' | 'ready' | 'failed';

export interface VideoRecord {
  id: string;
  /** Relative to DATA_DIR (or absolute inside it). */
  originalPath: string;
  normalizedPath?: string | null;
  durationSec?: number | null;
  status?: VideoStatus;
  error?: string | null;
  /** When retention (or `videoqa gc`) removed the upload / processed/{id}/ media; null or absent: still there. */
  uploadRemovedAt?: Date | null;
  normalizedRemovedAt?: Date | null;
}

export type VideoPatch = Partial<Pick<VideoRecord, 'normalizedPath' | 'durationSec' | 'status' | 'error'>>;

export interface SegmentRow {
  id: string;
  videoId: string;
  idx: number;
  tStart: number;
  tEnd: number;
  text: string;
  /** Speaker label (e.g. "A") when the transcription was diarized; null or absent otherwise. */
  speaker?: string | null;
}

export interface SceneRow {
  id: string;
  videoId: string;
  idx: number;
  tStart: number;
  tEnd: number;
}

export interface FrameRow {
  id: string;
  videoId: string;
  sceneId: string;
  idx: number;
  /** Seconds into the normalized video. */
  t: number;
  /** Relative to DATA_DIR. */
  path: string;
  /** 64-bit perceptual hash as 16 hex digits. */
  phash: string;
  /** Id of the earlier frame this one nearly repeats, or null. */
  duplicateOf: string | null;
}

export interface CaptionRow {
  id: string;
  frameId: string;
  videoId: string;
  caption: string;
  entities: Record<string, unknown>;
}

/** Text read from a keyframe by OCR (one row per frame that had legible text). */
export interface OcrRow {
  id: string;
  frameId: string;
  videoId: string;
  /** The words kept (confidence at or above the threshold), line by line. */
  text: string;
  /** Mean confidence of the kept words, 0-100. */
  confidence: number;
  /** Tesseract language codes used, joined with "+" (e.g. "eng" or "eng+deu"). */
  language: string;
}

/** One chapter of a video (chapters stage): consecutive, covering the video without gaps. */
/**
 * Searchable text a stage plugin stores about a stretch of a video (the `annotations` table):
 * search and ask see it beside transcripts, captions and OCR text, the embeddings stage
 * embeds it, and it goes with its video when the video is deleted.
 */
export interface AnnotationRow {
  /** Unique across the library; `{video}_{stage}_{i}` is a good choice. */
  id: string;
  videoId: string;
  /** The stage that wrote it: a stage's rows are replaced together. */
  stage: string;
  /** The plugin's own label, e.g. `loudness` or `topic`; shown in search hits and ask passages. */
  kind: string;
  tStart: number;
  tEnd: number;
  /** What search matches and ask may quote. */
  text: string;
  /** Anything else the plugin wants to keep (JSON). */
  data?: unknown;
}

export interface ChapterRow {
  /** `{video}_chapter_{i:03d}` */
  id: string;
  videoId: string;
  idx: number;
  tStart: number;
  tEnd: number;
  title: string;
  summary: string;
}

/** A key point of a video summary, with the time range it comes from. */
export interface KeyPoint {
  text: string;
  tStart: number;
  tEnd: number;
}

/** The summary of one video (chapters stage). */
export interface VideoSummaryRow {
  videoId: string;
  summary: string;
  keyPoints: KeyPoint[];
  /** Lowercase, de-duplicated. */
  tags: string[];
  /** The model that wrote it, when known. */
  model: string | null;
}

/** Rows that carry an embedding. A summary's id is its video id (one summary per video). */
export type EmbeddingKind = 'segment' | 'caption' | 'ocr' | 'chapter' | 'summary' | 'annotation';

export interface EmbeddingUpdate {
  id: string;
  embedding: readonly number[];
}

/** Counters an AI stage reports: requests, tokens, audio seconds. */
export type Usage = Record<string, number>;

export type StageRunStatus = 'running' | 'done' | 'failed' | 'skipped' | 'cancelled';

export interface StageRunRecord {
  videoId: string;
  stage: string;
  status: StageRunStatus;
  startedAt: Date;
  finishedAt?: Date | null;
  /** The stage's JSON output (what later stages read from ctx.outputs). */
  output?: unknown;
  usage?: Usage | null;
  error?: string | null;
}

/**
 * Where stage results go. Every replace* call swaps a video's rows for that
 * kind in one step (a rerun never duplicates; a failure leaves the old rows).
 * Replacing scenes drops that video's frames, captions and OCR text, and
 * replacing frames drops its captions and OCR text, because they are derived
 * from them.
 */
export interface Store {
  getVideo(id: string): Promise<VideoRecord | null>;
  /** Insert, or update the given fields of an existing video. */
  saveVideo(video: VideoRecord): Promise<void>;
  updateVideo(id: string, patch: VideoPatch): Promise<void>;

  replaceSegments(videoId: string, rows: readonly SegmentRow[]): Promise<void>;
  replaceScenes(videoId: string, rows: readonly SceneRow[]): Promise<void>;
  replaceFrames(videoId: string, rows: readonly FrameRow[]): Promise<void>;
  /** Inserts or updates captions by id (vision saves them one by one, so progress survives a failure). */
  saveCaptions(videoId: string, rows: readonly CaptionRow[]): Promise<void>;

  listSegments(videoId: string): Promise<SegmentRow[]>;
  listScenes(videoId: string): Promise<SceneRow[]>;
  listFrames(videoId: string): Promise<FrameRow[]>;
  listCaptions(videoId: string): Promise<CaptionRow[]>;
  /** Swaps a video's OCR rows (the ocr stage writes them all at once). */
  replaceOcr(videoId: string, rows: readonly OcrRow[]): Promise<void>;
  listOcr(videoId: string): Promise<OcrRow[]>;
  /** Swaps a video's chapters and summary together (the chapters stage writes them at once). */
  replaceChapters(videoId: string, chapters: readonly ChapterRow[], summary: VideoSummaryRow | null): Promise<void>;
  listChapters(videoId: string): Promise<ChapterRow[]>;
  getSummary(videoId: string): Promise<VideoSummaryRow | null>;
  /** Swaps one stage's annotations of a video (other stages' rows stay). */
  replaceAnnotations(videoId: string, stage: string, rows: readonly AnnotationRow[]): Promise<void>;
  /** A video's annotations, by time; one stage's when `stage` is given. */
  listAnnotations(videoId: string, stage?: string): Promise<AnnotationRow[]>;

  setEmbeddings(kind: EmbeddingKind, rows: readonly EmbeddingUpdate[]): Promise<void>;
  /** Ids of rows of this video that have an embedding. */
  listEmbedded(kind: EmbeddingKind, videoId: string): Promise<string[]>;

  listStageRuns(videoId: string): Promise<StageRunRecord[]>;
  saveStageRun(run: StageRunRecord): Promise<void>;
  deleteStageRuns(videoId: string, stages: readonly string[]): Promise<void>;
}
