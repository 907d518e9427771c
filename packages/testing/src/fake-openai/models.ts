/**
 * The models the fake knows, as the real API names them: requests for others get the
 * real API's errors (except in local mode, where any name goes, as on Ollama or vLLM).
 */

export const TRANSCRIPTION_MODELS = new Set([
  'whisper-1',
  'gpt-4o-transcribe',
  'gpt-4o-mini-transcribe',
  'gpt-4o-transcribe-diarize',
]);
/** The one transcription model that labels speakers (response_format diarized_json). */
export const DIARIZE_MODEL = 'gpt-4o-transcribe-diarize';
export const CHAT_MODELS = new Set(['gpt-4o', 'gpt-4o-mini', 'gpt-4.1', 'gpt-4.1-mini', 'gpt-5', 'gpt-5-mini']);
/** Embedding models and their native sizes (the most `dimensions` may ask for). */
export const EMBEDDING_MODELS: Record<string, number> = {
  'text-embedding-3-small': 1536,
  'text-embedding-3-large': 3072,
  'text-embedding-ada-002': 1536,
};

/** GET /v1/models: every model the fake accepts outside local mode. */
export function listModels(): unknown {
  return {
    object: 'list',
    data: [...TRANSCRIPTION_MODELS, ...CHAT_MODELS, ...Object.keys(EMBEDDING_MODELS)].map((id) => ({
      id,
      object: 'model',
      created: 0,
      owned_by: 'fake',
    })),
  };
}
