import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { makeVideo } from '@videoqa/testing';
import { describe, expect, it } from 'vitest';
import { startCli, tempDir } from './helpers.ts';

/** Processes whose command line names this DATA_DIR (ffmpeg is given paths inside it). */
function processesUsing(dir: string): string[] {
  try {
    return execFileSync('pgrep', ['-af', dir], { encoding: 'utf8' }).split('\n').filter(Boolean);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

describe('videoqa process and Ctrl-C', () => {
  it('SIGINT during normalize: exit 130, ABORTED with the resume hint, no ffmpeg and no temp file left', async () => {
    const video = await makeVideo({
      shots: [
        { source: 'testsrc2', seconds: 30 },
        { source: 'smptebars', seconds: 30 },
      ],
      width: 1280,
      height: 720,
      audio: { kind: 'tone' },
    });
    const dataDir = tempDir('vq-interrupt-');
    const cli = startCli(['process', video.path], { DATA_DIR: dataDir });
    await cli.waitFor(/normalize: started/);
    cli.child.kill('SIGINT');
    const code = await cli.exited;
    expect(code, cli.output()).toBe(130);
    expect(cli.output()).toMatch(
      /videoqa: ABORTED: .*\n\s+finished stages are kept; resume with: videoqa process <file> --id /,
    );
    expect(processesUsing(dataDir)).toEqual([]);
    const leftovers = readdirSync(dataDir, { recursive: true, encoding: 'utf8' }).filter((f) => /\.tmp|\.part/.test(f));
    expect(leftovers.map((f) => join(dataDir, f))).toEqual([]);
  });
});
