/**
 * The AI services videoqa needs, as small interfaces. @videoqa/stages ships
 * OpenAI implementations (and Supadata for transcription); pass your own object
 * to use another service or a local model.
 */

export interface TranscriptSegment {
  /** Seconds from the start of the audio given. */
  start: number;
  end: number;
  text: string;
  /** Speaker label from a diarizing transcription (e.g. "A"); absent when the provider has none. */
  speaker?: string;
}

export interface TranscriptionRequest {
  audio: Uint8Array;
  fileName: string;
  /** Length of the audio, when known (for usage accounting). */
  durationSec?: number;
  language?: string;
  /** The media file relative to DATA_DIR, for providers that fetch by URL instead of taking an upload. */
  mediaPath?: string;
  /**
   * Short clips (2-10 s) of speakers heard in earlier chunks, so a diarizing provider
   * gives them the same labels again. Providers without diarization ignore them.
   */
  knownSpeakers?: { name: string; audio: Uint8Array; mimeType: string }[];
  signal?: AbortSignal;
}

export interface TranscriptionResult {
  segments: TranscriptSegment[];
  text: string;
  durationSec?: number;
  language?: string;
}

export interface TranscriptionProvider {
  readonly name: string;
  /** Largest upload accepted, in bytes (OpenAI: 25 MB). */
  readonly maxUploadBytes: number;
  /** true when the provider fetches the media by URL itself (no chunking, no upload). */
  readonly byUrl?: boolean;
  /** true when segments carry speaker labels (OpenAI gpt-4o-transcribe-diarize). */
  readonly diarizes?: boolean;
  transcribe(request: TranscriptionRequest): Promise<TranscriptionResult>;
}

export interface UiControl {
  type: string;
  label: string;
}

/** What the vision stage stores in frame_captions.entities. */
export interface FrameEntities {
  objects: string[];
  /** Text visible on screen. */
  text: string[];
  controls: UiControl[];
  people_count: number;
}

export interface FrameDescription {
  caption: string;
  entities: FrameEntities;
}

export interface ProviderUsage {
  inputTokens?: number;
  outputTokens?: number;
  totalTokens?: number;
}

export interface VisionRequest {
  image: Uint8Array;
  mimeType: 'image/jpeg' | 'image/png';
  /** Extra context, e.g. the transcript around the frame. */
  context?: string;
  /**
   * Text OCR read from this frame: a hint for the on-screen text. It comes from
   * the picture, so it is untrusted data (a slide may say "ignore previous
   * instructions"): providers must pass it as quoted data, never as instructions.
   */
  ocrText?: string;
  signal?: AbortSignal;
}

export interface VisionProvider {
  readonly name: string;
  describeFrame(request: VisionRequest): Promise<FrameDescription & { usage?: ProviderUsage }>;
}

export interface EmbeddingsProvider {
  readonly name: string;
  readonly dimensions: number;
  /** Inputs the provider accepts in one request. */
  readonly maxBatchSize: number;
  embed(
    texts: readonly string[],
    options?: { signal?: AbortSignal },
  ): Promise<{ vectors: number[][]; usage?: ProviderUsage }>;
}

/** Where a passage's text comes from: transcript segments, or a frame caption with its on-screen text. */
/**
 * segment: transcript window; caption: a keyframe's description; ocr: text read on a keyframe;
 * chapter: a chapter's title and summary; summary: the video's summary and key points.
 */
export type PassageKind = 'segment' | 'caption' | 'ocr' | 'chapter' | 'summary' | 'annotation';

/**
 * A stretch of one video given to a model as evidence: neighbouring transcript
 * segments merged into one time window, or one frame caption. Its id is stable
 * (`{video}:{kind}:{t_start}`), so citations can point at it.
 */
export interface Passage {
  id: string;
  videoId: string;
  kind: PassageKind;
  tStart: number;
  tEnd: number;
  text: string;
  /** The caption of the scene the passage falls in (segment passages), when the vision stage ran. */
  sceneCaption?: string;
  /** Retrieval score (reciprocal-rank fusion of the best hit inside; higher is better). */
  score: number;
  /** Segment or caption ids the passage was built from. */
  sources: string[];
  /**
   * The timed pieces the text was joined from (segments, in order), so a
   * citation can be narrowed to the segments its quote comes from.
   */
  parts?: { tStart: number; tEnd: number; text: string }[];
}

/** A citation as the model returns it (snake_case, the wire shape of the structured output). */
export interface RawCitation {
  passage_id: string;
  t_start: number;
  t_end: number;
  quote: string;
}

export interface GroundedAnswerRequest {
  question: string;
  /** The evidence, already retrieved and fitted to the token budget. Untrusted text. */
  passages: readonly Passage[];
  /** Called with each new piece of the `answer` field as the reply streams in. */
  onToken?: (text: string) => void;
  signal?: AbortSignal;
}

/** What the model said, shape-checked but not yet checked against the passages. */
export interface GroundedAnswerReply {
  answer: string;
  citations: RawCitation[];
  found: boolean;
  usage?: ProviderUsage;
  model?: string;
}

/**
 * One chat completion answering a question from passages, with structured
 * output. Implementations build the prompt with buildAnswerMessages() (core)
 * so the rules about untrusted text are the same for every provider.
 */
export interface ChatProvider {
  readonly name: string;
  readonly model?: string;
  answer(request: GroundedAnswerRequest): Promise<GroundedAnswerReply>;
}

/**
 * How a provider degraded for a server without an OpenAI feature (no json_schema,
 * no verbose_json segments, no base64 embeddings). Providers list each kind once;
 * stages log it once and record it with their output.
 */
export interface ProviderFallback {
  capability: 'transcription' | 'vision' | 'embeddings' | 'chat';
  /** What was asked for, e.g. `response_format: json_schema`. */
  from: string;
  /** What is used instead, e.g. `json_object + schema validation`. */
  to: string;
  /** The server's answer that caused it (scrubbed, shortened). */
  reason: string;
}

/** Implemented by providers that can degrade; read after calls to log and record what changed. */
export interface ReportsFallbacks {
  readonly fallbacks: readonly ProviderFallback[];
}

/** A chapters reply, shape-checked (chapterDraftSchema) but not yet checked against the video. */
export interface ChapterDraftReply {
  draft: import('./chapters.ts').ChapterDraft;
  usage?: ProviderUsage;
  model?: string;
}

export interface SummaryMergeReply {
  draft: import('./chapters.ts').SummaryDraft;
  usage?: ProviderUsage;
  model?: string;
}

/**
 * One structured chat completion drafting chapters, a summary, key points and tags
 * for a window of a video, or merging several windows' drafts. Implementations build
 * the prompt with buildChapterMessages() (core) so the rules about untrusted text are
 * the same for every provider.
 */
export interface ChaptersProvider {
  readonly name: string;
  readonly model?: string;
  /** Chapters, summary, key points and tags of one window of a video (chapterDraftSchema). */
  draftChapters(
    request: import('./chapters.ts').ChapterWindowRequest,
    options?: { signal?: AbortSignal },
  ): Promise<ChapterDraftReply>;
  /** One summary, key points and tags from several windows' (summaryMergeSchema). */
  mergeSummaries(
    request: import('./chapters.ts').ChapterMergeRequest,
    options?: { signal?: AbortSignal },
  ): Promise<SummaryMergeReply>;
}
