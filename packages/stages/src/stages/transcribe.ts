import { readFile, stat } from 'node:fs/promises';
import PQueue from 'p-queue';
import {
  removeStaleTemps,
  resolveInDataDir,
  segmentId,
  toDataDirRelative,
  writeFileAtomically,
  type SegmentRow,
  type Stage,
  type StageContext,
  type TranscriptionProvider,
  type TranscriptionRequest,
  type TranscriptSegment,
  type ProviderFallback,
} from '@videoqa/core';
import { probeMedia } from '../ffmpeg/probe.ts';
import { runToText, spawnTool } from '../ffmpeg/run.ts';
import { transcriptionFromConfig } from '../providers/from-config.ts';
import { reportFallbacks } from '../providers/fallbacks.ts';

const withFallbacks = (fallbacks: ProviderFallback[]) => (fallbacks.length > 0 ? { fallbacks } : {});
import { mergeChunkSegments, parseSilences, planChunks, type AudioChunk } from '../transcribe/chunking.ts';
import { toSrt } from '../transcribe/srt.ts';
import { knownSpeakerName, MAX_KNOWN_SPEAKERS, referenceRange, SpeakerLabels } from '../transcribe/speakers.ts';

export interface TranscribeOptions {
  /** Default: from config (TRANSCRIPTION_PROVIDER, OPENAI_API_KEY). */
  provider?: TranscriptionProvider;
  /** Longest chunk sent in one request when the audio must be split (default 600 s). */
  chunkSec?: number;
  /** Audio shared by neighbouring chunks (default 2 s). */
  overlapSec?: number;
  /** Bit rate of the compact encoding for chunks (default 32k; speech compresses ~10x against WAV). */
  chunkBitrate?: string;
  language?: string;
}

export interface TranscribeData {
  segments: number;
  chunks: number;
  language: string | null;
  srtPath: string;
  audioSec: number;
  /** How the provider degraded for its server (plain text timed by silences), when it did. */
  fallbacks?: ProviderFallback[];
  /** Speaker labels found (diarizing providers), in order of first appearance; empty otherwise. */
  speakers: string[];
}

/** Whole-file WAV uploads above this fraction of the limit are split instead (multipart overhead). */
const UPLOAD_MARGIN = 0.95;

/** A stretch of the 16 kHz WAV, mono, re-encoded in memory (`codec`: the output's codec and container arguments). */
async function encodeRange(
  ctx: StageContext,
  wav: string,
  from: number,
  to: number,
  codec: readonly string[],
): Promise<Buffer> {
  const args = ['-hide_banner', '-nostdin', '-loglevel', 'error', '-ss', from.toFixed(3), '-t', (to - from).toFixed(3)];
  args.push('-i', wav, '-ac', '1', '-ar', '16000', ...codec, 'pipe:1');
  const run = spawnTool(ctx.config.ffmpegPath, args, { signal: ctx.signal, pipeStdout: true });
  const parts: Buffer[] = [];
  run.child.stdout!.on('data', (d: Buffer) => parts.push(d));
  await run.done;
  return Buffer.concat(parts);
}

/** A chunk for upload: MP3 at a low bitrate keeps a long file's chunks under the upload limit. */
const encodeChunk = (ctx: StageContext, wav: string, chunk: AudioChunk, bitrate: string) =>
  encodeRange(ctx, wav, chunk.from, chunk.to, ['-c:a', 'libmp3lame', '-b:a', bitrate, '-f', 'mp3']);

/** A short WAV clip of the audio (a speaker reference for diarization: 2-10 s). */
const encodeClip = (ctx: StageContext, wav: string, range: { start: number; end: number }) =>
  encodeRange(ctx, wav, range.start, range.end, ['-c:a', 'pcm_s16le', '-f', 'wav']);

async function findSilences(ctx: StageContext, wav: string): Promise<{ start: number; end: number }[]> {
  const res = await runToText(
    ctx.config.ffmpegPath,
    ['-hide_banner', '-nostdin', '-i', wav, '-af', 'silencedetect=noise=-35dB:d=0.4', '-f', 'null', '-'],
    ctx.signal,
  );
  return res.code === 0 ? parseSilences(res.stderr) : [];
}

/**
 * transcribe: Whisper (verbose_json segments) → transcript_segments and
 * subs/{id}.srt. Audio over the upload limit is split at silences into chunks
 * with a little overlap, encoded compactly, transcribed concurrently, shifted
 * back to absolute time and de-duplicated at the seams. A diarizing provider
 * (gpt-4o-transcribe-diarize) labels speakers; its chunks go one at a time, each
 * with voice clips of the speakers already heard, so labels hold across chunks.
 */
