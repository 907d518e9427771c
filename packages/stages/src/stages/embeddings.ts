import PQueue from 'p-queue';
import { ProviderError, type EmbeddingKind, type EmbeddingsProvider, type ProviderFallback, type Stage } from '@videoqa/core';
import { embeddingsFromConfig } from '../providers/from-config.ts';
import { reportFallbacks } from '../providers/fallbacks.ts';

export interface EmbeddingsOptions {
  /** Default: OpenAI from config. */
  provider?: EmbeddingsProvider;
  /** Requests in flight at once (default 2). */
  concurrency?: number;
  /** Estimated tokens per request (OpenAI allows 300k; default 100k). */
  maxTokensPerRequest?: number;
}

export interface EmbeddingsData {
  segments: number;
  captions: number;
  ocr: number;
  requests: number;
  /** How the provider degraded for its server (float instead of base64), when it did. */
  fallbacks?: ProviderFallback[];
}

interface Item {
  kind: EmbeddingKind;
  id: string;
  text: string;
}

/** text-embedding-3-small accepts 8192 tokens per input; ~3 characters a token keeps us under it. */
const MAX_INPUT_CHARS = 24_000;
const estimateTokens = (text: string) => Math.ceil(text.length / 3);

/** Text embedded for a caption: the caption, what is written on screen, and the objects seen. */
export function captionEmbeddingText(caption: string, entities: Record<string, unknown>): string {
  const list = (v: unknown) => (Array.isArray(v) ? v.filter((x) => typeof x === 'string' && x.trim()).join(', ') : '');
  const parts = [caption.trim()];
  const onScreen = list(entities.text);
  if (onScreen) parts.push(`On screen: ${onScreen}`);
  const objects = list(entities.objects);
  if (objects) parts.push(`Objects: ${objects}`);
  return parts.join('\n');
}

/** Groups inputs into requests within the count and token limits. */
export function batchInputs<T extends { text: string }>(items: readonly T[], maxCount: number, maxTokens: number): T[][] {
  const batches: T[][] = [];
  let current: T[] = [];
  let tokens = 0;
  for (const item of items) {
    const t = estimateTokens(item.text);
    if (current.length > 0 && (current.length >= maxCount || tokens + t > maxTokens)) {
      batches.push(current);
      current = [];
      tokens = 0;
    }
    current.push(item);
    tokens += t;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/**
 * embeddings: text-embedding-3-small vectors for transcript segments,
 * captions and OCR text, many inputs per request, written to the embedding columns. Empty
 * texts are not sent; rows that already have a vector are not sent again.
 */
export function embeddingsStage(options: EmbeddingsOptions = {}): Stage<EmbeddingsData> {
  return {
    name: 'embeddings',
    after: ['transcribe', 'vision'],
    afterIfPresent: ['ocr'],
    description: 'vectors for semantic search',
    async run(ctx) {
      const resolved = options.provider ? { provider: options.provider } : embeddingsFromConfig(ctx.config);
      if (!resolved.provider) return { skipped: `${resolved.missing}: embeddings skipped` };
      const provider = resolved.provider;
      const videoId = ctx.video.id;
      const [segments, captions, ocr, embeddedSegments, embeddedCaptions, embeddedOcr] = await Promise.all([
        ctx.store.listSegments(videoId),
        ctx.store.listCaptions(videoId),
        ctx.store.listOcr(videoId),
        ctx.store.listEmbedded('segment', videoId),
        ctx.store.listEmbedded('caption', videoId),
        ctx.store.listEmbedded('ocr', videoId),
      ]);
      const have = new Set([...embeddedSegments.map((id) => `segment:${id}`), ...embeddedCaptions.map((id) => `caption:${id}`), ...embeddedOcr.map((id) => `ocr:${id}`)]);
      const items: Item[] = [
        ...segments.map((s) => ({ kind: 'segment' as const, id: s.id, text: s.text.trim() })),
        ...captions.map((c) => ({ kind: 'caption' as const, id: c.id, text: captionEmbeddingText(c.caption, c.entities) })),
        ...ocr.map((o) => ({ kind: 'ocr' as const, id: o.id, text: o.text.trim() })),
      ]
        .filter((i) => i.text.length > 0 && !have.has(`${i.kind}:${i.id}`))
        .map((i) => ({ ...i, text: i.text.slice(0, MAX_INPUT_CHARS) }));

      const batches = batchInputs(items, Math.min(ctx.config.embeddingBatchSize, provider.maxBatchSize), options.maxTokensPerRequest ?? 100_000);
      const queue = new PQueue({ concurrency: options.concurrency ?? ctx.config.embeddingMaxConcurrent });
      let sent = 0;
      await Promise.all(
        batches.map((batch) =>
          queue.add(async () => {
            ctx.signal.throwIfAborted();
            const res = await provider.embed(batch.map((b) => b.text), { signal: ctx.signal });
            if (res.vectors.length !== batch.length) throw new ProviderError(provider.name, 'malformed_reply', `asked for ${batch.length} embeddings, got ${res.vectors.length}`);
            ctx.addUsage({ requests: 1, inputTokens: res.usage?.inputTokens ?? 0 });
            for (const kind of ['segment', 'caption', 'ocr'] as const) {
              const rows = batch.flatMap((b, i) => (b.kind === kind ? [{ id: b.id, embedding: res.vectors[i]! }] : []));
              await ctx.store.setEmbeddings(kind, rows);
            }
            sent += batch.length;
            ctx.progress(sent, items.length);
          }),
        ),
      ).catch((err: unknown) => {
        queue.clear();
        throw err;
      });
      const count = (kind: EmbeddingKind) => items.filter((i) => i.kind === kind).length;
      const fallbacks = reportFallbacks(provider, ctx.log);
      const data = { segments: count('segment'), captions: count('caption'), ocr: count('ocr'), requests: batches.length, ...(fallbacks.length ? { fallbacks } : {}) };
      return { data, counts: { vectors: items.length, requests: batches.length, alreadyEmbedded: have.size } };
    },
  };
}
