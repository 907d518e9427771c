import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileNotFoundError } from './errors.ts';
import { importVideoFile, safeFileName, writeAtomically } from './files.ts';

describe('files', () => {
  it('imports a file into uploads as {id}_{name}, keeping spaces and unicode', async () => {
    const src = join(mkdtempSync(join(tmpdir(), 'vq-src-')), 'My clip – été.mp4');
    writeFileSync(src, 'video bytes');
    const dataDir = mkdtempSync(join(tmpdir(), 'vq-data-'));
    const imported = await importVideoFile(src, { dataDir, videoId: 'v1' });
    expect(imported.originalPath).toBe('uploads/v1_My clip – été.mp4');
    expect(readFileSync(join(dataDir, imported.originalPath), 'utf8')).toBe('video bytes');
  });

  it('fails clearly on a missing input', async () => {
    await expect(importVideoFile('/nonexistent/x.mp4', { dataDir: tmpdir() })).rejects.toBeInstanceOf(FileNotFoundError);
  });

  it('sanitises names', () => {
    expect(safeFileName('/a/b/../c.mp4')).toBe('c.mp4');
    expect(safeFileName('bad\nname.mp4')).toBe('bad_name.mp4');
    expect(safeFileName('...')).toBe('video.mp4');
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
