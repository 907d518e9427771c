import { hashingEmbedding, tokens } from '../hashing-embeddings.ts';
import { HttpError, modelNotFound } from './http-error.ts';
import { EMBEDDING_MODELS } from './models.ts';
import type { Malformed, RecordedRequest, RouteContext } from './types.ts';

/** The real API's limits per request, so batching in videoqa is tested against them. */
const MAX_EMBEDDING_INPUTS = 2048;
const MAX_EMBEDDING_TOKENS = 8192;

const invalidInput = (message: string, param = 'input') =>
  new HttpError(400, message, 'invalid_request_error', null, param);

/**
 * POST /v1/embeddings: hashing embeddings (bag of words), so texts sharing words get
 * similar vectors and search can be tested for meaning without a model. A 'schema'
 * fault answers vectors of the wrong size.
 */
export function embeddings(
  body: Record<string, unknown>,
  record: RecordedRequest,
  ctx: RouteContext,
  malformed?: Malformed,
): unknown {
  const model = body.model as string | undefined;
  const native = ctx.local && model ? ctx.local.embeddingDimensions : model ? EMBEDDING_MODELS[model] : undefined;
  if (!native) throw modelNotFound(model);
  const input = body.input;
  const inputs = typeof input === 'string' ? [input] : Array.isArray(input) ? input : null;
  if (!inputs || inputs.length === 0) throw invalidInput("'$.input' is invalid. Please check the API reference.");
  if (inputs.length > MAX_EMBEDDING_INPUTS)
    throw invalidInput(`'$.input' is too long: at most ${MAX_EMBEDDING_INPUTS} inputs per request.`);
  for (const [i, text] of inputs.entries()) {
    if (typeof text !== 'string' || text.length === 0)
      throw invalidInput(`'$.input[${i}]' is invalid: empty strings are not allowed.`);
    if (Math.ceil(text.length / 4) > MAX_EMBEDDING_TOKENS)
      throw invalidInput(
        `This model's maximum context length is ${MAX_EMBEDDING_TOKENS} tokens; input ${i} is longer.`,
      );
  }
  // Local servers ignore `dimensions`: the model's size is what comes back.
  const dims = body.dimensions === undefined || ctx.local ? native : Number(body.dimensions);
  if (!Number.isInteger(dims) || dims < 1 || dims > native)
    throw invalidInput(`dimensions must be between 1 and ${native}`, 'dimensions');
  const format = (body.encoding_format as string | undefined) ?? 'float';
  if (ctx.local && format === 'base64')
    throw invalidInput("encoding_format 'base64' is not supported by this server; use float", 'encoding_format');
  record.inputs = inputs as string[];
  record.encodingFormat = format;
  const data = (inputs as string[]).map((text, index) => {
    const v = hashingEmbedding(text, malformed === 'schema' ? Math.max(1, dims - 7) : dims);
    const embedding = format === 'base64' ? Buffer.from(new Float32Array(v).buffer).toString('base64') : v;
    return { object: 'embedding', index, embedding };
  });
  const promptTokens = (inputs as string[]).reduce((n, t) => n + Math.max(1, tokens(t).length), 0);
  return { object: 'list', data, model, usage: { prompt_tokens: promptTokens, total_tokens: promptTokens } };
}
