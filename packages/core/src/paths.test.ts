import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InvalidIdError, PathOutsideDataDirError } from './errors.ts';
import { resolveInDataDir, toDataDirRelative, videoPaths } from './paths.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'vq-paths-'));

describe('paths', () => {
  it('lays files out as DESIGN §3 says', () => {
    const p = videoPaths(dataDir, 'v1');
    expect(p.normalized).toBe(join(dataDir, 'processed/v1/normalized.mp4'));
    expect(p.audio).toBe(join(dataDir, 'processed/v1/audio.wav'));
    expect(p.subs).toBe(join(dataDir, 'subs/v1.srt'));
    expect(p.frame(3)).toBe(join(dataDir, 'frames/v1/scene_003.jpg'));
    expect(p.frame(3, 2)).toBe(join(dataDir, 'frames/v1/scene_003_2.jpg'));
    expect(p.uploadsDir).toBe(join(dataDir, 'uploads'));
  });

  it('refuses unsafe video ids', () => {
    expect(() => videoPaths(dataDir, '../x')).toThrow(InvalidIdError);
  });

  it('resolves relative and absolute paths inside DATA_DIR', () => {
    expect(resolveInDataDir(dataDir, 'uploads/a.mp4')).toBe(join(dataDir, 'uploads/a.mp4'));
    expect(resolveInDataDir(dataDir, join(dataDir, 'uploads/a.mp4'))).toBe(join(dataDir, 'uploads/a.mp4'));
    expect(resolveInDataDir(dataDir, 'uploads/../uploads/b.mp4')).toBe(join(dataDir, 'uploads/b.mp4'));
    expect(toDataDirRelative(dataDir, join(dataDir, 'processed', 'v1', 'normalized.mp4'))).toBe(
      'processed/v1/normalized.mp4',
    );
  });

  it.each([['../outside.mp4'], ['uploads/../../etc/passwd'], ['/etc/passwd'], [''], ['a\u0000b']])(
    'refuses %j',
    (p) => {
      expect(() => resolveInDataDir(dataDir, p)).toThrow(PathOutsideDataDirError);
    },
  );

  it('refuses a symlink that points out of DATA_DIR', () => {
    const outside = mkdtempSync(join(tmpdir(), 'vq-outside-'));
    writeFileSync(join(outside, 'secret.mp4'), 'x');
    mkdirSync(join(dataDir, 'uploads'), { recursive: true });
    symlinkSync(outside, join(dataDir, 'uploads', 'escape'));
    expect(() => resolveInDataDir(dataDir, 'uploads/escape/secret.mp4')).toThrow(PathOutsideDataDirError);
    expect(() => resolveInDataDir(dataDir, 'uploads/escape/not-yet-there.mp4')).toThrow(PathOutsideDataDirError);
    const err = (() => {
      try {
        resolveInDataDir(dataDir, '/etc/passwd');
      } catch (e) {
        return e as PathOutsideDataDirError;
      }
    })();
    expect(err?.code).toBe('PATH_OUTSIDE_DATA_DIR');
    expect(err?.retryable).toBe(false);
  });

  it('accepts a symlink that stays inside', () => {
    mkdirSync(join(dataDir, 'real'), { recursive: true });
    symlinkSync(join(dataDir, 'real'), join(dataDir, 'alias'));
    expect(resolveInDataDir(dataDir, 'alias/x.mp4')).toBe(join(dataDir, 'alias/x.mp4'));
  });
});
