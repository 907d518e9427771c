export interface Size {
  width: number;
  height: number;
}

/** Nearest even number (H.264 4:2:0 needs even sides), at least 2, never above the source side. */
const even = (x: number, sourceSide: number) => {
  const e = Math.round(x / 2) * 2;
  return Math.max(2, e > sourceSide ? e - 2 : e);
};

/**
 * The normalized size: the shorter side becomes `shortSide` (720), never
 * upscaled, aspect ratio kept, both sides even (H.264 4:2:0 needs it), and the
 * longer side capped so extreme panoramas stay encodable.
 */
export function normalizedSize(display: Size, options: { shortSide?: number; maxLongSide?: number } = {}): Size {
  const shortSide = options.shortSide ?? 720;
  const maxLong = options.maxLongSide ?? 4096;
  const { width, height } = display;
  let scale = Math.min(1, shortSide / Math.min(width, height));
  if (Math.max(width, height) * scale > maxLong) scale = maxLong / Math.max(width, height);
  return { width: even(width * scale, width), height: even(height * scale, height) };
}

/** The small size frames are analysed at for scene detection: longer side `longSide`, even. */
export function analysisSize(size: Size, longSide = 128): Size {
  const scale = Math.min(1, longSide / Math.max(size.width, size.height));
  return { width: even(size.width * scale, size.width), height: even(size.height * scale, size.height) };
}
