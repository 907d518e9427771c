import { lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileNotFoundError } from './errors.ts';
import {
  importVideoFile,
  MAX_FILE_NAME_BYTES,
  removeStaleTemps,
  safeFileName,
  tempPathFor,
  writeAtomically,
} from './files.ts';

describe('files', () => {
  it('imports a file into uploads as {id}_{name}, keeping spaces and unicode', async () => {
    const src = join(mkdtempSync(join(tmpdir(), 'vq-src-')), 'My clip – été.mp4');
    writeFileSync(src, 'video bytes');
    const dataDir = mkdtempSync(join(tmpdir(), 'vq-data-'));
    const imported = await importVideoFile(src, { dataDir, videoId: 'v1' });
    expect(imported.originalPath).toBe('uploads/v1_My clip – été.mp4');
    expect(readFileSync(join(dataDir, imported.originalPath), 'utf8')).toBe('video bytes');
  });

  it('imports the file a (relative) symlink points at, never the link itself', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vq-src-'));
    mkdirSync(join(dir, 'real'));
    writeFileSync(join(dir, 'real/clip.mp4'), 'video bytes');
    symlinkSync('real/clip.mp4', join(dir, 'link.mp4'));
    const dataDir = mkdtempSync(join(tmpdir(), 'vq-data-'));
    const imported = await importVideoFile(join(dir, 'link.mp4'), { dataDir, videoId: 'sym' });
    expect(imported.originalPath).toBe('uploads/sym_link.mp4');
    expect(lstatSync(imported.absolutePath).isSymbolicLink()).toBe(false);
    expect(readFileSync(imported.absolutePath, 'utf8')).toBe('video bytes');
    symlinkSync('nowhere.mp4', join(dir, 'dangling.mp4'));
    await expect(importVideoFile(join(dir, 'dangling.mp4'), { dataDir })).rejects.toBeInstanceOf(FileNotFoundError);
    expect(readdirSync(join(dataDir, 'uploads'))).toEqual(['sym_link.mp4']);
  });

  it('removes the temp files a crashed writer left beside a target, and nothing else', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vq-stale-'));
    const target = join(dir, 'normalized.mp4');
    const temps = [tempPathFor(target), tempPathFor(target), `${tempPathFor(target)}.old`];
    for (const t of [...temps, target, join(dir, 'audio.wav'), tempPathFor(join(dir, 'audio.wav'))])
      writeFileSync(t, 'x');
    expect(await removeStaleTemps(target)).toBe(3);
    expect(readdirSync(dir).sort()).toEqual(
      [`.audio.wav.${process.pid}`, 'audio.wav', 'normalized.mp4'].map((n, i) =>
        i === 0 ? expect.stringMatching(/^\.audio\.wav\..*\.tmp$/) : n,
      ),
    );
    expect(await removeStaleTemps(join(dir, 'missing-dir', 'x'))).toBe(0);
  });

  it('fails clearly on a missing input', async () => {
    await expect(importVideoFile('/nonexistent/x.mp4', { dataDir: tmpdir() })).rejects.toBeInstanceOf(
      FileNotFoundError,
    );
  });

  it('sanitises names', () => {
    expect(safeFileName('/a/b/../c.mp4')).toBe('c.mp4');
    expect(safeFileName('bad\nname.mp4')).toBe('bad_name.mp4');
    expect(safeFileName('...')).toBe('video.mp4');
    // limits are in bytes: 244 bytes of two-byte characters are cut, never split mid-character, extension kept
    const long = safeFileName(`${'é'.repeat(120)}.mp4`);
    expect(Buffer.byteLength(long)).toBeLessThanOrEqual(MAX_FILE_NAME_BYTES);
    expect(long).toMatch(/^é+\.mp4$/);
    expect(safeFileName(`${'日本'.repeat(60)}.webm`)).toMatch(/^(日本)+日?\.webm$/);
    expect(safeFileName('short.mp4')).toBe('short.mp4');
  });

  it('never leaves a half-written file under the final name', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vq-atomic-'));
    const target = join(dir, 'out.bin');
    await expect(
      writeAtomically(target, async (temp) => {
        writeFileSync(temp, 'partial');
        throw new Error('crash mid-write');
      }),
    ).rejects.toThrow('crash mid-write');
    expect(readdirSync(dir)).toEqual([]);
    await writeAtomically(target, async (temp) => writeFileSync(temp, 'whole'));
    expect(readFileSync(target, 'utf8')).toBe('whole');
    expect(readdirSync(dir)).toEqual(['out.bin']);
  });
});
