import { initial } from './001_initial.ts';
import { ocr } from './002_ocr.ts';
import { contentHash } from './003_content_hash.ts';
import { webhooks } from './004_webhooks.ts';
import { chaptersSpeakers } from './005_chapters_speakers.ts';
import { embeddingDimensions } from './006_embedding_dimensions.ts';
import { sourceUrl } from './007_source_url.ts';
import { videoEvents } from './008_video_events.ts';
import { lifecycle } from './009_lifecycle.ts';
import { askUsage } from './010_ask_usage.ts';
import { annotations } from './011_annotations.ts';
import type { Migration } from './types.ts';

/** Forward-only, in version order. Never edit a released migration: add a new one. */
export const migrations: readonly Migration[] = [
  initial,
  ocr,
  contentHash,
  webhooks,
  chaptersSpeakers,
  embeddingDimensions,
  sourceUrl,
  videoEvents,
  lifecycle,
  askUsage,
  annotations,
];
export type { Migration, MigrationContext } from './types.ts';
