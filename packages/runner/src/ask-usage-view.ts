import type { AskUsageSummary } from '@videoqa/storage-pg';

/**
 * One line for `videoqa status`: how many questions were asked, how they ended,
 * and what they cost. Outcomes that never happened are left out to keep it short.
 */
export function askUsageLine(s: AskUsageSummary, label = 'asks'): string {
  if (s.asks === 0) return `${label}: none recorded`;
  const o = s.outcomes;
  const ended = [
    `${o.answered} answered`,
    `${o.not_found} not found`,
    o.no_chat_provider ? `${o.no_chat_provider} without a model` : '',
    o.no_passages ? `${o.no_passages} with no passages` : '',
    o.prompt_leak ? `${o.prompt_leak} withheld` : '',
    o.failed ? `${o.failed} failed` : '',
  ].filter(Boolean);
  return (
    `${label}: ${s.asks} (${s.distinctQuestions} different) — ${ended.join(', ')}; ` +
    `${s.requests} chat requests, ${s.totalTokens} tokens (${s.inputTokens} in, ${s.outputTokens} out), ` +
    `${s.embeddingRequests} embedding requests (${s.embeddingTokens} tokens); ` +
    `citations ${s.citations} kept, ${s.citationsDropped} dropped; last ${s.lastAt!.toISOString()}`
  );
}
