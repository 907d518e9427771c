import sharp from 'sharp';

const SIZE = 32;
const LOW = 8;

// DCT-II basis for 32 samples, computed once: cos(pi/N * (n + 0.5) * k).
const COS = (() => {
  const t = new Float64Array(SIZE * SIZE);
  for (let k = 0; k < SIZE; k++)
    for (let n = 0; n < SIZE; n++) t[k * SIZE + n] = Math.cos((Math.PI / SIZE) * (n + 0.5) * k);
  return t;
})();

/**
 * 64-bit perceptual hash (the DCT pHash of imagehash.phash): greyscale 32×32,
 * 2-D DCT, the 8×8 lowest frequencies compared with their median. Returned as
 * 16 hex digits. Written here because the imghash package computes blockhash,
 * not a DCT hash.
 */
export function phashFromPixels(grey: Uint8Array): string {
  if (grey.length !== SIZE * SIZE) throw new RangeError(`phash needs ${SIZE}x${SIZE} grey pixels`);
  // Rows first, then only the 8 low-frequency columns we keep.
  const rows = new Float64Array(SIZE * LOW);
  for (let y = 0; y < SIZE; y++) {
    for (let k = 0; k < LOW; k++) {
      let sum = 0;
      for (let x = 0; x < SIZE; x++) sum += grey[y * SIZE + x]! * COS[k * SIZE + x]!;
      rows[y * LOW + k] = sum;
    }
  }
  const low = new Float64Array(LOW * LOW);
  for (let ky = 0; ky < LOW; ky++) {
    for (let kx = 0; kx < LOW; kx++) {
      let sum = 0;
      for (let y = 0; y < SIZE; y++) sum += rows[y * LOW + kx]! * COS[ky * SIZE + y]!;
      low[ky * LOW + kx] = sum;
    }
  }
  const sorted = [...low].sort((a, b) => a - b);
  const median = (sorted[31]! + sorted[32]!) / 2;
  let hex = '';
  for (let i = 0; i < 64; i += 4) {
    let nibble = 0;
    for (let b = 0; b < 4; b++) nibble = (nibble << 1) | (low[i + b]! > median ? 1 : 0);
    hex += nibble.toString(16);
  }
  return hex;
}

/** pHash of an image file or buffer (decoded and scaled by sharp). */
export async function phash64(image: string | Buffer): Promise<string> {
  const { data } = await sharp(image)
    .greyscale()
    .resize(SIZE, SIZE, { fit: 'fill', kernel: 'lanczos3' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return phashFromPixels(new Uint8Array(data.buffer, data.byteOffset, data.length));
}

/** Number of differing bits between two 16-hex-digit hashes. */
export function hammingDistance(a: string, b: string): number {
  let x = BigInt(`0x${a}`) ^ BigInt(`0x${b}`);
  let n = 0;
  while (x > 0n) {
    n += Number(x & 1n);
    x >>= 1n;
  }
  return n;
}

/**
 * For each hash, the index of the first earlier hash within `maxDistance`
 * (a near-duplicate), or -1. Only first occurrences are compared against, so a
 * chain of small drifts does not link distant frames. `confirm(i, j)`, when
 * given, must also agree that frame i repeats frame j: 64 bits of low
 * frequencies cannot tell two text slides of one layout apart.
 */
export function findDuplicates(
  hashes: readonly string[],
  maxDistance: number,
  confirm?: (i: number, j: number) => boolean,
): number[] {
  const originals: number[] = [];
  return hashes.map((h, i) => {
    const match = originals.find((j) => hammingDistance(h, hashes[j]!) <= maxDistance && (!confirm || confirm(i, j)));
    if (match !== undefined) return match;
    originals.push(i);
    return -1;
  });
}

/** Side lengths of the grey thumbnail duplicates are confirmed on (the scene detector's analysis size for 16:9). */
export const THUMB_WIDTH = 128;
export const THUMB_HEIGHT = 72;

/** A THUMB_WIDTH×THUMB_HEIGHT greyscale thumbnail (area-averaged, like the scene detector's frames). */
export async function greyThumbnail(image: string | Buffer): Promise<Uint8Array> {
  const data = await sharp(image)
    .greyscale()
    .resize(THUMB_WIDTH, THUMB_HEIGHT, { fit: 'fill', kernel: 'linear' })
    .raw()
    .toBuffer();
  return new Uint8Array(data.buffer, data.byteOffset, data.length);
}
