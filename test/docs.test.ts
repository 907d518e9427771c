import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ENV_NAMES, ERROR_CODES, httpStatusForCode } from '@videoqa/core';
import { describe, expect, it } from 'vitest';

const read = (p: string) => readFileSync(fileURLToPath(new URL(`../${p}`, import.meta.url)), 'utf8');

describe('documentation stays true', () => {
  it('documents every configuration variable', () => {
    const doc = read('docs/configuration.md');
    for (const name of [...Object.values(ENV_NAMES), 'MAX_RETRIES']) expect(doc, name).toContain(`\`${name}\``);
  });

  it('documents every error code with its HTTP status and exit code', () => {
    const doc = read('docs/operations.md');
    const exits = { usage: 2, badInput: 4, failed: 1 } as const;
    for (const [code, info] of Object.entries(ERROR_CODES)) {
      const http = 'http' in info ? String(httpStatusForCode(code as keyof typeof ERROR_CODES, false)) : '400 / 503*';
      expect(doc, code).toContain(`| \`${code}\` | ${http} | ${exits[info.exit]} |`);
    }
  });

  it('documents every CLI command', () => {
    const doc = read('docs/cli.md');
    for (const cmd of [
      'process',
      'enqueue',
      'worker',
      'api',
      'list',
      'show',
      'export',
      'search',
      'ask',
      'migrate',
      'retry',
      'status',
      'doctor',
      'serve',
    ])
      expect(doc).toMatch(new RegExp(`\\| \`${cmd}[ \`]`));
  });

  it('has exactly one install and one test command in the README, and .ci/run reads them', () => {
    const readme = read('README.md');
    const lineAfter = (marker: string) =>
      readme
        .split(`<!-- ci:${marker} -->`)[1]!
        .split('\n')
        .find((l) => l.trim() && !l.startsWith('```'));
    expect(lineAfter('install')).toBe('./scripts/install.sh');
    expect(lineAfter('test')).toBe('pnpm test');
    expect(readme.match(/<!-- ci:install -->/g)).toHaveLength(1);
    expect(readme.match(/<!-- ci:test -->/g)).toHaveLength(1);
    expect(readme).toContain('pnpm videoqa process path/to/video.mp4');
    expect(read('.ci/run')).toContain('ci:$1');
  });
});
