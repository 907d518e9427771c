import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { errorCode, VideoqaError, type Config, type Logger } from '@videoqa/core';
import type { Queryable } from '@videoqa/storage-pg';
import { parse, readJson, send } from './api-http.ts';
import { askFallbacks, askResultView, askWithConfig } from './ask-command.ts';

const askSchema = z
  .object({
    question: z.string({ error: 'question must be a string' }),
    video_id: z.string().optional(),
    limit: z.number().int().min(1).max(50).optional(),
  })
  .strict();

export interface AskHandlerOptions {
  db: Queryable;
  config: Config;
  log?: Logger;
}

/**
 * POST /v1/ask {"question": "...", "video_id"?: "...", "limit"?: n}
 *
 * JSON by default: {question, answer, found, citations, dropped_citations,
 * passages, usage, model}, plus `fallbacks` when a server lacked a feature. With `Accept: text/event-stream`, Server-Sent Events:
 * `token` events ({"text": "..."}) as the answer streams, then one `result`
 * event with the JSON above (or one `error` event). Bad input is refused with a
 * 4xx and a code before the stream opens and before anything is sent to a model.
 */
export async function handleAsk(req: IncomingMessage, res: ServerResponse, options: AskHandlerOptions): Promise<void> {
  const body = parse(askSchema, await readJson(req));
  const controller = new AbortController();
  // The client went away: stop retrieving and stop the model.
  res.on('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  const run = (onToken?: (text: string) => void) =>
    askWithConfig(options.db, options.config, body.question, {
      videoId: body.video_id,
      limit: body.limit,
      signal: controller.signal,
      onToken,
    }).then((result) => {
      options.log?.info(
        {
          usage: result.usage,
          found: result.found,
          citations: result.citations.length,
          dropped: result.dropped.length,
          model: result.model,
        },
        `ASK answered (${result.citations.length} citation(s), ${result.dropped.length} dropped)`,
      );
      // As `ask --json`: a server that lacked a feature (json_schema, base64) is named with what was used instead.
      const fallbacks = askFallbacks(options.config);
      return { ...askResultView(result), ...(fallbacks.length > 0 ? { fallbacks } : {}) };
    });

  // A provider's failure answers 502/503 with its own code (ERROR_CODES): the upstream's fault, not the caller's.
  if (!/\btext\/event-stream\b/i.test(req.headers.accept ?? '')) return send(res, 200, await run());

  // The stream opens with the first event, so errors found before it (bad input) are still plain 4xx JSON.
  const event = (name: string, data: unknown) => {
    if (!res.headersSent)
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        'x-accel-buffering': 'no',
      });
    res.write(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
  };
  try {
    const view = await run((text) => event('token', { text }));
    event('result', view);
  } catch (err) {
    if (!res.headersSent) throw err;
    if (!(err instanceof VideoqaError)) options.log?.error({ err }, 'ask failed while streaming');
    event('error', { code: errorCode(err), message: err instanceof VideoqaError ? err.message : 'internal error' });
  }
  res.end();
}
