import { createHash } from 'node:crypto';
import type { Usage } from '@videoqa/core';
import type { Queryable } from './db.ts';

/** How an ask ended, as recorded: the reply's verdict, why no model was asked, or a failure. */
export type AskOutcome = 'answered' | 'not_found' | 'no_chat_provider' | 'no_passages' | 'prompt_leak' | 'failed';

export interface AskUsageRecord {
  /** The question as asked (trimmed); only its SHA-256 and length are stored. */
  question: string;
  /** The one video asked about, or null for the whole library. */
  videoId: string | null;
  outcome: AskOutcome;
  found: boolean;
  model: string | null;
  passages: number;
  citations: number;
  citationsDropped: number;
  usage: Usage;
  /** VideoqaError code (or the error's name) when outcome is 'failed'. */
  errorCode?: string | null;
}

/** SHA-256 (hex) of a question: repeats can be counted without keeping the words. */
export const questionHash = (question: string): string => createHash('sha256').update(question, 'utf8').digest('hex');

const int = (n: number | undefined) => (Number.isFinite(n) ? Math.max(0, Math.round(n!)) : 0);

/** Stores one ask in ask_usage (migration 10). */
export async function recordAskUsage(db: Queryable, r: AskUsageRecord): Promise<void> {
  const u = r.usage;
  await db.query(
    `INSERT INTO ask_usage (question_sha256, question_chars, video_id, outcome, found, model, passages, citations, citations_dropped,
       requests, input_tokens, output_tokens, total_tokens, embedding_requests, embedding_tokens, error_code)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
    [
      questionHash(r.question),
      r.question.length,
      r.videoId,
      r.outcome,
      r.found,
      r.model,
      int(r.passages),
      int(r.citations),
      int(r.citationsDropped),
      int(u.requests),
      int(u.inputTokens),
      int(u.outputTokens),
      int(u.totalTokens),
      int(u.embeddingRequests),
      int(u.embeddingTokens),
      r.errorCode ?? null,
    ],
  );
}

export interface AskUsageSummary {
  asks: number;
  /** Asks per outcome; outcomes never seen are 0. */
  outcomes: Record<AskOutcome, number>;
  /** Different questions (by hash). */
  distinctQuestions: number;
  requests: number;
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  embeddingRequests: number;
  embeddingTokens: number;
  citations: number;
  citationsDropped: number;
  firstAt: Date | null;
  lastAt: Date | null;
}

const OUTCOMES: readonly AskOutcome[] = [
  'answered',
  'not_found',
  'no_chat_provider',
  'no_passages',
  'prompt_leak',
  'failed',
];

/** Totals over ask_usage: all asks, or those about one video (whole-library asks are not about any one video). */
export async function askUsageSummary(db: Queryable, options: { videoId?: string } = {}): Promise<AskUsageSummary> {
  const where = options.videoId === undefined ? '' : 'WHERE video_id = $1';
  const params = options.videoId === undefined ? [] : [options.videoId];
  // bigint sums come back as strings from node-postgres: cast to double so both drivers give numbers.
  const totals = await db.query<Record<string, number | Date | null>>(
    `SELECT count(*)::float8 AS asks, count(DISTINCT question_sha256)::float8 AS distinct_questions,
            coalesce(sum(requests), 0)::float8 AS requests, coalesce(sum(input_tokens), 0)::float8 AS input_tokens,
            coalesce(sum(output_tokens), 0)::float8 AS output_tokens, coalesce(sum(total_tokens), 0)::float8 AS total_tokens,
            coalesce(sum(embedding_requests), 0)::float8 AS embedding_requests, coalesce(sum(embedding_tokens), 0)::float8 AS embedding_tokens,
            coalesce(sum(citations), 0)::float8 AS citations, coalesce(sum(citations_dropped), 0)::float8 AS citations_dropped,
            min(created_at) AS first_at, max(created_at) AS last_at
       FROM ask_usage ${where}`,
    params,
  );
  const byOutcome = await db.query<{ outcome: AskOutcome; n: number }>(
    `SELECT outcome, count(*)::float8 AS n FROM ask_usage ${where} GROUP BY outcome`,
    params,
  );
  const t = totals.rows[0]!;
  const n = (k: string) => Number(t[k] ?? 0);
  const outcomes = Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<AskOutcome, number>;
  for (const r of byOutcome.rows) outcomes[r.outcome] = Number(r.n);
  return {
    asks: n('asks'),
    outcomes,
    distinctQuestions: n('distinct_questions'),
    requests: n('requests'),
    inputTokens: n('input_tokens'),
    outputTokens: n('output_tokens'),
    totalTokens: n('total_tokens'),
    embeddingRequests: n('embedding_requests'),
    embeddingTokens: n('embedding_tokens'),
    citations: n('citations'),
    citationsDropped: n('citations_dropped'),
    firstAt: (t.first_at as Date | null) ?? null,
    lastAt: (t.last_at as Date | null) ?? null,
  };
}
