import { mkdir, rename, rm } from 'node:fs/promises';
import {
  FileNotFoundError,
  InvalidMediaError,
  removeStaleTemps,
  resolveInDataDir,
  tempPathFor,
  toDataDirRelative,
  ToolFailedError,
  type Stage,
} from '@videoqa/core';
import { analysisSize, normalizedSize } from '../ffmpeg/geometry.ts';
import { probeMedia, probeVideo, type MediaInfo } from '../ffmpeg/probe.ts';
import { lastLines, spawnTool } from '../ffmpeg/run.ts';
import { remuxBlocker } from '../ffmpeg/conforming.ts';
import { FrameScorer } from '../scenes/frame-scores.ts';
import { writeSceneScores } from '../scenes/scores-file.ts';

export const NORMALIZED_FPS = 30;

export interface NormalizeOptions {
  /** Target for the shorter side (default 720); smaller videos are not upscaled. */
  shortSide?: number;
  /** x264 preset (default veryfast) and CRF (default 23). */
  preset?: string;
  crf?: number;
  /** Compute scene scores from the same decode (default true). */
  analyzeScenes?: boolean;
  /** Accept files without video (audio only): only audio.wav is produced. For transcription-only jobs. */
  allowAudioOnly?: boolean;
  /** Copy an input that is already what the encode would produce instead of encoding it again (default true). */
  remux?: boolean;
}

export interface NormalizeData {
  /** Relative to DATA_DIR; null for audio-only input. */
  normalizedPath: string | null;
  audioPath: string | null;
  hasAudio: boolean;
  hasVideo: boolean;
  durationSec: number;
  width: number;
  height: number;
  fps: number;
  /** Scene scores file written in the same pass, relative to DATA_DIR. */
  sceneScoresPath: string | null;
  /** How normalized.mp4 was made: 'remux' (the input's streams copied) or 'encode'; null without video. */
  videoPath?: 'remux' | 'encode' | null;
  source: {
    width: number;
    height: number;
    rotation: number;
    fps: number | null;
    videoCodec: string | null;
    audioCodec: string | null;
    formatName: string;
  };
}

/** What normalize provides as `normalize:audio` as soon as audio.wav is written, before the video encode ends. */
export type NormalizeAudioData = Pick<NormalizeData, 'audioPath' | 'hasAudio' | 'durationSec'>;

/** ffmpeg errors that mean the file's data is broken (not worth retrying). */
const CORRUPT =
  /Invalid data found|error while decoding|corrupt|Invalid NAL|moov atom not found|partial file|Truncating packet/i;

/**
 * normalize: ffprobe the input, then one ffmpeg run writes the 720p/30 fps
 * H.264+AAC normalized.mp4, the 16 kHz mono audio.wav, and pipes small raw
 * frames to the scene scorer, so the video is decoded once.
 */
