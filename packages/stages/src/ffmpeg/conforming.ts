import type { MediaInfo } from './probe.ts';
import { normalizedSize } from './geometry.ts';

/**
 * Why an input cannot be remuxed as it is, or null when it is already what normalize would
 * encode: H.264 (yuv420p, square pixels, no rotation) + AAC in MP4, constant `fps`, even
 * sides, shorter side within `shortSide`. Such a file is copied into normalized.mp4
 * instead of being encoded again. Phone videos (1080p or larger, often rotated or
 * variable frame rate) and most cameras' files are not; screen recordings and files
 * exported at 720p30 often are.
 */
export function remuxBlocker(media: MediaInfo, options: { fps: number; shortSide: number }): string | null {
  const v = media.video;
  if (!v) return 'no video stream';
  if (!media.formatName.split(',').includes('mp4')) return `container ${media.formatName}`;
  if (v.codec !== 'h264') return `video codec ${v.codec}`;
  if (v.pixFmt !== 'yuv420p') return `pixel format ${v.pixFmt ?? 'unknown'}`;
  if (media.audio && media.audio.codec !== 'aac') return `audio codec ${media.audio.codec}`;
  if (v.rotation !== 0) return `rotated ${v.rotation}°`;
  if (!v.squarePixels) return 'non-square pixels';
  if (!v.constantFrameRate || v.fps !== options.fps)
    return `frame rate ${v.fps ?? 'unknown'}${v.constantFrameRate ? '' : ' (variable)'}`;
  const size = normalizedSize({ width: v.displayWidth, height: v.displayHeight }, { shortSide: options.shortSide });
  if (size.width !== v.width || size.height !== v.height)
    return `size ${v.width}x${v.height} (normalized ${size.width}x${size.height})`;
  return null;
}
