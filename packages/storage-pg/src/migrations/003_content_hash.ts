import type { Migration } from './types.ts';

/** The SHA-256 of a video's upload, so the same file processed twice is found, not duplicated. */
export const contentHash: Migration = {
  version: 3,
  name: 'video content hash',
  async up(tx) {
    await tx.exec(`
      ALTER TABLE videos ADD COLUMN content_sha256 text;
      CREATE INDEX videos_content_sha256_idx ON videos (content_sha256) WHERE content_sha256 IS NOT NULL;
    `);
  },
};
