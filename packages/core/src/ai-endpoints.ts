import type { Config } from './config.ts';

/** The AI capabilities videoqa calls out for; each can have its own server, key, model and limits. */
export type AiCapability = 'transcription' | 'vision' | 'embeddings' | 'chat';
export const AI_CAPABILITIES: readonly AiCapability[] = ['transcription', 'vision', 'embeddings', 'chat'];

/** Where one capability's requests go, with every setting already fallen back to the shared OPENAI_* ones. */
export interface AiEndpoint {
  capability: AiCapability;
  /** undefined: api.openai.com. */
  baseUrl?: string;
  apiKey?: string;
  model: string;
  timeoutMs: number;
  maxRetries: number;
  /** Requests of this capability in flight at once. */
  concurrency: number;
  /** Whether the base URL / key are the capability's own (true) or the shared ones. */
  ownBaseUrl: boolean;
  ownApiKey: boolean;
  /** Usable: a key is set, or the capability has its own base URL (local servers often need no key). */
  enabled: boolean;
  /** Variable prefix of the capability's own settings, for messages (`OPENAI_VISION`). */
  envPrefix: string;
}

const PREFIX: Record<AiCapability, string> = {
  transcription: 'OPENAI_TRANSCRIPTION',
  vision: 'OPENAI_VISION',
  embeddings: 'OPENAI_EMBEDDING',
  chat: 'OPENAI_CHAT',
};

/** Resolves a capability's endpoint: its own setting where set, the shared OpenAI one otherwise. */
export function aiEndpoint(config: Config, capability: AiCapability): AiEndpoint {
  const own = {
    transcription: {
      baseUrl: config.transcriptionBaseUrl,
      apiKey: config.transcriptionApiKey,
      timeoutMs: config.transcriptionTimeoutMs,
      maxRetries: config.transcriptionMaxRetries,
      model: config.transcriptionModel,
      concurrency: config.transcribeMaxConcurrent,
    },
    vision: {
      baseUrl: config.visionBaseUrl,
      apiKey: config.visionApiKey,
      timeoutMs: config.visionTimeoutMs,
      maxRetries: config.visionMaxRetries,
      model: config.visionModel,
      concurrency: config.visionMaxConcurrent,
    },
    embeddings: {
      baseUrl: config.embeddingBaseUrl,
      apiKey: config.embeddingApiKey,
      timeoutMs: config.embeddingTimeoutMs,
      maxRetries: config.embeddingMaxRetries,
      model: config.embeddingModel,
      concurrency: config.embeddingMaxConcurrent,
    },
    // One question is one request: ask has no concurrency setting of its own.
    chat: {
      baseUrl: config.chatBaseUrl,
      apiKey: config.chatApiKey,
      timeoutMs: config.chatTimeoutMs,
      maxRetries: config.chatMaxRetries,
      model: config.chatModel,
      concurrency: 1,
    },
  }[capability];
  const baseUrl = own.baseUrl ?? config.openaiBaseUrl;
  // The shared key goes only where the shared base URL goes: a capability pointed at another
  // server must name its own key, so an OpenAI key is never sent to a local or third-party host.
  const apiKey = own.apiKey ?? (own.baseUrl === undefined ? config.openaiApiKey : undefined);
  return {
    capability,
    baseUrl,
    apiKey,
    model: own.model,
    timeoutMs: own.timeoutMs ?? config.openaiTimeoutMs,
    maxRetries: own.maxRetries ?? config.openaiMaxRetries,
    concurrency: own.concurrency,
    ownBaseUrl: own.baseUrl !== undefined,
    ownApiKey: own.apiKey !== undefined,
    enabled: Boolean(apiKey) || own.baseUrl !== undefined,
    envPrefix: PREFIX[capability],
  };
}
