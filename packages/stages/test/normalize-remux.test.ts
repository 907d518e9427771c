import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { normalizeStage, probeMedia, scenesStage, type NormalizeData, type ScenesData } from '@videoqa/stages';
import { onToolSpawn } from '@videoqa/stages/internals';
import { makeVideo } from '@videoqa/testing';
import { describe, expect, it } from 'vitest';
import { runOn, tempDataDir } from './helpers.ts';

const run = promisify(execFile);

/** Runs normalize + scenes and returns normalize's data, the scenes found and the video pass's ffmpeg arguments. */
async function normalizeWatched(file: string) {
  const commands: string[][] = [];
  const stop = onToolSpawn((program, args) => program === 'ffmpeg' && commands.push([...args]));
  try {
    const { result, dataDir } = await runOn(file, [normalizeStage(), scenesStage()]);
    expect(result.status).toBe('done');
    const videoPass = commands.find((a) => a.includes('-movflags'))!;
    return {
      norm: result.stages.normalize!.data as NormalizeData,
      scenes: result.stages.scenes!.data as ScenesData,
      videoPass,
      dataDir,
    };
  } finally {
    stop();
  }
}

describe('normalize: remux for conforming input', () => {
  it('copies an H.264 + AAC MP4 at 720p30 instead of encoding it, and still scores scenes in the same decode', async () => {
    const v = await makeVideo({
      shots: [
        { source: 'testsrc2', seconds: 2 },
        { source: 'smptebars', seconds: 2 },
      ],
      width: 1280,
      height: 720,
      fps: 30,
      audio: { kind: 'tone' },
    });
    const { norm, scenes, videoPass, dataDir } = await normalizeWatched(v.path);
    expect(norm.videoPath).toBe('remux');
    expect(videoPass.join(' ')).toContain('-c:v copy');
    expect(videoPass).not.toContain('libx264');
    // The scene frames come from the same process: its rawvideo output on stdout.
    expect(videoPass.slice(-3)).toEqual(['-f', 'rawvideo', 'pipe:1']);
    expect(scenes.cuts).toEqual(v.cuts);
    const out = await probeMedia(join(dataDir, norm.normalizedPath!), 'ffprobe');
    expect([out.video?.codec, out.video?.width, out.video?.height, out.video?.fps, out.audio?.codec]).toEqual([
      'h264',
      1280,
      720,
      30,
      'aac',
    ]);
    // Copied, not re-encoded: the video packets are the input's.
    const md5 = async (f: string) =>
      (await run('ffmpeg', ['-v', 'error', '-i', f, '-map', '0:v:0', '-c', 'copy', '-f', 'md5', '-'])).stdout;
    expect(await md5(join(dataDir, norm.normalizedPath!))).toBe(await md5(v.path));
  });

  it('encodes what does not conform: larger than 720p, 25 fps, another container', async () => {
    const cases = [
      { shots: [{ source: 'testsrc2' as const, seconds: 2 }], width: 1920, height: 1080, fps: 30 },
      { shots: [{ source: 'testsrc2' as const, seconds: 2 }], width: 1280, height: 720, fps: 25 },
    ];
    for (const spec of cases) {
      const v = await makeVideo({ ...spec, audio: { kind: 'tone' } });
      const { norm, videoPass } = await normalizeWatched(v.path);
      expect(norm.videoPath).toBe('encode');
      expect(videoPass).toContain('libx264');
    }
    // A Matroska file with the same streams as a conforming MP4 is encoded too (the container differs).
    const mp4 = await makeVideo({
      shots: [{ source: 'testsrc2', seconds: 2 }],
      width: 640,
      height: 360,
      fps: 30,
      audio: { kind: 'tone' },
    });
    const mkv = join(tempDataDir('vq-mkv-'), 'same.mkv');
    await run('ffmpeg', ['-v', 'error', '-y', '-i', mp4.path, '-c', 'copy', mkv]);
    expect((await normalizeWatched(mkv)).norm.videoPath).toBe('encode');
    expect((await normalizeWatched(mp4.path)).norm.videoPath).toBe('remux');
  });
});
