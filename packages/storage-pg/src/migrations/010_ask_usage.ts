import type { Migration } from './types.ts';

/**
 * One row per question asked (CLI, HTTP or library), for cost and quality
 * accounting. The question is kept only as its SHA-256 and length: questions
 * can carry personal data, and counting repeats does not need the words.
 * video_id has no foreign key: what was spent stays on record after a video is deleted.
 */
export const askUsage: Migration = {
  version: 10,
  name: 'ask usage',
  async up(tx) {
    await tx.exec(`
      CREATE TABLE ask_usage (
        id bigserial PRIMARY KEY,
        created_at timestamptz NOT NULL DEFAULT now(),
        question_sha256 text NOT NULL,
        question_chars integer NOT NULL,
        video_id text,
        outcome text NOT NULL CHECK (outcome IN ('answered', 'not_found', 'no_chat_provider', 'no_passages', 'prompt_leak', 'failed')),
        found boolean NOT NULL,
        model text,
        passages integer NOT NULL DEFAULT 0,
        citations integer NOT NULL DEFAULT 0,
        citations_dropped integer NOT NULL DEFAULT 0,
        requests integer NOT NULL DEFAULT 0,
        input_tokens integer NOT NULL DEFAULT 0,
        output_tokens integer NOT NULL DEFAULT 0,
        total_tokens integer NOT NULL DEFAULT 0,
        embedding_requests integer NOT NULL DEFAULT 0,
        embedding_tokens integer NOT NULL DEFAULT 0,
        error_code text
      );
      CREATE INDEX ask_usage_created_at_idx ON ask_usage (created_at);
      CREATE INDEX ask_usage_video_id_idx ON ask_usage (video_id, created_at);
    `);
  },
};
