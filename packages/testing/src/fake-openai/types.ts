import type { ChaptersMode } from '../fake-chapters.ts';
import type { AskMode } from './chat-ask.ts';

/** The routes the fake answers; faults, latency and the request log are kept per route. */
export type FakeRoute = 'transcriptions' | 'chat' | 'embeddings' | 'models';

/** A failure to inject into the next request(s) of a route. */
export interface Fault {
  /** HTTP status to answer with (429, 500, 400, 401...). */
  status?: number;
  /** Retry-After header, in seconds. */
  retryAfter?: number;
  /** Answer 200 with a body that is not what the API promises (bad JSON, or schema-violating content). */
  malformed?: 'json' | 'schema';
  /** Never answer (the client's timeout fires). */
  hang?: boolean;
  /** Close the connection without an answer. */
  reset?: boolean;
  /** How many requests this fault applies to (default 1). */
  times?: number;
}

export interface RecordedRequest {
  route: FakeRoute;
  method: string;
  path: string;
  status: number;
  startedAt: number;
  endedAt: number;
  /** What the request carried, summarised (never the API key). */
  model?: string;
  fileName?: string;
  fileBytes?: number;
  imageCount?: number;
  imageBytes?: number;
  inputs?: string[];
  encodingFormat?: string;
  responseFormat?: string;
  /** Chat requests: the text of each message, in order. */
  messages?: { role: string; content: string }[];
  /** Transcription requests: the known_speaker_names[] sent, and chunking_strategy. */
  knownSpeakerNames?: string[];
  chunkingStrategy?: string;
  /** Chat requests: whether the reply was streamed (stream: true). */
  stream?: boolean;
  authorization: 'ok' | 'missing' | 'wrong';
}

export interface FakeOpenAIOptions {
  apiKey?: string;
  /** Added to every request of a route, in ms. */
  latencyMs?: Partial<Record<FakeRoute, number>>;
  /** Texts given to detected speech regions, in order (default: a description of each region). */
  transcriptScript?: string[];
  /** How grounded-answer (ask) requests are answered; default 'grounded'. */
  askMode?: AskMode;
  /** How chapters requests are answered; default 'faithful'. */
  chaptersMode?: ChaptersMode;
  ffmpegPath?: string;
  /** Port on 127.0.0.1 (default: any free port). */
  port?: number;
  /**
   * Behave like a local OpenAI-compatible server (Ollama, vLLM, LocalAI, a speech
   * server): no auth (any or no key), any model name, no strict json_schema (400),
   * no verbose_json (400), no base64 embeddings (400), `dimensions` ignored and
   * embeddings of `local.embeddingDimensions` (default 768).
   */
  local?: boolean | { embeddingDimensions?: number };
}

/**
 * What a route handler may know of the server: its settings at the time of the
 * request (ask and chapters modes change between requests), never its sockets or log.
 */
export interface RouteContext {
  /** The local-server mode, when on. */
  local?: { embeddingDimensions: number };
  ffmpegPath?: string;
  transcriptScript?: string[];
  askMode: AskMode;
  chaptersMode: ChaptersMode;
}

/** A fault's `malformed` as a handler sees it: 'schema' asks for a reply of the wrong shape. */
export type Malformed = Fault['malformed'];
