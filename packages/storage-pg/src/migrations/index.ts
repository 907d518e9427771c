import { initial } from './001_initial.ts';
import { ocr } from './002_ocr.ts';
import { contentHash } from './003_content_hash.ts';
import { chaptersSpeakers } from './005_chapters_speakers.ts';
import type { Migration } from './types.ts';

/** Forward-only, in version order. Never edit a released migration: add a new one. */
export const migrations: readonly Migration[] = [initial, ocr, contentHash, chaptersSpeakers];
export type { Migration, MigrationContext } from './types.ts';
