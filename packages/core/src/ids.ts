import { randomUUID } from 'node:crypto';
import { InvalidIdError } from './errors.ts';

/** Zero-padded to at least three digits, as the seed's `{i:03d}`; 1000 stays 1000. */
export function padIndex(i: number): string {
  if (!Number.isInteger(i) || i < 0) throw new RangeError(`index must be a non-negative integer, got ${i}`);
  return String(i).padStart(3, '0');
}

export const sceneId = (videoId: string, i: number): string => `${videoId}_scene_${padIndex(i)}`;
export const frameId = (videoId: string, i: number): string => `${videoId}_frame_${padIndex(i)}`;
export const segmentId = (videoId: string, i: number): string => `${videoId}_segment_${padIndex(i)}`;
export const chapterId = (videoId: string, i: number): string => `${videoId}_chapter_${padIndex(i)}`;
export const captionId = (frameIdValue: string): string => `${frameIdValue}_caption`;

export const MAX_ID_LENGTH = 128;
const ID_PATTERN = /^[A-Za-z0-9_.-]+$/;

/**
 * Ids become file names (uploads/{id}_name, processed/{id}/...), so only a
 * conservative character set is allowed. Returns the id when valid.
 */
export function validateId(id: unknown, kind = 'video'): string {
  if (typeof id !== 'string') throw new InvalidIdError(kind, String(id), 'must be a string');
  if (id.length === 0) throw new InvalidIdError(kind, id, 'must not be empty');
  if (id.length > MAX_ID_LENGTH) throw new InvalidIdError(kind, id, `longer than ${MAX_ID_LENGTH} characters`);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what ids must not contain
  if (/[\u0000-\u001f\u007f]/.test(id)) throw new InvalidIdError(kind, id, 'contains control characters');
  if (id.includes('/') || id.includes('\\')) throw new InvalidIdError(kind, id, 'contains a path separator');
  if (id.includes('..')) throw new InvalidIdError(kind, id, 'contains ".."');
  if (id.startsWith('.')) throw new InvalidIdError(kind, id, 'starts with "."');
  if (!ID_PATTERN.test(id)) throw new InvalidIdError(kind, id, 'contains characters other than A-Z a-z 0-9 . _ -');
  return id;
}

export const validateVideoId = (id: unknown): string => validateId(id, 'video');

/** A new random id, safe for file names. */
export function newId(prefix = ''): string {
  return `${prefix}${randomUUID()}`;
}