export function normalizeStage(options: NormalizeOptions = {}): Stage<NormalizeData> {
  return {
    name: 'normalize',
    description: '720p/30 fps H.264+AAC video and 16 kHz mono WAV, plus scene scores from the same decode',
    // audio.wav is written first by a quick audio-only pass, so transcribe (after
    // normalize:audio) runs while the video is still being encoded.
    provides: ['audio'],
    async run(ctx) {
      const { config, paths, signal, video } = ctx;
      if (!video.originalPath) throw new FileNotFoundError(`(videos.original_path is empty for ${video.id})`);
      const input = resolveInDataDir(paths.dataDir, video.originalPath);
      const media: MediaInfo = options.allowAudioOnly
        ? await probeMedia(input, config.ffprobePath, signal)
        : await probeVideo(input, config.ffprobePath, signal);
      if (!media.video && !media.audio)
        throw new InvalidMediaError(input, 'the file has neither audio nor video streams');
      await mkdir(paths.processedDir, { recursive: true });
      // A run killed mid-encode (kill -9) left its temp outputs; they can be as large as the video.
      const stale = (
        await Promise.all([paths.normalized, paths.audio, paths.sceneScores].map(removeStaleTemps))
      ).reduce((a, b) => a + b, 0);
      if (stale > 0) ctx.log.info({ removed: stale }, 'removed temp files left by an interrupted run');

      const tmpVideo = tempPathFor(paths.normalized);
      const tmpAudio = tempPathFor(paths.audio);
      const corrupt = (err: unknown, run: { stderrTail(): string }) =>
        err instanceof ToolFailedError && CORRUPT.test(run.stderrTail())
          ? new InvalidMediaError(input, `the media data is corrupt (${lastLines(run.stderrTail(), 2)})`)
          : err;

      // Audio first, in its own pass: demuxing the file again and decoding only its audio takes a
      // small fraction of the video encode, and transcription (network-bound) can start at once.
      // The WAV is the same bytes the combined command wrote (same decoder, resampler and muxer).
      if (media.audio) {
        const audioRun = spawnTool(
          config.ffmpegPath,
          [
            '-hide_banner',
            '-nostdin',
            '-y',
            '-loglevel',
            'error',
            '-i',
            input,
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
            tmpAudio,
          ],
          { signal },
        );
        try {
          await audioRun.done;
        } catch (err) {
          await rm(tmpAudio, { force: true });
          throw corrupt(err, audioRun);
        }
        await rename(tmpAudio, paths.audio);
        const early: NormalizeAudioData = {
          audioPath: toDataDirRelative(paths.dataDir, paths.audio),
          hasAudio: true,
          durationSec: media.durationSec ?? 0,
        };
        ctx.provide?.('audio', early);
      } else {
        await rm(paths.audio, { force: true }); // a stale wav from an earlier input must not be transcribed
        const none: NormalizeAudioData = { audioPath: null, hasAudio: false, durationSec: media.durationSec ?? 0 };
        ctx.provide?.('audio', none);
      }

      const args = [
        '-hide_banner',
        '-nostdin',
        '-y',
        '-loglevel',
        'error',
        '-nostats',
        '-progress',
        'pipe:3',
        '-i',
        input,
      ];
      const size = media.video
        ? normalizedSize(
            { width: media.video.displayWidth, height: media.video.displayHeight },
            { shortSide: options.shortSide },
          )
        : { width: 0, height: 0 };
      const small = analysisSize(size);
      const analyze = Boolean(media.video) && options.analyzeScenes !== false;
      const shortSide = options.shortSide ?? 720;
      const blocker = media.video
        ? options.remux === false
          ? 'remux disabled'
          : remuxBlocker(media, { fps: NORMALIZED_FPS, shortSide })
        : null;
      const remux = Boolean(media.video) && blocker === null;
      if (media.video && remux) {
        // Already H.264/AAC MP4 at the target size and 30 fps: copy the streams, and still decode
        // once for the scene frames (the same filter chain the encode path splits them from).
        if (analyze)
          args.push(
            '-filter_complex',
            `[0:v:0]fps=${NORMALIZED_FPS},scale=${size.width}:${size.height}:flags=bicubic,setsar=1,format=yuv420p,scale=${small.width}:${small.height}:flags=area,format=rgb24[scn]`,
          );
        args.push('-map', '0:v:0', '-c:v', 'copy');
        if (media.audio) args.push('-map', '0:a:0', '-c:a', 'copy');
        args.push('-movflags', '+faststart', '-f', 'mp4', tmpVideo);
      } else if (media.video) {
        const graph = `[0:v:0]fps=${NORMALIZED_FPS},scale=${size.width}:${size.height}:flags=bicubic,setsar=1,format=yuv420p${analyze ? `,split=2[vout][vs];[vs]scale=${small.width}:${small.height}:flags=area,format=rgb24[scn]` : '[vout]'}`;
        args.push('-filter_complex', graph, '-map', '[vout]');
        if (media.audio) args.push('-map', '0:a:0', '-c:a', 'aac', '-b:a', '128k');
        args.push(
          '-c:v',
          'libx264',
          '-preset',
          options.preset ?? 'veryfast',
          '-crf',
          String(options.crf ?? 23),
          '-g',
          String(NORMALIZED_FPS * 2),
          '-movflags',
          '+faststart',
          '-f',
          'mp4',
          tmpVideo,
        );
      }
      if (media.video)
        ctx.log.info(
          { remux, ...(blocker ? { encodeBecause: blocker } : {}) },
          remux ? 'input already conforms: remuxing' : 'encoding',
        );
      if (analyze) args.push('-map', '[scn]', '-f', 'rawvideo', 'pipe:1');

      const expected = media.durationSec ?? undefined;
      const scorer = new FrameScorer(small.width, small.height);
      // Audio-only input: audio.wav was all there was to do.
      const run = !media.video
        ? null
        : spawnTool(config.ffmpegPath, args, {
            signal,
            progressFd: 3,
            pipeStdout: analyze,
            onProgress: (sec) => ctx.progress(Math.min(sec, expected ?? sec), expected),
          });
      if (run && analyze) run.child.stdout!.on('data', (chunk: Buffer) => scorer.push(chunk));
      // A failed normalize takes its early audio.wav with it: nothing half-made stays looking done.
      const dropOutputs = () => Promise.all([rm(tmpVideo, { force: true }), rm(paths.audio, { force: true })]);
      try {
        await run?.done;
      } catch (err) {
        await dropOutputs();
        throw corrupt(err, run!);
      }

      // A faststart MP4 cut short still probes fine; catch it by what could actually be decoded.
      let outMedia: MediaInfo | null = null;
      if (media.video) {
        outMedia = await probeMedia(tmpVideo, config.ffprobePath, signal).catch(() => null);
        const decoded = outMedia?.durationSec ?? 0;
        if (!outMedia?.video || (analyze && scorer.frameCount === 0)) {
          await dropOutputs();
          throw new InvalidMediaError(input, 'no video frame could be decoded (the file is truncated or corrupt)');
        }
        if (expected && expected > 2 && decoded < expected * 0.9 - 0.5) {
          await dropOutputs();
          throw new InvalidMediaError(
            input,
            `the file is truncated: it declares ${expected.toFixed(1)} s but only ${decoded.toFixed(1)} s could be decoded`,
          );
        }
        await rename(tmpVideo, paths.normalized);
      }

      let sceneScoresPath: string | null = null;
      if (analyze) {
        await writeSceneScores(paths.sceneScores, {
          fps: NORMALIZED_FPS,
          width: small.width,
          height: small.height,
          frameCount: scorer.frameCount,
          scores: scorer.result(),
          content: scorer.contentResult(),
          histogram: scorer.histogramResult(),
        });
        sceneScoresPath = toDataDirRelative(paths.dataDir, paths.sceneScores);
      }
      const durationSec =
        outMedia?.durationSec ??
        (media.audio ? ((await probeMedia(paths.audio, config.ffprobePath, signal)).durationSec ?? 0) : 0);
      const normalizedPath = media.video ? toDataDirRelative(paths.dataDir, paths.normalized) : null;
      await ctx.store.updateVideo(video.id, { normalizedPath, durationSec });
      ctx.log.info(
        { width: size.width, height: size.height, durationSec, hasAudio: Boolean(media.audio) },
        'normalized',
      );
      return {
        data: {
          normalizedPath,
          audioPath: media.audio ? toDataDirRelative(paths.dataDir, paths.audio) : null,
          hasAudio: Boolean(media.audio),
          hasVideo: Boolean(media.video),
          durationSec,
          width: size.width,
          height: size.height,
          fps: NORMALIZED_FPS,
          sceneScoresPath,
          videoPath: media.video ? (remux ? 'remux' : 'encode') : null,
          source: {
            width: media.video?.displayWidth ?? 0,
            height: media.video?.displayHeight ?? 0,
            rotation: media.video?.rotation ?? 0,
            fps: media.video?.fps ?? null,
            videoCodec: media.video?.codec ?? null,
            audioCodec: media.audio?.codec ?? null,
            formatName: media.formatName,
          },
        },
        counts: { frames: scorer.frameCount },
      };
    },
  };
}
