import PQueue from 'p-queue';
import {
  ProviderError,
  type EmbeddingKind,
  type EmbeddingsProvider,
  type ProviderFallback,
  type Stage,
  type VideoSummaryRow,
} from '@videoqa/core';
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
  /** Chapters (title and summary) and video summaries, when the chapters stage ran. */
  chapters: number;
  summaries: number;
  /** Annotations stage plugins stored (Store.replaceAnnotations). */
  annotations: number;
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

const EMBEDDING_KINDS: readonly EmbeddingKind[] = ['segment', 'caption', 'ocr', 'chapter', 'summary', 'annotation'];

/** Text embedded for a video summary: the paragraph, the key points and the tags. */
export function summaryEmbeddingText(summary: VideoSummaryRow): string {
  const parts = [summary.summary.trim()];
  if (summary.keyPoints.length > 0) parts.push(`Key points: ${summary.keyPoints.map((k) => k.text).join('; ')}`);
  if (summary.tags.length > 0) parts.push(`Tags: ${summary.tags.join(', ')}`);
  return parts.join('\n');
}

/** Groups inputs into requests within the count and token limits. */
export function batchInputs<T extends { text: string }>(
  items: readonly T[],
  maxCount: number,
  maxTokens: number,
): T[][] {
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
 * captions, OCR text, chapters and the video summary, many inputs per request, written to the embedding columns. Empty
 * texts are not sent; rows that already have a vector are not sent again.
 */
export function embeddingsStage(options: EmbeddingsOptions = {}): Stage<EmbeddingsData> {
  return {
    name: 'embeddings',
    after: ['transcribe', 'vision'],
    afterIfPresent: ['ocr', 'chapters'],
    description: 'vectors for semantic search',
    async run(ctx) {
      const resolved = options.provider ? { provider: options.provider } : embeddingsFromConfig(ctx.config);
      if (!resolved.provider) return { skipped: `${resolved.missing}: embeddings skipped` };
      const provider = resolved.provider;
      const videoId = ctx.video.id;
      const [segments, captions, ocr, chapters, summary, annotations] = await Promise.all([
        ctx.store.listSegments(videoId),
        ctx.store.listCaptions(videoId),
        ctx.store.listOcr(videoId),
        ctx.store.listChapters(videoId),
        ctx.store.getSummary(videoId),
        ctx.store.listAnnotations(videoId),
      ]);
      const have = new Set(
        (
          await Promise.all(
            EMBEDDING_KINDS.map(async (kind) =>
              (await ctx.store.listEmbedded(kind, videoId)).map((id) => `${kind}:${id}`),
            ),
          )
        ).flat(),
      );
      const items: Item[] = [
        ...segments.map((s) => ({ kind: 'segment' as const, id: s.id, text: s.text.trim() })),
        ...captions.map((c) => ({
          kind: 'caption' as const,
          id: c.id,
          text: captionEmbeddingText(c.caption, c.entities),
        })),
        ...ocr.map((o) => ({ kind: 'ocr' as const, id: o.id, text: o.text.trim() })),
        ...chapters.map((c) => ({ kind: 'chapter' as const, id: c.id, text: `${c.title}: ${c.summary}`.trim() })),
        ...(summary ? [{ kind: 'summary' as const, id: videoId, text: summaryEmbeddingText(summary) }] : []),
        ...annotations.map((a) => ({ kind: 'annotation' as const, id: a.id, text: a.text.trim() })),
      ]
        .filter((i) => i.text.length > 0 && !have.has(`${i.kind}:${i.id}`))
        .map((i) => ({ ...i, text: i.text.slice(0, MAX_INPUT_CHARS) }));

      const batches = batchInputs(
        items,
        Math.min(ctx.config.embeddingBatchSize, provider.maxBatchSize),
        options.maxTokensPerRequest ?? 100_000,
      );
      const queue = new PQueue({ concurrency: options.concurrency ?? ctx.config.embeddingMaxConcurrent });
      let sent = 0;
      await Promise.all(
        batches.map((batch) =>
          queue.add(async () => {
            ctx.signal.throwIfAborted();
            const res = await provider.embed(
              batch.map((b) => b.text),
              { signal: ctx.signal },
            );
            if (res.vectors.length !== batch.length)
              throw new ProviderError(
                provider.name,
                'malformed_reply',
                `asked for ${batch.length} embeddings, got ${res.vectors.length}`,
              );
            ctx.addUsage({ requests: 1, inputTokens: res.usage?.inputTokens ?? 0 });
            for (const kind of EMBEDDING_KINDS) {
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
      const data = {
        segments: count('segment'),
        captions: count('caption'),
        ocr: count('ocr'),
        chapters: count('chapter'),
        summaries: count('summary'),
        annotations: count('annotation'),
        requests: batches.length,
        ...(fallbacks.length ? { fallbacks } : {}),
      };
      return { data, counts: { vectors: items.length, requests: batches.length, alreadyEmbedded: have.size } };
    },
  };
}
