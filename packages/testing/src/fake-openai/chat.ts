import { randomBytes } from 'node:crypto';
import { answerChapters, chaptersRequest } from '../fake-chapters.ts';
import { askRequest, groundedAnswer } from './chat-ask.ts';
import { visionAnswer } from './chat-vision.ts';
import { HttpError, modelNotFound } from './http-error.ts';
import { checkStrictSchema, type JsonSchema, schemaFromPrompt } from './json-schema.ts';
import { CHAT_MODELS } from './models.ts';
import type { Malformed, RecordedRequest, RouteContext } from './types.ts';

export interface ChatCompletion {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: {
    index: number;
    message: { role: 'assistant'; content: string; refusal: null };
    finish_reason: string;
    logprobs: null;
  }[];
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}

type Message = { role: string; content: string };

/**
 * POST /v1/chat/completions. Checks the request as the real API does (model, messages,
 * image data URLs, json_object's "json" rule, strict schemas), then hands a structured
 * request to the handler its content calls for: a grounded answer (chat-ask.ts), chapters
 * (fake-chapters.ts) or, for anything else, a keyframe caption (chat-vision.ts).
 */
export async function chat(
  body: Record<string, unknown>,
  record: RecordedRequest,
  ctx: RouteContext,
  malformed?: Malformed,
): Promise<ChatCompletion> {
  const model = body.model as string | undefined;
  if (!model || (!CHAT_MODELS.has(model) && !ctx.local)) throw modelNotFound(model);
  const messages = body.messages;
  if (!Array.isArray(messages) || messages.length === 0)
    throw new HttpError(400, "'messages' must be a non-empty array", 'invalid_request_error', null, 'messages');
  const images = imagesOf(messages as { content?: unknown }[]);
  const texts = textsOf(messages as { role?: string; content?: unknown }[]);
  record.messages = texts;
  record.imageCount = images.length;
  record.imageBytes = images.reduce((n, b) => n + b.length, 0);
  const rf = body.response_format as
    | { type?: string; json_schema?: { name?: string; strict?: boolean; schema?: JsonSchema } }
    | undefined;
  if (rf?.type === 'json_schema' && ctx.local)
    throw new HttpError(400, "response_format type 'json_schema' is not supported by this server; use json_object");
  // json_object: the schema can only come from the prompt; answer it when a message carries one.
  const promptSchema = rf?.type === 'json_object' ? schemaFromPrompt(texts) : undefined;
  if (rf?.type === 'json_object') {
    if (!texts.some((m) => /json/i.test(m.content)))
      throw new HttpError(
        400,
        "'messages' must contain the word 'json' in some form, to use 'response_format' of type 'json_object'.",
      );
    record.responseFormat = 'json_object';
  }
  if (!(rf?.type === 'json_schema' || promptSchema)) {
    const content = malformed === 'schema' ? '' : `I see ${images.length} image(s).`;
    return completion(model, content, [], 50 + images.length * 85);
  }
  const js = promptSchema ? { name: 'json_object', schema: promptSchema, strict: false } : rf!.json_schema;
  if (!js?.name || !js.schema)
    throw new HttpError(400, "Missing required parameter: 'response_format.json_schema.name'");
  record.responseFormat = js.name;
  if (js.strict) checkStrictSchema(js.schema);
  const ask = askRequest(texts);
  if (ask)
    return completion(
      model,
      JSON.stringify(malformed === 'schema' ? { answer: 42, citations: 'none' } : groundedAnswer(ask, ctx.askMode)),
      texts,
    );
  const chapters = chaptersRequest(texts);
  if (chapters)
    return completion(
      model,
      JSON.stringify(malformed === 'schema' ? { chapters: 7 } : answerChapters(chapters, ctx.chaptersMode)),
      texts,
    );
  // Captions are priced like images (85 tokens each), not by their text.
  return completion(model, await visionAnswer(js.schema, images, malformed), [], 50 + images.length * 85);
}

/** The images of image_url parts, refused unless they are base64 data URLs of real JPEG/PNG/WEBP/GIF bytes. */
function imagesOf(messages: { content?: unknown }[]): Buffer[] {
  const images: Buffer[] = [];
  for (const m of messages) {
    if (!Array.isArray(m.content)) continue;
    for (const part of m.content as { type?: string; image_url?: { url?: string } }[]) {
      if (part.type !== 'image_url') continue;
      const url = part.image_url?.url ?? '';
      const match = /^data:(image\/(?:jpeg|png|webp|gif));base64,(.+)$/s.exec(url);
      if (!match)
        throw new HttpError(
          400,
          'Invalid image URL: expected a base64 data URL of a JPEG, PNG, WEBP or GIF image',
          'invalid_request_error',
          'invalid_image_url',
        );
      const bytes = Buffer.from(match[2]!, 'base64');
      const magicOk =
        (bytes[0] === 0xff && bytes[1] === 0xd8) ||
        bytes.subarray(1, 4).toString() === 'PNG' ||
        bytes.subarray(8, 12).toString() === 'WEBP' ||
        bytes.subarray(0, 3).toString() === 'GIF';
      if (!magicOk)
        throw new HttpError(
          400,
          'You uploaded an unsupported image. Please make sure your image is valid.',
          'invalid_request_error',
          'invalid_image_format',
        );
      images.push(bytes);
    }
  }
  return images;
}

/** Each message's text (the text parts of a multi-part message, joined): what handlers read and the log keeps. */
function textsOf(messages: { role?: string; content?: unknown }[]): Message[] {
  return messages.map((m) => ({
    role: String(m.role),
    content:
      typeof m.content === 'string'
        ? m.content
        : Array.isArray(m.content)
          ? (m.content as { type?: string; text?: string }[])
              .filter((p) => p.type === 'text')
              .map((p) => p.text ?? '')
              .join('\n')
          : '',
  }));
}

/** A chat.completion with usage: prompt tokens given, or about four characters a token of the messages. */
function completion(model: string, content: string, messages: { content: string }[], promptTokens = 0): ChatCompletion {
  const prompt = promptTokens || 10 + Math.ceil(messages.reduce((n, m) => n + m.content.length, 0) / 4);
  const completionTokens = Math.ceil(content.length / 4);
  return {
    id: `chatcmpl-${randomBytes(8).toString('hex')}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [
      { index: 0, message: { role: 'assistant', content, refusal: null }, finish_reason: 'stop', logprobs: null },
    ],
    usage: { prompt_tokens: prompt, completion_tokens: completionTokens, total_tokens: prompt + completionTokens },
  };
}
