import {
  checkCitations,
  promptLeakDetector,
  requestError,
  validateQuestion,
  validateVideoId,
  VideoNotFoundError,
  VideoqaError,
  type ChatProvider,
  type Citation,
  type DroppedCitation,
  type EmbeddingsProvider,
  type Passage,
  type Usage,
} from '@videoqa/core';
import type { Queryable } from './db.ts';
import { recordAskUsage, type AskOutcome } from './ask-usage.ts';
import { retrievePassages } from './passages.ts';

export interface AskOptions {
  /** One video (it must be ready), or the whole library when absent. */
  videoId?: string;
  /** Most passages given to the model (default 8). */
  limit?: number;
  /** Answers the question; without one, ask() returns the passages and `skipped` says why. */
  chat?: ChatProvider;
  /** Embeds the question for the vector half of retrieval; without it, full text only. */
  embeddings?: EmbeddingsProvider;
  /** Estimated prompt tokens the passages may take (default 3000). */
  tokenBudget?: number;
  /** Seconds of transcript merged into one passage (default 30). */
  windowSec?: number;
  /** Pieces of the answer as they stream in. */
  onToken?: (text: string) => void;
  signal?: AbortSignal;
}

export interface AskResult {
  question: string;
  answer: string;
  /** The model says the passages contain the answer. */
  found: boolean;
  /** Citations that survived checking: known passage, times inside it, quote found in it. */
  citations: Citation[];
  /** Citations the model gave that failed the checks: counted and reported, never passed on. */
  dropped: DroppedCitation[];
  /** What the model was given (and, when it found nothing, the nearest evidence there is). */
  passages: Passage[];
  /** requests, inputTokens, outputTokens, totalTokens, embeddingRequests, embeddingTokens. */
  usage: Usage;
  model: string | null;
  /** Why no model was asked: no chat provider given (no API key), or nothing matched the question. */
  skipped?: 'no_chat_provider' | 'no_passages';
  /** The reply echoed the system prompt and was replaced. */
  guarded?: 'prompt_leak';
}

const NOTHING_FOUND = 'Nothing in the videos searched matches this question.';
const LEAK_REPLACEMENT = 'The answer was withheld: the reply did not keep to the evidence.';

/**
 * Answers a question from the videos, with timestamped citations that are
 * checked against the passages the model was shown. Bad input (empty or too
 * long question, unknown or unfinished video) is refused before anything is
 * retrieved or sent.
 */
export async function ask(db: Queryable, question: string, options: AskOptions = {}): Promise<AskResult> {
  const q = validateQuestion(question);
  if (options.videoId !== undefined) await requireReadyVideo(db, options.videoId);

  // Every ask past input checking is recorded (ask_usage), failures too: what they spent is filled in as it is spent.
  const spent: Usage = { requests: 0 };
  const videoId = options.videoId ?? null;
  let result: AskResult;
  try {
    result = await answer(db, q, options, spent);
  } catch (err) {
    const errorCode = err instanceof VideoqaError ? err.code : err instanceof Error ? err.name : 'UNKNOWN';
    const failed = {
      question: q,
      videoId,
      outcome: 'failed' as const,
      found: false,
      model: options.chat ? (options.chat.model ?? options.chat.name) : null,
      passages: 0,
      citations: 0,
      citationsDropped: 0,
      usage: spent,
      errorCode,
    };
    // The ask's own error is the one to report; a failed write of its record must not hide it.
    await recordAskUsage(db, failed).catch(() => undefined);
    throw err;
  }
  await recordAskUsage(db, {
    question: q,
    videoId,
    outcome: outcomeOf(result),
    found: result.found,
    model: result.model,
    passages: result.passages.length,
    citations: result.citations.length,
    citationsDropped: result.dropped.length,
    usage: result.usage,
  });
  return result;
}

function outcomeOf(r: AskResult): AskOutcome {
  if (r.skipped) return r.skipped;
  if (r.guarded) return r.guarded;
  return r.found ? 'answered' : 'not_found';
}

async function answer(db: Queryable, q: string, options: AskOptions, usage: Usage): Promise<AskResult> {
  const retrieved = await retrievePassages(db, q, {
    videoId: options.videoId,
    limit: options.limit,
    embeddings: options.embeddings,
    tokenBudget: options.tokenBudget,
    windowSec: options.windowSec,
    signal: options.signal,
  });
  const { passages } = retrieved;
  Object.assign(usage, retrieved.usage);
  const base = { question: q, citations: [], dropped: [], passages, usage, found: false };
  if (!options.chat) return { ...base, answer: '', model: null, skipped: 'no_chat_provider' };
  if (passages.length === 0) {
    options.onToken?.(NOTHING_FOUND);
    return { ...base, answer: NOTHING_FOUND, model: null, skipped: 'no_passages' };
  }

  // Stop streaming the moment the answer starts repeating the rules: what went out is under 48 characters of them.
  const leaks = promptLeakDetector();
  let streamed = '';
  let leaked = false;
  const onToken = options.onToken
    ? (text: string) => {
        if (leaked) return;
        streamed += text;
        if (leaks(streamed)) leaked = true;
        else options.onToken!(text);
      }
    : undefined;

  // Counted before the call: a request that fails was still made.
  usage.requests = 1;
  const reply = await options.chat.answer({ question: q, passages, onToken, signal: options.signal });
  usage.inputTokens = reply.usage?.inputTokens ?? 0;
  usage.outputTokens = reply.usage?.outputTokens ?? 0;
  usage.totalTokens = reply.usage?.totalTokens ?? usage.inputTokens + usage.outputTokens;
  const model = reply.model ?? options.chat.model ?? options.chat.name;

  const dropAll = (problem: DroppedCitation['problem']) => reply.citations.map((citation) => ({ citation, problem }));
  if (leaked || leaks(reply.answer))
    return { ...base, answer: LEAK_REPLACEMENT, model, guarded: 'prompt_leak', dropped: dropAll('prompt_leak') };
  // Citations attached to a "not found" reply are evidence of nothing: dropped as well.
  if (!reply.found) return { ...base, answer: reply.answer.trim(), model, dropped: dropAll('not_found_reply') };
  const checked = checkCitations(reply.citations, passages);
  return {
    ...base,
    answer: reply.answer.trim(),
    found: true,
    citations: checked.citations,
    dropped: checked.dropped,
    model,
  };
}

async function requireReadyVideo(db: Queryable, videoId: string): Promise<void> {
  validateVideoId(videoId);
  const res = await db.query<{ status: string }>('SELECT status FROM videos WHERE id = $1', [videoId]);
  const status = res.rows[0]?.status;
  if (status === undefined) throw new VideoNotFoundError(videoId);
  if (status !== 'ready')
    throw requestError(
      'VIDEO_NOT_READY',
      `Video ${JSON.stringify(videoId)} is ${status}, not ready: it has nothing to answer from yet`,
      { fix: `wait for its job to finish (videoqa status ${videoId})` },
    );
}
