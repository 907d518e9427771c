import { open, stat } from 'node:fs/promises';
import { FileNotFoundError, InvalidMediaError } from '@videoqa/core';
import { runToText } from './run.ts';

export interface VideoStreamInfo {
  codec: string;
  /** Coded size. */
  width: number;
  height: number;
  /** Size as displayed: rotation and non-square pixels applied. */
  displayWidth: number;
  displayHeight: number;
  rotation: number;
  fps: number | null;
  frames: number | null;
  /** ffprobe's pix_fmt, e.g. yuv420p. */
  pixFmt?: string | null;
  /** True when the average and the base frame rate agree exactly (no variable frame rate). */
  constantFrameRate?: boolean;
  /** Sample aspect ratio is 1:1 (or not given). */
  squarePixels?: boolean;
}

export interface AudioStreamInfo {
  codec: string;
  sampleRate: number;
  channels: number;
}

export interface MediaInfo {
  path: string;
  sizeBytes: number;
  formatName: string;
  durationSec: number | null;
  video: VideoStreamInfo | null;
  audio: AudioStreamInfo | null;
}

interface ProbeStream {
  codec_type?: string;
  codec_name?: string;
  width?: number;
  height?: number;
  sample_aspect_ratio?: string;
  pix_fmt?: string;
  avg_frame_rate?: string;
  r_frame_rate?: string;
  nb_frames?: string;
  duration?: string;
  sample_rate?: string;
  channels?: number;
  disposition?: { attached_pic?: number };
  tags?: { rotate?: string };
  side_data_list?: { side_data_type?: string; rotation?: number }[];
}

function rate(value: string | undefined): number | null {
  if (!value) return null;
  const [n, d] = value.split('/').map(Number);
  if (!n || !d) return null;
  const r = n / d;
  return Number.isFinite(r) && r > 0 ? r : null;
}

/** Does the file start like an ISO media file (MP4/MOV): a box size then a known box type? */
async function looksLikeIsoMedia(path: string): Promise<boolean> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(8);
    await fh.read(buf, 0, 8, 0);
    return ['ftyp', 'mdat', 'moov', 'free', 'wide', 'skip'].includes(buf.toString('latin1', 4, 8));
  } finally {
    await fh.close();
  }
}

/** Turns ffprobe's complaint into a sentence about the file. */
function describeProbeFailure(stderr: string, isoMedia: boolean): string {
  if (/moov atom not found/i.test(stderr) && isoMedia)
    return 'the MP4 is truncated or incomplete (no moov atom: the upload probably did not finish)';
  if (/moov atom not found/i.test(stderr)) return 'not a video file (it has an MP4 name but not MP4 content)';
  if (/Invalid data found when processing input/i.test(stderr))
    return 'not a video file (ffprobe could not recognise its format)';
  if (/End of file/i.test(stderr)) return 'the file ends unexpectedly (truncated)';
  if (/Permission denied/i.test(stderr)) return 'permission denied reading the file';
  const first = stderr
    .split('\n')
    .map((l) => l.trim())
    .find(Boolean);
  return `unreadable media (${first ?? 'ffprobe failed'})`;
}

/**
 * Probes a file with ffprobe and says in plain words what is wrong with it when
 * it cannot be a video: empty, truncated, not media, audio-only.
 */
export async function probeMedia(path: string, ffprobePath = 'ffprobe', signal?: AbortSignal): Promise<MediaInfo> {
  const info = await stat(path).catch(() => null);
  if (!info) throw new FileNotFoundError(path);
  if (!info.isFile()) throw new InvalidMediaError(path, 'not a regular file');
  if (info.size === 0) throw new InvalidMediaError(path, 'the file is empty (0 bytes)');
  const res = await runToText(
    ffprobePath,
    ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', path],
    signal,
  );
  if (res.code !== 0)
    throw new InvalidMediaError(path, describeProbeFailure(res.stderr, await looksLikeIsoMedia(path)));
  let parsed: { streams?: ProbeStream[]; format?: { format_name?: string; duration?: string } };
  try {
    parsed = JSON.parse(res.stdout);
  } catch {
    throw new InvalidMediaError(path, 'ffprobe returned unreadable output');
  }
  const streams = parsed.streams ?? [];
  // Cover art in an audio file is a "video" stream with attached_pic: not a video.
  const v = streams.find((s) => s.codec_type === 'video' && !s.disposition?.attached_pic);
  const a = streams.find((s) => s.codec_type === 'audio');
  const durationSec = Number(parsed.format?.duration ?? v?.duration ?? a?.duration);

  let video: VideoStreamInfo | null = null;
  if (v) {
    const width = v.width ?? 0;
    const height = v.height ?? 0;
    const matrix = v.side_data_list?.find((d) => d.side_data_type === 'Display Matrix');
    const rotation = ((Math.round(matrix?.rotation ?? Number(v.tags?.rotate ?? 0)) % 360) + 360) % 360;
    const [sarN, sarD] = (v.sample_aspect_ratio ?? '1:1').split(':').map(Number);
    const sar = sarN && sarD ? sarN / sarD : 1;
    const shownW = Math.round(width * sar);
    const quarterTurn = rotation === 90 || rotation === 270;
    video = {
      codec: v.codec_name ?? 'unknown',
      width,
      height,
      displayWidth: quarterTurn ? height : shownW,
      displayHeight: quarterTurn ? shownW : height,
      rotation,
      fps: rate(v.avg_frame_rate) ?? rate(v.r_frame_rate),
      frames: v.nb_frames ? Number(v.nb_frames) : null,
      pixFmt: v.pix_fmt ?? null,
      constantFrameRate: Boolean(v.avg_frame_rate && v.avg_frame_rate === v.r_frame_rate),
      squarePixels: sar === 1,
    };
  }
  const audio: AudioStreamInfo | null = a
    ? { codec: a.codec_name ?? 'unknown', sampleRate: Number(a.sample_rate ?? 0), channels: a.channels ?? 0 }
    : null;
  return {
    path,
    sizeBytes: info.size,
    formatName: parsed.format?.format_name ?? 'unknown',
    durationSec: Number.isFinite(durationSec) && durationSec > 0 ? durationSec : null,
    video,
    audio,
  };
}

/** Probes and insists on a usable video stream (what normalize needs). */
export async function probeVideo(
  path: string,
  ffprobePath = 'ffprobe',
  signal?: AbortSignal,
): Promise<MediaInfo & { video: VideoStreamInfo }> {
  const media = await probeMedia(path, ffprobePath, signal);
  if (!media.video) {
    throw new InvalidMediaError(
      path,
      media.audio ? 'audio-only file: it has no video stream' : 'the file has no video stream',
      {
        fix: media.audio ? 'submit a video; for audio alone use a transcribe job' : undefined,
      },
    );
  }
  if (media.video.width <= 0 || media.video.height <= 0)
    throw new InvalidMediaError(
      path,
      `the video stream has no usable size (${media.video.width}x${media.video.height})`,
    );
  return media as MediaInfo & { video: VideoStreamInfo };
}
