import { describe, expect, it } from 'vitest';
import { InvalidIdError } from './errors.ts';
import { captionId, frameId, newId, padIndex, sceneId, segmentId, validateVideoId } from './ids.ts';

describe('ids', () => {
  it('follows the seed conventions', () => {
    expect(sceneId('v1', 0)).toBe('v1_scene_000');
    expect(frameId('v1', 7)).toBe('v1_frame_007');
    expect(segmentId('v1', 42)).toBe('v1_segment_042');
    expect(captionId(frameId('v1', 7))).toBe('v1_frame_007_caption');
  });

  it('keeps counting past 999', () => {
    expect(padIndex(999)).toBe('999');
    expect(sceneId('v', 1000)).toBe('v_scene_1000');
    expect(segmentId('v', 12345)).toBe('v_segment_12345');
    expect(() => padIndex(-1)).toThrow(RangeError);
    expect(() => padIndex(1.5)).toThrow(RangeError);
  });

  it('accepts ordinary ids', () => {
    for (const id of ['test-video', 'abc123', 'a.b_c-d', newId(), 'x'.repeat(128)])
      expect(validateVideoId(id)).toBe(id);
  });

  it.each([
    ['../etc', 'contains a path separator|".."'],
    ['a/b', 'path separator'],
    ['a\\b', 'path separator'],
    ['..', '".."'],
    ['a..b', '".."'],
    ['.hidden', 'starts with "."'],
    ['bad\nid', 'control characters'],
    ['nul\u0000', 'control characters'],
    ['x'.repeat(129), 'longer than 128'],
    ['', 'must not be empty'],
    ['sp ace', 'characters other than'],
    ['ünï', 'characters other than'],
  ])('rejects %j', (id, reason) => {
    let caught: unknown;
    try {
      validateVideoId(id);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(InvalidIdError);
    expect((caught as InvalidIdError).code).toBe('INVALID_ID');
    expect((caught as InvalidIdError).retryable).toBe(false);
    expect((caught as Error).message).toMatch(new RegExp(reason));
  });

  it('rejects non-strings', () => {
    expect(() => validateVideoId(42)).toThrow(InvalidIdError);
  });
});
