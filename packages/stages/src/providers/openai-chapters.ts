import type OpenAI from 'openai';
import { zodResponseFormat } from 'openai/helpers/zod';
import type { z } from 'zod';
import {
  buildChapterMessages,
  chapterDraftSchema,
  ProviderError,
  summaryMergeSchema,
  type ChapterRequest,
  type ChaptersProvider,
  type ProviderUsage,
  type ReportsFallbacks,
} from '@videoqa/core';
import { FallbackList, isUnsupported } from './fallbacks.ts';
import { jsonObjectCompletion } from './json-object-reply.ts';
import { toProviderError } from './provider-errors.ts';

/**
 * Chapters, summary, key points and tags on chat completions with structured output
 * (chapterDraftSchema / summaryMergeSchema as strict JSON schemas). Replies are
 * re-validated with zod, extra fields refused, since a compatible server may not enforce
 * the schema itself; their times are checked by the chapters stage, which knows the video.
 */
export function createOpenAIChapters(
  client: OpenAI,
  options: { model: string; secrets: readonly string[] },
): ChaptersProvider & ReportsFallbacks {
  // A server without structured outputs (many local ones) gets json_object + zod validation
  // with one repair request instead, as ask does; noted once, then used for every request.
  const fallbacks = new FallbackList(options.secrets);
  let mode: 'json_schema' | 'json_object' = 'json_schema';

  async function viaJsonObject<S extends z.ZodObject>(
    request: ChapterRequest,
    schema: S,
    name: string,
    signal?: AbortSignal,
  ) {
    try {
      const reply = await jsonObjectCompletion(
        client,
        { model: options.model, messages: buildChapterMessages(request), schema: schema.strict(), temperature: 0 },
        { signal, provider: 'OpenAI', what: name },
      );
      return { draft: reply.value as z.output<S>, model: reply.model || options.model, usage: reply.usage };
    } catch (err) {
      throw err instanceof ProviderError ? err : toProviderError(err, 'OpenAI', options.secrets, signal);
    }
  }

  async function structured<S extends z.ZodObject>(
    request: ChapterRequest,
    schema: S,
    name: string,
    signal?: AbortSignal,
  ): Promise<{ draft: z.output<S>; usage: ProviderUsage; model: string }> {
    if (mode === 'json_object') return viaJsonObject(request, schema, name, signal);
    let completion;
    try {
      completion = await client.chat.completions.parse(
        {
          model: options.model,
          messages: buildChapterMessages(request),
          response_format: zodResponseFormat(schema, name),
          temperature: 0,
        },
        { signal },
      );
    } catch (err) {
      if (signal?.aborted || !isUnsupported(err, /response_format|json_schema|structured/i)) {
        throw toProviderError(err, 'OpenAI', options.secrets, signal);
      }
      fallbacks.note('chat', 'response_format: json_schema', 'json_object + schema validation (one repair retry)', err);
      mode = 'json_object';
      return viaJsonObject(request, schema, name, signal);
    }
    const message = completion.choices[0]?.message;
    if (message?.refusal)
      throw new ProviderError('OpenAI', 'malformed_reply', `the model refused: ${message.refusal.slice(0, 200)}`);
    const checked = schema.strict().safeParse(message?.parsed);
    if (!checked.success) {
      const issue = checked.error.issues[0];
      throw new ProviderError(
        'OpenAI',
        'malformed_reply',
        `${name} reply does not match the schema (${issue?.path.join('.') || 'reply'}: ${issue?.message})`,
      );
    }
    const usage = completion.usage;
    return {
      draft: checked.data as z.output<S>,
      model: completion.model || options.model,
      usage: {
        inputTokens: usage?.prompt_tokens,
        outputTokens: usage?.completion_tokens,
        totalTokens: usage?.total_tokens,
      },
    };
  }
  return {
    name: 'openai',
    model: options.model,
    fallbacks: fallbacks.list,
    draftChapters: (request, opts) => structured(request, chapterDraftSchema, 'video_chapters', opts?.signal),
    mergeSummaries: (request, opts) => structured(request, summaryMergeSchema, 'video_summary_merge', opts?.signal),
  };
}
