import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { MemoryStore, runPipeline } from '@videoqa/core';
import { normalizeStage, scenesStage, transcribeStage } from '@videoqa/stages';
import { FakeOpenAIServer, makeVideo } from '@videoqa/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDataDir } from './helpers.ts';

const run = promisify(execFile);
let fake: FakeOpenAIServer;
beforeAll(async () => {
  fake = await FakeOpenAIServer.start();
});
afterAll(async () => fake.close());

/**
 * An FFMPEG_PATH that holds back the video encode (the libx264 command) until `gate` exists,
 * then runs the real ffmpeg. The test opens the gate when transcription has finished, so the
 * encode cannot end before it, whatever the machine's speed; if transcription waited for the
 * encode (as it once did), the gate opens after 120 s and the order checks below fail.
 */
function gatedFfmpeg(dir: string, gate: string): string {
  const real = execFileSync('sh', ['-c', 'command -v ffmpeg'], { encoding: 'utf8' }).trim();
  const script = join(dir, 'ffmpeg-gated.sh');
  writeFileSync(
    script,
    `#!/bin/sh\ncase " $* " in *" libx264 "*) i=0; while [ ! -e '${gate}' ] && [ $i -lt 1200 ]; do sleep 0.1; i=$((i+1)); done;; esac\nexec '${real}' "$@"\n`,
  );
  chmodSync(script, 0o755);
  return script;
}

describe('normalize: audio first', () => {
  it('audio.wav is provided and transcribed before the video encode ends; both files are what one combined ffmpeg command writes', async () => {
    // 25 fps: not already normalized, so the video is encoded (a conforming input is remuxed).
    const v = await makeVideo({
      shots: [
        { source: 'testsrc2', seconds: 3 },
        { source: 'smptebars', seconds: 3 },
      ],
      width: 640,
      height: 360,
      fps: 25,
      audio: { kind: 'speech', sentences: ['The audio goes first.', 'The video follows.'] },
    });
    const dataDir = tempDataDir();
    const gate = join(dataDir, 'encode-may-run');
    const order: string[] = [];
    let normalizedExistedWhenTranscribed: boolean | undefined;
    const pipeline = runPipeline({
      video: v.path,
      videoId: 'v1',
      stages: [normalizeStage(), scenesStage(), transcribeStage()],
      store: new MemoryStore(),
      config: {
        dataDir,
        ffmpegPath: gatedFfmpeg(tempDataDir('vq-gate-'), gate),
        openaiApiKey: fake.apiKey,
        openaiBaseUrl: fake.url,
        openaiTimeoutMs: 60_000,
      },
    });
    pipeline.events.on('stage:output', (e) => order.push(`output ${e.stage}:${e.output}`));
    pipeline.events.on('stage:start', (e) => order.push(`start ${e.stage}`));
    pipeline.events.on('stage:done', (e) => {
      order.push(`done ${e.stage}`);
      if (e.stage === 'transcribe') {
        normalizedExistedWhenTranscribed = existsSync(join(dataDir, 'processed/v1/normalized.mp4'));
        writeFileSync(gate, '');
      }
    });
    const result = await pipeline;
    expect(result.status).toBe('done');
    expect(fake.requestsFor('transcriptions')).toHaveLength(1);
    expect(result.stages.transcribe!.counts.segments).toBeGreaterThan(0);
    // audio ready → transcribe starts and finishes → only then does the encode end and normalize finish.
    expect(order.slice(0, 3)).toEqual(['start normalize', 'output normalize:audio', 'start transcribe']);
    expect(order.indexOf('done transcribe')).toBeLessThan(order.indexOf('done normalize'));
    expect(order.indexOf('done normalize')).toBeLessThan(order.indexOf('start scenes'));
    expect(normalizedExistedWhenTranscribed).toBe(false);

    // Today's files: the single command normalize ran before audio went first (same graph and settings).
    const ref = tempDataDir('vq-ref-');
    await run('ffmpeg', [
      '-hide_banner',
      '-nostdin',
      '-y',
      '-loglevel',
      'error',
      '-i',
      v.path,
      '-filter_complex',
      '[0:v:0]fps=30,scale=640:360:flags=bicubic,setsar=1,format=yuv420p,split=2[vout][vs];[vs]scale=128:72:flags=area,format=rgb24[scn]',
      '-map',
      '[vout]',
      '-map',
      '0:a:0',
      '-c:a',
      'aac',
      '-b:a',
      '128k',
      '-c:v',
      'libx264',
      '-preset',
      'veryfast',
      '-crf',
      '23',
      '-g',
      '60',
      '-movflags',
      '+faststart',
      '-f',
      'mp4',
      join(ref, 'normalized.mp4'),
      '-map',
      '0:a:0',
      '-vn',
      '-ac',
      '1',
      '-ar',
      '16000',
      '-c:a',
      'pcm_s16le',
      '-f',
      'wav',
      join(ref, 'audio.wav'),
      '-map',
      '[scn]',
      '-f',
      'rawvideo',
      '/dev/null',
    ]);
    expect(readFileSync(join(dataDir, 'processed/v1/audio.wav')).equals(readFileSync(join(ref, 'audio.wav')))).toBe(
      true,
    );
    expect(
      readFileSync(join(dataDir, 'processed/v1/normalized.mp4')).equals(readFileSync(join(ref, 'normalized.mp4'))),
    ).toBe(true);
  });
});