export function transcribeStage(options: TranscribeOptions = {}): Stage<TranscribeData> {
  return {
    name: 'transcribe',
    // Only audio.wav is needed: normalize provides it before its video encode ends.
    after: ['normalize:audio'],
    description: 'speech to timestamped segments and SRT subtitles',
    async run(ctx) {
      const norm = ctx.outputs.get('normalize:audio');
      if (norm && !norm.hasAudio) return { skipped: 'the video has no audio track' };
      const resolved = options.provider ? { provider: options.provider } : transcriptionFromConfig(ctx.config);
      if (!resolved.provider) return { skipped: `${resolved.missing}: transcription skipped` };
      const provider = resolved.provider;
      const wav = norm?.audioPath ? resolveInDataDir(ctx.paths.dataDir, norm.audioPath) : ctx.paths.audio;
      const size = (await stat(wav).catch(() => null))?.size;
      if (size === undefined) return { skipped: 'no audio.wav: the video has no audio track' };
      const durationSec =
        (await probeMedia(wav, ctx.config.ffprobePath, ctx.signal)).durationSec ?? norm?.durationSec ?? 0;
      const language = options.language;
      let merged: TranscriptSegment[];
      let chunkCount = 1;
      let detectedLanguage: string | null = null;
      let speakers: string[] = [];

      if (provider.byUrl) {
        const res = await provider.transcribe({
          audio: new Uint8Array(),
          fileName: 'audio.wav',
          durationSec,
          language,
          mediaPath: ctx.video.originalPath,
          signal: ctx.signal,
        });
        ctx.addUsage({ requests: 1, audioSeconds: durationSec });
        merged = mergeChunkSegments([
          {
            chunk: { index: 0, from: 0, to: durationSec, keepFrom: -Infinity, keepUntil: Infinity },
            segments: res.segments,
          },
        ]);
        detectedLanguage = res.language ?? null;
      } else {
        const chunkSec = options.chunkSec ?? 600;
        const single = size <= provider.maxUploadBytes * UPLOAD_MARGIN && durationSec <= chunkSec;
        const chunks = single
          ? [{ index: 0, from: 0, to: durationSec, keepFrom: -Infinity, keepUntil: Infinity }]
          : planChunks(durationSec, {
              chunkSec,
              overlapSec: options.overlapSec ?? 2,
              silences: await findSilences(ctx, wav),
            });
        chunkCount = chunks.length;
        let finished = 0;
        const transcribeChunk = async (chunk: AudioChunk, knownSpeakers?: TranscriptionRequest['knownSpeakers']) => {
          ctx.signal.throwIfAborted();
          const audio = single
            ? await readFile(wav)
            : await encodeChunk(ctx, wav, chunk, options.chunkBitrate ?? '32k');
          const res = await provider.transcribe({
            audio,
            fileName: single ? 'audio.wav' : `chunk_${String(chunk.index).padStart(3, '0')}.mp3`,
            durationSec: chunk.to - chunk.from,
            language,
            mediaPath: ctx.video.originalPath,
            ...(knownSpeakers && knownSpeakers.length > 0 ? { knownSpeakers } : {}),
            signal: ctx.signal,
          });
          ctx.addUsage({
            requests: 1,
            audioSeconds: Math.round((chunk.to - chunk.from) * 1000) / 1000,
            uploadBytes: audio.length,
          });
          detectedLanguage ??= res.language ?? null;
          ctx.progress(++finished, chunks.length);
          return { chunk, segments: res.segments };
        };
        let results: { chunk: AudioChunk; segments: TranscriptSegment[] }[];
        if (provider.diarizes) {
          // One after another: each chunk is sent with clips of the speakers heard before it,
          // so a speaker keeps one label across the whole recording (SpeakerLabels).
          const labels = new SpeakerLabels();
          const known: NonNullable<TranscriptionRequest['knownSpeakers']> = [];
          results = [];
          for (const chunk of chunks) {
            const res = await transcribeChunk(chunk, known.slice());
            const mapped = labels.mapReply(res.segments);
            const absolute = mapped.segments.map((x) => ({
              ...x,
              start: x.start + chunk.from,
              end: x.end + chunk.from,
            }));
            for (const label of mapped.added) {
              if (chunks.length === 1 || known.length >= MAX_KNOWN_SPEAKERS) break;
              const range = referenceRange(absolute, label, durationSec);
              if (range)
                known.push({
                  name: knownSpeakerName(label),
                  audio: await encodeClip(ctx, wav, range),
                  mimeType: 'audio/wav',
                });
            }
            results.push({ chunk, segments: mapped.segments });
          }
          speakers = labels.labels;
        } else {
          const queue = new PQueue({ concurrency: ctx.config.transcribeMaxConcurrent });
          results = await Promise.all(chunks.map((chunk) => queue.add(() => transcribeChunk(chunk)))).catch(
            async (err: unknown) => {
              queue.clear();
              throw err;
            },
          );
        }
        merged = mergeChunkSegments(results);
      }

      const rows: SegmentRow[] = merged.map((s, i) => ({
        id: segmentId(ctx.video.id, i),
        videoId: ctx.video.id,
        idx: i,
        tStart: s.start,
        tEnd: s.end,
        text: s.text,
        ...(s.speaker ? { speaker: s.speaker } : {}),
      }));
      if (!provider.diarizes) speakers = [...new Set(rows.map((r) => r.speaker).filter((x): x is string => !!x))];
      await removeStaleTemps(ctx.paths.subs);
      await writeFileAtomically(ctx.paths.subs, toSrt(rows));
      await ctx.store.replaceSegments(ctx.video.id, rows);
      return {
        data: {
          segments: rows.length,
          chunks: chunkCount,
          language: detectedLanguage,
          srtPath: toDataDirRelative(ctx.paths.dataDir, ctx.paths.subs),
          audioSec: durationSec,
          speakers,
          ...withFallbacks(reportFallbacks(provider, ctx.log)),
        },
        counts: {
          segments: rows.length,
          chunks: chunkCount,
          ...(speakers.length > 0 ? { speakers: speakers.length } : {}),
        },
      };
    },
  };
}
