import type OpenAI from 'openai';
import { z } from 'zod';
import { ProviderError } from '@videoqa/core';

type Messages = OpenAI.Chat.Completions.ChatCompletionMessageParam[];

/**
 * The instruction that replaces a strict json_schema on servers without structured
 * outputs: the schema goes in a system message of our own (never next to video text),
 * and the reply is checked with zod afterwards.
 */
export function jsonObjectInstruction(schema: z.ZodType): string {
  return `Reply with one JSON object and nothing else. It must match this JSON Schema exactly (every property is required):\n${JSON.stringify(z.toJSONSchema(schema))}`;
}

/** Parses and validates a json_object reply; the problem as one line when it does not fit. */
export function checkJsonReply<T>(
  schema: z.ZodType<T>,
  content: string | null | undefined,
): { ok: true; value: T } | { ok: false; problem: string } {
  let json: unknown;
  try {
    json = JSON.parse((content ?? '').replace(/^\s*```(?:json)?\s*|\s*```\s*$/g, ''));
  } catch {
    return { ok: false, problem: 'the reply is not valid JSON' };
  }
  const checked = schema.safeParse(json);
  if (checked.success) return { ok: true, value: checked.data };
  const issue = checked.error.issues[0];
  return { ok: false, problem: `${issue?.path.join('.') || 'reply'}: ${issue?.message ?? 'invalid'}` };
}

/** Messages asking the model once to correct a reply that did not fit the schema. */
export function repairMessages(messages: Messages, reply: string, problem: string): Messages {
  return [
    ...messages,
    { role: 'assistant', content: reply.slice(0, 20_000) },
    {
      role: 'user',
      content: `That reply does not match the required JSON Schema (${problem}). Reply again with only the corrected JSON object.`,
    },
  ];
}

export interface JsonObjectResult<T> {
  value: T;
  usage: { inputTokens?: number; outputTokens?: number; totalTokens?: number };
  model?: string;
}

/**
 * One chat completion in json_object mode, validated with zod, with one repair
 * retry when the reply does not fit (local models slip more often than strict mode).
 */
export async function jsonObjectCompletion<T>(
  client: OpenAI,
  request: { model: string; messages: Messages; schema: z.ZodType<T>; temperature?: number },
  options: { signal?: AbortSignal; provider: string; what: string },
): Promise<JsonObjectResult<T>> {
  const messages: Messages = [{ role: 'system', content: jsonObjectInstruction(request.schema) }, ...request.messages];
  const usage = { inputTokens: 0, outputTokens: 0, totalTokens: 0 };
  let current = messages;
  let problem = '';
  for (let attempt = 0; attempt < 2; attempt++) {
    const completion = await client.chat.completions.create(
      {
        model: request.model,
        messages: current,
        response_format: { type: 'json_object' },
        ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
      },
      { signal: options.signal },
    );
    usage.inputTokens += completion.usage?.prompt_tokens ?? 0;
    usage.outputTokens += completion.usage?.completion_tokens ?? 0;
    usage.totalTokens += completion.usage?.total_tokens ?? 0;
    const content = completion.choices[0]?.message?.content ?? '';
    const checked = checkJsonReply(request.schema, content);
    if (checked.ok) return { value: checked.value, usage, model: completion.model };
    problem = checked.problem;
    current = repairMessages(messages, content, problem);
  }
  throw new ProviderError(
    options.provider,
    'malformed_reply',
    `${options.what} reply does not match the schema after one repair request (${problem})`,
  );
}
