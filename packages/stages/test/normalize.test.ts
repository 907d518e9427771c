import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidMediaError, runPipeline, MemoryStore } from '@videoqa/core';
import { normalizeStage, probeMedia, transcribeStage } from '@videoqa/stages';
import { badInputs, copyAs, makeRotated, makeVariableFrameRate, makeVideo } from '@videoqa/testing';
import { describe, expect, it } from 'vitest';
import { runOn, tempDataDir } from './helpers.ts';

describe('normalize', () => {
  it('writes 720p/30 fps H.264+AAC with faststart, and 16 kHz mono WAV, in one run', async () => {
    const v = await makeVideo({
      shots: [{ source: 'testsrc2', seconds: 3 }],
      width: 1920,
      height: 1080,
      fps: 25,
      audio: { kind: 'tone' },
    });
    const run = runOn(v.path, [normalizeStage()]);
    const { result, store, dataDir } = await run;
    expect(result.status).toBe('done');
    const video = await store.getVideo('v1');
    expect(video).toMatchObject({ normalizedPath: 'processed/v1/normalized.mp4', status: 'ready' });
    expect(video!.durationSec).toBeCloseTo(3, 1);
    const out = await probeMedia(join(dataDir, 'processed/v1/normalized.mp4'));
    expect(out.video).toMatchObject({ codec: 'h264', width: 1280, height: 720 });
    expect(out.video!.fps).toBeCloseTo(30, 3);
    expect(out.audio?.codec).toBe('aac');
    const wav = await probeMedia(join(dataDir, 'processed/v1/audio.wav'));
    expect(wav.audio).toEqual({ codec: 'pcm_s16le', sampleRate: 16000, channels: 1 });
    // faststart: the moov atom comes before mdat
    const bytes = readFileSync(join(dataDir, 'processed/v1/normalized.mp4'));
    expect(bytes.indexOf('moov')).toBeLessThan(bytes.indexOf('mdat'));
    expect(result.stages.normalize!.data).toMatchObject({
      hasAudio: true,
      hasVideo: true,
      width: 1280,
      height: 720,
      fps: 30,
      sceneScoresPath: 'processed/v1/scene-scores.bin',
    });
    expect(result.stages.normalize!.counts.frames).toBe(90);
    // nothing half-written left behind
    expect(readdirSync(join(dataDir, 'processed/v1')).sort()).toEqual([
      'audio.wav',
      'normalized.mp4',
      'scene-scores.bin',
    ]);
  });

  it('reports progress from ffmpeg', async () => {
    const v = await makeVideo({
      shots: [{ source: 'testsrc2', seconds: 8 }],
      width: 1280,
      height: 720,
      audio: { kind: 'tone' },
    });
    const run = runPipeline({
      video: v.path,
      videoId: 'p',
      stages: [normalizeStage()],
      config: { dataDir: tempDataDir() },
    });
    const fractions: number[] = [];
    run.events.on('stage:progress', (e) => fractions.push(e.fraction ?? -1));
    expect((await run).status).toBe('done');
    expect(fractions.length).toBeGreaterThan(0);
    expect(fractions.every((f) => f >= 0 && f <= 1)).toBe(true);
  });

  it('normalizes a video without audio, and transcription is skipped with the reason', async () => {
    const v = await makeVideo({ shots: [{ source: 'smptebars', seconds: 2 }], audio: { kind: 'none' } });
    const { result, dataDir } = await runOn(v.path, [normalizeStage(), transcribeStage()], {
      config: { openaiApiKey: 'sk-test-not-used' },
    });
    expect(result.status).toBe('done');
    expect(existsSync(join(dataDir, 'processed/v1/audio.wav'))).toBe(false);
    expect(result.stages.transcribe).toMatchObject({ status: 'skipped', reason: 'the video has no audio track' });
    expect(result.stages.normalize!.data).toMatchObject({ hasAudio: false, audioPath: null, width: 320, height: 240 });
  });

  it('handles portrait 1081x1921 at 60 fps: 720x1280, 30 fps', async () => {
    const v = await makeVideo({
      shots: [{ source: 'testsrc2', seconds: 2 }],
      width: 1081,
      height: 1921,
      fps: 60,
      audio: { kind: 'tone' },
    });
    const { result, dataDir } = await runOn(v.path, [normalizeStage()]);
    expect(result.status).toBe('done');
    const out = await probeMedia(join(dataDir, 'processed/v1/normalized.mp4'));
    expect(out.video).toMatchObject({ width: 720, height: 1280 });
    expect(out.video!.fps).toBeCloseTo(30, 3);
    expect(result.stages.normalize!.counts.frames).toBe(60);
  });

  it.each([
    [33, 17, 32, 16],
    [4000, 100, 4000, 100],
    [3000, 4000, 720, 960],
  ])('handles odd, tiny and extreme geometry: %ix%i → %ix%i', async (w, h, ew, eh) => {
    const v = await makeVideo({
      shots: [{ source: 'testsrc2', seconds: 1 }],
      width: w,
      height: h,
      audio: { kind: 'none' },
    });
    const { result, dataDir } = await runOn(v.path, [normalizeStage()]);
    expect(result.status, result.error?.message).toBe('done');
    const out = await probeMedia(join(dataDir, 'processed/v1/normalized.mp4'));
    expect(out.video).toMatchObject({ width: ew, height: eh });
  });

  it('applies the rotation of phone videos', async () => {
    const v = await makeVideo({ shots: [{ source: 'testsrc2', seconds: 1 }], width: 1280, height: 720 });
    const rotated = await makeRotated(v.path, 90);
    const probed = await probeMedia(rotated);
    expect(probed.video).toMatchObject({ width: 1280, height: 720, rotation: expect.any(Number) });
    expect([probed.video!.displayWidth, probed.video!.displayHeight]).toEqual([720, 1280]);
    const { result, dataDir } = await runOn(rotated, [normalizeStage()]);
    expect(result.status).toBe('done');
    const out = await probeMedia(join(dataDir, 'processed/v1/normalized.mp4'));
    expect(out.video).toMatchObject({ width: 720, height: 1280, rotation: 0 });
  });

  it('turns variable frame rate into constant 30 fps', async () => {
    const { result, dataDir } = await runOn(await makeVariableFrameRate(), [normalizeStage()]);
    expect(result.status).toBe('done');
    const out = await probeMedia(join(dataDir, 'processed/v1/normalized.mp4'));
    expect(out.video!.fps).toBeCloseTo(30, 3);
  });

  it('accepts file names with spaces and unicode', async () => {
    const v = await makeVideo({ shots: [{ source: 'rgbtestsrc', seconds: 1 }], audio: { kind: 'tone' } });
    const file = await copyAs(v.path, tempDataDir('vq-names-'), 'Ma vidéo d’été – 東京 (final).mp4');
    const { result, store } = await runOn(file, [normalizeStage()]);
    expect(result.status).toBe('done');
    expect((await store.getVideo('v1'))!.originalPath).toBe('uploads/v1_Ma vidéo d’été – 東京 (final).mp4');
  });

  it.each([
    ['an empty file', () => badInputs.empty(), /the file is empty \(0 bytes\)/],
    ['a text file named .mp4', () => badInputs.textFile(), /not a video file/],
    ['a truncated MP4 without its moov atom', () => badInputs.truncatedNoMoov(), /truncated or incomplete/],
    ['a faststart MP4 cut short', () => badInputs.truncatedFaststart(), /truncated|corrupt/],
    ['an audio-only file', () => badInputs.audioOnly(), /audio-only file: it has no video stream/],
  ])('refuses %s with a clear, non-retryable error and leaves nothing behind', async (_name, make, message) => {
    const { result, dataDir } = await runOn(await make(), [normalizeStage()]);
    expect(result.status).toBe('failed');
    expect(result.error).toBeInstanceOf(InvalidMediaError);
    expect(result.error).toMatchObject({ code: 'INVALID_MEDIA', retryable: false });
    expect(result.error!.message).toMatch(message);
    expect(result.error!.message).not.toMatch(/ffmpeg version|configuration:/);
    const processed = join(dataDir, 'processed/v1');
    expect(existsSync(processed) ? readdirSync(processed) : []).toEqual([]);
  });

  it('accepts audio-only input when asked (transcription jobs)', async () => {
    const { result, dataDir } = await runOn(await badInputs.audioOnly(), [normalizeStage({ allowAudioOnly: true })]);
    expect(result.status).toBe('done');
    expect(result.stages.normalize!.data).toMatchObject({ hasVideo: false, hasAudio: true, normalizedPath: null });
    expect(existsSync(join(dataDir, 'processed/v1/audio.wav'))).toBe(true);
  });

  it('kills ffmpeg on abort and leaves no temp files', async () => {
    const v = await makeVideo({
      shots: [{ source: 'testsrc2', seconds: 20 }],
      width: 1920,
      height: 1080,
      audio: { kind: 'tone' },
    });
    const controller = new AbortController();
    const dataDir = tempDataDir();
    const run = runPipeline({
      video: v.path,
      videoId: 'a',
      stages: [normalizeStage()],
      config: { dataDir },
      signal: controller.signal,
      store: new MemoryStore(),
    });
    run.events.on('stage:progress', () => controller.abort());
    const result = await run;
    expect(result.status).toBe('aborted');
    expect(readdirSync(join(dataDir, 'processed/a'))).toEqual([]);
    // the encoder was killed, not left to finish: no ffmpeg of this data dir is still running
    const ps = spawnSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).stdout;
    expect(ps.split('\n').filter((l) => l.includes('ffmpeg') && l.includes(dataDir))).toEqual([]);
  });
});
