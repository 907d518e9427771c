import {
  aiEndpoint,
  type AiCapability,
  type ChaptersProvider,
  type ChatProvider,
  type Config,
  type EmbeddingsProvider,
  type TranscriptionProvider,
  type VisionProvider,
} from '@videoqa/core';
import { createOpenAIProviders, type OpenAIProviders } from './openai.ts';
import { createSupadataTranscription } from './supadata.ts';

export type ProviderKind = 'transcription' | 'vision' | 'embeddings' | 'chat';

export interface ResolvedProvider<T> {
  provider?: T;
  /** Why there is none (shown as the stage's skip reason). */
  missing?: string;
}

/** One client per capability and config: each capability may have its own server, key and limits. */
const openaiCache = new WeakMap<Config, Map<AiCapability, OpenAIProviders>>();

function openai(config: Config, capability: AiCapability): OpenAIProviders | undefined {
  const endpoint = aiEndpoint(config, capability);
  if (!endpoint.enabled) return undefined;
  let byCapability = openaiCache.get(config);
  if (!byCapability) openaiCache.set(config, (byCapability = new Map()));
  let p = byCapability.get(capability);
  if (!p) {
    p = createOpenAIProviders({
      // A local server given by its own base URL may need no key; the SDK insists on one, so send a placeholder.
      apiKey: endpoint.apiKey ?? 'no-key',
      baseURL: endpoint.baseUrl,
      timeoutMs: endpoint.timeoutMs,
      maxRetries: endpoint.maxRetries,
      transcriptionModel: config.transcriptionModel,
      visionModel: config.visionModel,
      embeddingModel: config.embeddingModel,
      embeddingDimensions: config.embeddingDimensions,
      chatModel: config.chatModel,
      ffmpegPath: config.ffmpegPath,
    });
    byCapability.set(capability, p);
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
  const p = openai(config, 'transcription');
  return p ? { provider: p.transcription } : { missing: NO_OPENAI_KEY };
}

export function visionFromConfig(config: Config): ResolvedProvider<VisionProvider> {
  const p = openai(config, 'vision');
  return p ? { provider: p.vision } : { missing: NO_OPENAI_KEY };
}

export function embeddingsFromConfig(config: Config): ResolvedProvider<EmbeddingsProvider> {
  const p = openai(config, 'embeddings');
  return p ? { provider: p.embeddings } : { missing: NO_OPENAI_KEY };
}

export function chatFromConfig(config: Config): ResolvedProvider<ChatProvider> {
  const p = openai(config, 'chat');
  return p ? { provider: p.chat } : { missing: NO_OPENAI_KEY };
}

/** Chapters run on the chat capability's server and model (OPENAI_CHAT_*). */
export function chaptersFromConfig(config: Config): ResolvedProvider<ChaptersProvider> {
  const p = openai(config, 'chat');
  return p ? { provider: p.chapters } : { missing: NO_OPENAI_KEY };
}
