import type { ServerResponse } from 'node:http';
import type { ChatCompletion } from './chat.ts';

/**
 * A completion as OpenAI streams it: Server-Sent Events of chat.completion.chunk
 * objects (role first, then the content in small pieces, then the finish
 * reason, then usage when asked for), ending with `data: [DONE]`.
 */
export function streamChat(res: ServerResponse, completion: ChatCompletion, includeUsage: boolean): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  const chunk = (delta: Record<string, unknown>, finish: string | null, extra: Record<string, unknown> = {}) => {
    const body = {
      id: completion.id,
      object: 'chat.completion.chunk',
      created: completion.created,
      model: completion.model,
      choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
      ...extra,
    };
    res.write(`data: ${JSON.stringify(body)}\n\n`);
  };
  const content = completion.choices[0]!.message.content;
  chunk({ role: 'assistant', content: '', refusal: null }, null);
  // Pieces of about a word, as a model emits tokens.
  for (const piece of content.match(/\s*\S{1,12}/g) ?? []) chunk({ content: piece }, null);
  chunk({}, 'stop');
  if (includeUsage)
    res.write(
      `data: ${JSON.stringify({ id: completion.id, object: 'chat.completion.chunk', created: completion.created, model: completion.model, choices: [], usage: completion.usage })}\n\n`,
    );
  res.end('data: [DONE]\n\n');
}
