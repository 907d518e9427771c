import { createHash } from 'node:crypto';
import type { EmbeddingsProvider } from '@videoqa/core';

const STOP_WORDS = new Set([
  'a',
  'an',
  'the',
  'of',
  'and',
  'or',
  'to',
  'in',
  'on',
  'at',
  'is',
  'are',
  'was',
  'it',
  'with',
  'for',
  'this',
  'that',
  'by',
  'as',
  'be',
]);

/** Lower-cased words without stop words, with a crude plural strip so "cats" meets "cat". */
export function tokens(text: string): string[] {
  return (text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [])
    .filter((w) => !STOP_WORDS.has(w))
    .map((w) => (w.length > 3 && w.endsWith('s') && !w.endsWith('ss') ? w.slice(0, -1) : w));
}

/**
 * Deterministic bag-of-words vectors by feature hashing: texts that share words
 * get similar vectors, unrelated texts nearly orthogonal ones. Unit length, like
 * OpenAI's embeddings, so dot product = cosine similarity.
 */
export function hashingEmbedding(text: string, dimensions = 1536): number[] {
  const v = new Array<number>(dimensions).fill(0);
  const words = tokens(text);
  const features = [...words, ...words.slice(1).map((w, i) => `${words[i]} ${w}`)];
  for (const f of features) {
    const h = createHash('sha1').update(f).digest();
    const index = h.readUInt32LE(0) % dimensions;
    const sign = h[4]! & 1 ? 1 : -1;
    v[index]! += sign * (f.includes(' ') ? 0.5 : 1);
  }
  let norm = Math.hypot(...v);
  if (norm === 0) {
    // Empty or stop-word-only text: a fixed direction rather than a zero vector.
    v[0] = 1;
    norm = 1;
  }
  return v.map((x) => x / norm);
}

/** An EmbeddingsProvider backed by hashingEmbedding (no network). */
export function hashingEmbeddingsProvider(dimensions = 1536): EmbeddingsProvider & { calls: number } {
  const provider = {
    name: 'hashing',
    dimensions,
    maxBatchSize: 2048,
    calls: 0,
    async embed(texts: readonly string[]) {
      provider.calls++;
      return {
        vectors: texts.map((t) => hashingEmbedding(t, dimensions)),
        usage: { inputTokens: texts.reduce((n, t) => n + tokens(t).length, 0) },
      };
    },
  };
  return provider;
}
