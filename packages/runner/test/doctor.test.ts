import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, tempDir } from './helpers.ts';

// doctor's local checks that the CLI test (a healthy setup, a broken ffmpeg, database and key)
// does not reach: an invalid configuration, an unusable DATA_DIR, an unmigrated database,
// a missing OCR language, OCR turned off and no AI key.
const names = (stdout: string) => (JSON.parse(stdout).checks as { name: string }[]).map((c) => c.name);

describe('videoqa doctor, local checks', () => {
  it('stops after an invalid configuration: every other check needs it', async () => {
    const res = await runCli(['doctor', '--json'], { DATA_DIR: tempDir(), OCR_LANGUAGES: 'ENG!' });
    expect(res.code).toBe(1);
    expect(names(res.stdout)).toEqual(['configuration']);
    const text = await runCli(['doctor'], { DATA_DIR: tempDir(), OCR_LANGUAGES: 'ENG!' });
    expect(text.stdout).toMatch(/✖ configuration: .*OCR_LANGUAGES[\s\S]*\n\s+fix: fix the variables named above/);
    expect(text.stdout).toMatch(/1 check\(s\) failed\n$/);
  });

  it('names an unmigrated database, a missing OCR language and the absent key', async () => {
    const res = await runCli(['doctor'], { DATA_DIR: tempDir(), OCR_LANGUAGES: 'xyz' });
    expect(res.code).toBe(1);
    expect(res.stdout).toMatch(/✔ DATA_DIR: .* is readable and writable/);
    expect(res.stdout).toMatch(/✔ database: embedded PGlite in .*; WebAssembly compiled by the baseline compiler only/);
    expect(res.stdout).toMatch(/✖ schema: version 0, this videoqa needs \d+\n\s+fix: run: videoqa migrate/);
    expect(res.stdout).toMatch(/✖ OCR language xyz: /);
    expect(res.stdout).toMatch(/! AI endpoints: OPENAI_API_KEY is not set/);
    expect(res.stdout).not.toMatch(/pgvector/);
    expect(res.stdout).toMatch(/2 check\(s\) failed\n$/);
  });

  it('reports a DATA_DIR it cannot use, and OCR turned off', async () => {
    const file = join(tempDir(), 'not-a-dir');
    writeFileSync(file, 'x');
    const res = await runCli(['doctor', '--json'], { DATA_DIR: file, OCR_ENABLED: 'false' });
    expect(res.code).toBe(1);
    const checks = JSON.parse(res.stdout).checks as { name: string; ok: boolean; fix?: string; detail: string }[];
    expect(checks.map((c) => c.name)).toEqual([
      'configuration',
      'ffmpeg',
      'ffprobe',
      'DATA_DIR',
      'database',
      'OCR',
      'AI endpoints',
    ]);
    expect(checks.find((c) => c.name === 'DATA_DIR')).toMatchObject({
      ok: false,
      fix: 'create it and give the worker user write access, or set DATA_DIR',
    });
    expect(checks.find((c) => c.name === 'OCR')).toMatchObject({
      ok: true,
      detail: 'OCR_ENABLED is false: keyframe text is not read',
    });
  });
});
