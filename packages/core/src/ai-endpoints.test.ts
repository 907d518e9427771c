import { describe, expect, it } from 'vitest';
import { aiEndpoint, AI_CAPABILITIES } from './ai-endpoints.ts';
import { loadConfig, redactConfig } from './config.ts';

describe('aiEndpoint', () => {
  it('falls back to the shared OpenAI settings for every capability', () => {
    const config = loadConfig({
      env: {
        OPENAI_API_KEY: 'sk-shared-1234',
        OPENAI_BASE_URL: 'https://gw.example/v1',
        OPENAI_TIMEOUT_MS: '5000',
        OPENAI_MAX_RETRIES: '2',
      },
    });
    for (const c of AI_CAPABILITIES) {
      expect(aiEndpoint(config, c)).toMatchObject({
        baseUrl: 'https://gw.example/v1',
        apiKey: 'sk-shared-1234',
        timeoutMs: 5000,
        maxRetries: 2,
        enabled: true,
        ownBaseUrl: false,
        ownApiKey: false,
      });
    }
    expect(aiEndpoint(config, 'embeddings').model).toBe('text-embedding-3-small');
    expect(aiEndpoint(config, 'vision').concurrency).toBe(5);
  });

  it("takes each capability's own base URL, key, model and limits, and never sends the shared key to another server", () => {
    const config = loadConfig({
      env: {
        OPENAI_API_KEY: 'sk-shared-1234',
        OPENAI_TRANSCRIPTION_BASE_URL: 'http://127.0.0.1:8000/v1',
        OPENAI_TRANSCRIPTION_MODEL: 'whisper-large-v3',
        OPENAI_TRANSCRIPTION_TIMEOUT_MS: '900000',
        OPENAI_EMBEDDING_BASE_URL: 'http://127.0.0.1:11434/v1',
        OPENAI_EMBEDDING_API_KEY: 'emb-token-5678',
        OPENAI_EMBEDDING_MAX_RETRIES: '0',
        OPENAI_EMBEDDING_DIMENSIONS: '768',
        EMBEDDING_MAX_CONCURRENT: '4',
        OPENAI_CHAT_API_KEY: 'sk-chat-9999',
        OPENAI_CHAT_MODEL: 'gpt-4.1-mini',
      },
    });
    expect(aiEndpoint(config, 'transcription')).toMatchObject({
      baseUrl: 'http://127.0.0.1:8000/v1',
      apiKey: undefined,
      model: 'whisper-large-v3',
      timeoutMs: 900_000,
      enabled: true,
      ownBaseUrl: true,
    });
    expect(aiEndpoint(config, 'embeddings')).toMatchObject({
      baseUrl: 'http://127.0.0.1:11434/v1',
      apiKey: 'emb-token-5678',
      maxRetries: 0,
      concurrency: 4,
      ownApiKey: true,
    });
    expect(aiEndpoint(config, 'chat')).toMatchObject({
      baseUrl: undefined,
      apiKey: 'sk-chat-9999',
      model: 'gpt-4.1-mini',
    });
    expect(aiEndpoint(config, 'vision')).toMatchObject({ baseUrl: undefined, apiKey: 'sk-shared-1234' });
    expect(config.embeddingDimensions).toBe(768);
    // Keys of capabilities are secrets like the shared one.
    const shown = JSON.stringify(redactConfig(config));
    expect(shown).not.toContain('emb-token-5678');
    expect(shown).not.toContain('sk-chat-9999');
  });

  it('is disabled without a key or an own base URL; an own base URL alone enables a capability', () => {
    const none = loadConfig({ env: { OPENAI_BASE_URL: 'http://127.0.0.1:11434/v1' } });
    for (const c of AI_CAPABILITIES) expect(aiEndpoint(none, c).enabled).toBe(false);
    const local = loadConfig({ env: { OPENAI_VISION_BASE_URL: 'http://127.0.0.1:11434/v1' } });
    expect(aiEndpoint(local, 'vision')).toMatchObject({ enabled: true, apiKey: undefined });
    expect(aiEndpoint(local, 'chat').enabled).toBe(false);
  });

  it('names the variable of an invalid per-capability setting', () => {
    expect(() => loadConfig({ env: { OPENAI_EMBEDDING_DIMENSIONS: 'big' } })).toThrow(
      /OPENAI_EMBEDDING_DIMENSIONS: must be a number/,
    );
    expect(() => loadConfig({ env: { OPENAI_VISION_BASE_URL: 'ftp://x' } })).toThrow(
      /OPENAI_VISION_BASE_URL: must be a URL/,
    );
    expect(() => loadConfig({ env: { OPENAI_EMBEDDING_DIMENSIONS: '0' } })).toThrow(
      /OPENAI_EMBEDDING_DIMENSIONS: must be at least 1/,
    );
  });
});
