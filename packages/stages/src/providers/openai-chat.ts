import type OpenAI from 'openai';
import { zodResponseFormat } from 'openai/helpers/zod';
import { buildAnswerMessages, groundedAnswerSchema, ProviderError, type ChatProvider, type GroundedAnswerReply } from '@videoqa/core';
import { toProviderError } from './provider-errors.ts';

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
export function createOpenAIChat(client: OpenAI, options: { model: string; secrets: readonly string[] }): ChatProvider {
  return {
    name: 'openai',
    model: options.model,
    async answer(req): Promise<GroundedAnswerReply> {
      let sent = '';
      let completion;
      try {
        const stream = client.chat.completions.stream(
          {
            model: options.model,
            messages: buildAnswerMessages(req.question, req.passages),
            response_format: zodResponseFormat(groundedAnswerSchema, 'grounded_answer'),
            temperature: 0,
            stream_options: { include_usage: true },
          },
          { signal: req.signal },
        );
        stream.on('content.delta', ({ snapshot }) => {
          if (!req.onToken) return;
          const answer = partialStringField(snapshot, 'answer');
          if (answer === undefined || answer.length <= sent.length) return;
          req.onToken(answer.slice(sent.length));
          sent = answer;
        });
        completion = await stream.finalChatCompletion();
      } catch (err) {
        throw toProviderError(err, 'OpenAI', options.secrets, req.signal);
      }
      const message = completion.choices[0]?.message;
      if (message?.refusal) throw new ProviderError('OpenAI', 'malformed_reply', `the model refused: ${message.refusal.slice(0, 200)}`);
      const checked = groundedAnswerSchema.safeParse(message?.parsed);
      if (!checked.success) {
        const issue = checked.error.issues[0];
        throw new ProviderError('OpenAI', 'malformed_reply', `answer reply does not match the schema (${issue?.path.join('.') || 'reply'}: ${issue?.message})`);
      }
      // Whatever the partial parse held back (a trailing escape) goes out before the result.
      if (req.onToken && checked.data.answer.length > sent.length && checked.data.answer.startsWith(sent)) req.onToken(checked.data.answer.slice(sent.length));
      const usage = completion.usage;
      return {
        ...checked.data,
        model: completion.model || options.model,
        usage: { inputTokens: usage?.prompt_tokens, outputTokens: usage?.completion_tokens, totalTokens: usage?.total_tokens },
      };
    },
  };
}
