import type OpenAI from 'openai';
import { zodResponseFormat } from 'openai/helpers/zod';
import {
  buildAnswerMessages,
  groundedAnswerSchema,
  ProviderError,
  type ChatProvider,
  type GroundedAnswerReply,
  type ReportsFallbacks,
} from '@videoqa/core';
import { toProviderError } from './provider-errors.ts';
import { FallbackList, isUnsupported } from './fallbacks.ts';
import { checkJsonReply, jsonObjectInstruction, repairMessages } from './json-object-reply.ts';

/**
 * The text of a top-level string field as far as it has arrived in a partial
 * JSON document, or undefined before its opening quote. Escapes cut off at the
 * end of the snapshot are left for the next call.
 */
export function partialStringField(json: string, field: string): string | undefined {
  const start = new RegExp(`"${field}"\\s*:\\s*"`).exec(json);
  if (!start) return undefined;
  let out = '';
  for (let i = start.index + start[0].length; i < json.length; i++) {
    const ch = json[i]!;
    if (ch === '"') return out;
    if (ch !== '\\') {
      out += ch;
      continue;
    }
    const next = json[i + 1];
    if (next === undefined) return out;
    if (next === 'u') {
      const hex = json.slice(i + 2, i + 6);
      if (hex.length < 4) return out;
      out += String.fromCharCode(parseInt(hex, 16));
      i += 5;
      continue;
    }
    out += ({ n: '\n', t: '\t', r: '\r', b: '\b', f: '\f' } as Record<string, string>)[next] ?? next;
    i += 1;
  }
  return out;
}

/**
 * Grounded answers on chat completions with structured output
 * (groundedAnswerSchema as a strict JSON schema), streamed: the `answer` field
 * is passed to onToken piece by piece as the JSON arrives, and the whole reply
 * is re-validated at the end, since a compatible server may not enforce the
 * schema itself.
 */
export function createOpenAIChat(
  client: OpenAI,
  options: { model: string; secrets: readonly string[] },
): ChatProvider & ReportsFallbacks {
  const fallbacks = new FallbackList(options.secrets);
  let mode: 'json_schema' | 'json_object' = 'json_schema';
  return {
    name: 'openai',
    model: options.model,
    fallbacks: fallbacks.list,
    async answer(req): Promise<GroundedAnswerReply> {
      let sent = '';
      let completion;
      const messages = buildAnswerMessages(req.question, req.passages);
      // json_object servers get the schema in a system message of ours, ahead of the passages.
      const streamOnce = (format: 'json_schema' | 'json_object') =>
        client.chat.completions.stream(
          {
            model: options.model,
            messages:
              format === 'json_schema'
                ? messages
                : [{ role: 'system', content: jsonObjectInstruction(groundedAnswerSchema) }, ...messages],
            response_format:
              format === 'json_schema'
                ? zodResponseFormat(groundedAnswerSchema, 'grounded_answer')
                : { type: 'json_object' },
            temperature: 0,
            stream_options: { include_usage: true },
          },
          { signal: req.signal },
        );
      try {
        let stream;
        if (mode === 'json_schema') {
          try {
            stream = streamOnce('json_schema');
            stream.on('content.delta', ({ snapshot }) => {
              if (!req.onToken) return;
              const answer = partialStringField(snapshot, 'answer');
              if (answer === undefined || answer.length <= sent.length) return;
              req.onToken(answer.slice(sent.length));
              sent = answer;
            });
            completion = await stream.finalChatCompletion();
          } catch (err) {
            if (req.signal?.aborted || !isUnsupported(err, /response_format|json_schema|structured/i)) throw err;
            fallbacks.note(
              'chat',
              'response_format: json_schema',
              'json_object + schema validation (one repair retry)',
              err,
            );
            mode = 'json_object';
          }
        }
        if (!completion) {
          stream = streamOnce('json_object');
          stream.on('content.delta', ({ snapshot }) => {
            if (!req.onToken) return;
            const answer = partialStringField(snapshot, 'answer');
            if (answer === undefined || answer.length <= sent.length) return;
            req.onToken(answer.slice(sent.length));
            sent = answer;
          });
          completion = await stream.finalChatCompletion();
        }
      } catch (err) {
        throw toProviderError(err, 'OpenAI', options.secrets, req.signal);
      }
      const message = completion.choices[0]?.message;
      if (message?.refusal)
        throw new ProviderError('OpenAI', 'malformed_reply', `the model refused: ${message.refusal.slice(0, 200)}`);
      let value: unknown = mode === 'json_schema' ? message?.parsed : undefined;
      const usage = {
        inputTokens: completion.usage?.prompt_tokens,
        outputTokens: completion.usage?.completion_tokens,
        totalTokens: completion.usage?.total_tokens,
      };
      if (mode === 'json_object') {
        const first = checkJsonReply(groundedAnswerSchema, message?.content);
        if (first.ok) value = first.value;
        else {
          // One repair request, not streamed: what was streamed so far stays, the checked reply decides.
          let repaired;
          try {
            repaired = await client.chat.completions.create(
              {
                model: options.model,
                messages: repairMessages(
                  [{ role: 'system', content: jsonObjectInstruction(groundedAnswerSchema) }, ...messages],
                  message?.content ?? '',
                  first.problem,
                ),
                response_format: { type: 'json_object' },
                temperature: 0,
              },
              { signal: req.signal },
            );
          } catch (err) {
            throw toProviderError(err, 'OpenAI', options.secrets, req.signal);
          }
          const second = checkJsonReply(groundedAnswerSchema, repaired.choices[0]?.message?.content);
          if (!second.ok)
            throw new ProviderError(
              'OpenAI',
              'malformed_reply',
              `answer reply does not match the schema after one repair request (${second.problem})`,
            );
          value = second.value;
          usage.inputTokens = (usage.inputTokens ?? 0) + (repaired.usage?.prompt_tokens ?? 0);
          usage.outputTokens = (usage.outputTokens ?? 0) + (repaired.usage?.completion_tokens ?? 0);
          usage.totalTokens = (usage.totalTokens ?? 0) + (repaired.usage?.total_tokens ?? 0);
        }
      }
      const checked = groundedAnswerSchema.safeParse(value);
      if (!checked.success) {
        const issue = checked.error.issues[0];
        throw new ProviderError(
          'OpenAI',
          'malformed_reply',
          `answer reply does not match the schema (${issue?.path.join('.') || 'reply'}: ${issue?.message})`,
        );
      }
      // Whatever the partial parse held back (a trailing escape) goes out before the result.
      if (req.onToken && checked.data.answer.length > sent.length && checked.data.answer.startsWith(sent))
        req.onToken(checked.data.answer.slice(sent.length));
      return { ...checked.data, model: completion.model || options.model, usage };
    },
  };
}
