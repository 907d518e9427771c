import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ENV_NAMES } from '@videoqa/core';
import { describe, expect, it } from 'vitest';

const read = (p: string) => readFileSync(fileURLToPath(new URL(`../${p}`, import.meta.url)), 'utf8');

describe('documentation stays true', () => {
  it('documents every configuration variable', () => {
    const doc = read('docs/configuration.md');
    for (const name of [...Object.values(ENV_NAMES), 'MAX_RETRIES']) expect(doc, name).toContain(`\`${name}\``);
  });

  it('documents every CLI command', () => {
    const doc = read('docs/cli.md');
    for (const cmd of ['process', 'enqueue', 'worker', 'api', 'list', 'show', 'export', 'search', 'ask', 'migrate', 'retry', 'status', 'doctor', 'serve']) expect(doc).toMatch(new RegExp(`\\| \`${cmd}[ \`]`));
  });

  it('has exactly one install and one test command in the README, and .ci/run reads them', () => {
    const readme = read('README.md');
    const after = (marker: string) => readme.split(`<!-- ci:${marker} -->`)[1]!.split('\n').find((l) => l.trim() && !l.startsWith('```'));
    expect(after('install')).toBe('./scripts/install.sh');
    expect(after('test')).toBe('pnpm test');
    expect(readme.match(/<!-- ci:install -->/g)).toHaveLength(1);
    expect(readme.match(/<!-- ci:test -->/g)).toHaveLength(1);
    expect(readme).toContain('pnpm videoqa process path/to/video.mp4');
    expect(read('.ci/run')).toContain('ci:$1');
  });
});
