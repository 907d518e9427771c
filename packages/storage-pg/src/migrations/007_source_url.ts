import type { Migration } from './types.ts';

/** The http(s) URL a video was downloaded from (URL ingest); NULL for local files and uploads. */
export const sourceUrl: Migration = {
  version: 7,
  name: 'video source url',
  async up(tx) {
    await tx.exec(`ALTER TABLE videos ADD COLUMN source_url text`);
  },
};
