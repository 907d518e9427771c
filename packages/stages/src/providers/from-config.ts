import type { ChaptersProvider, ChatProvider, Config, EmbeddingsProvider, TranscriptionProvider, VisionProvider } from '@videoqa/core';
import { createOpenAIProviders, type OpenAIProviders } from './openai.ts';
import { createSupadataTranscription } from './supadata.ts';

export type ProviderKind = 'transcription' | 'vision' | 'embeddings' | 'chat';

export interface ResolvedProvider<T> {
  provider?: T;
  /** Why there is none (shown as the stage's skip reason). */
  missing?: string;
}

const openaiCache = new WeakMap<Config, OpenAIProviders>();

function openai(config: Config): OpenAIProviders | undefined {
  if (!config.openaiApiKey) return undefined;
  let p = openaiCache.get(config);
  if (!p) {
    p = createOpenAIProviders({
      apiKey: config.openaiApiKey,
      baseURL: config.openaiBaseUrl,
      timeoutMs: config.openaiTimeoutMs,
      maxRetries: config.openaiMaxRetries,
      transcriptionModel: config.transcriptionModel,
      visionModel: config.visionModel,
      embeddingModel: config.embeddingModel,
      chatModel: config.chatModel,
    });
    openaiCache.set(config, p);
  }
  return p;
}

const NO_OPENAI_KEY = 'OPENAI_API_KEY is not set';

export function transcriptionFromConfig(config: Config): ResolvedProvider<TranscriptionProvider> {
  if (config.transcriptionProvider === 'supadata') {
    if (!config.supadataApiKey) return { missing: 'SUPADATA_API_KEY is not set (TRANSCRIPTION_PROVIDER=supadata)' };
    return {
      provider: createSupadataTranscription({
        apiKey: config.supadataApiKey,
        baseUrl: config.supadataBaseUrl,
        mediaBaseUrl: config.supadataMediaBaseUrl,
        timeoutMs: config.openaiTimeoutMs,
        maxRetries: config.openaiMaxRetries,
      }),
    };
  }
  const p = openai(config);
  return p ? { provider: p.transcription } : { missing: NO_OPENAI_KEY };
}

export function visionFromConfig(config: Config): ResolvedProvider<VisionProvider> {
  const p = openai(config);
  return p ? { provider: p.vision } : { missing: NO_OPENAI_KEY };
}

export function embeddingsFromConfig(config: Config): ResolvedProvider<EmbeddingsProvider> {
  const p = openai(config);
  return p ? { provider: p.embeddings } : { missing: NO_OPENAI_KEY };
}

export function chatFromConfig(config: Config): ResolvedProvider<ChatProvider> {
  const p = openai(config);
  return p ? { provider: p.chat } : { missing: NO_OPENAI_KEY };
}

export function chaptersFromConfig(config: Config): ResolvedProvider<ChaptersProvider> {
  const p = openai(config);
  return p ? { provider: p.chapters } : { missing: NO_OPENAI_KEY };
}
