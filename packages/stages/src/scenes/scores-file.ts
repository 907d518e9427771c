import { readFile } from 'node:fs/promises';
import { writeFileAtomically } from '@videoqa/core';
import { SCORE_LAGS } from './frame-scores.ts';

const MAGIC = 'VQSC';
/**
 * Version 2 added, after the HSV lags of each frame, the settled-content change
 * score; version 3 adds the colour-histogram change after it. A file of an older
 * version reads as missing, so the scenes stage decodes the normalized video
 * again and gets every score.
 */
const VERSION = 3;
const HEADER_BYTES = 20;
/** Floats per frame: the HSV differences to the last SCORE_LAGS frames, the content score, the histogram change. */
const FIELDS = SCORE_LAGS + 2;

export interface SceneScores {
  fps: number;
  width: number;
  height: number;
  frameCount: number;
  /** frameCount × SCORE_LAGS HSV differences (see FrameScorer). */
  scores: Float32Array;
  /** frameCount values: where a new settled picture starts, the fraction of pixels in its changed regions, else 0. */
  content: Float32Array;
  /** frameCount values: the fraction of the colour histogram changed since the frame before (NaN for frame 0). */
  histogram: Float32Array;
}

/** Writes scores computed during normalize so the scenes stage need not decode the video again. */
export async function writeSceneScores(path: string, s: SceneScores): Promise<void> {
  const header = Buffer.alloc(HEADER_BYTES);
  header.write(MAGIC, 0, 'ascii');
  header.writeUInt16LE(VERSION, 4);
  header.writeUInt16LE(SCORE_LAGS, 6);
  header.writeFloatLE(s.fps, 8);
  header.writeUInt16LE(s.width, 12);
  header.writeUInt16LE(s.height, 14);
  header.writeUInt32LE(s.frameCount, 16);
  const body = new Float32Array(s.frameCount * FIELDS);
  for (let i = 0; i < s.frameCount; i++) {
    body.set(s.scores.subarray(i * SCORE_LAGS, (i + 1) * SCORE_LAGS), i * FIELDS);
    body[i * FIELDS + SCORE_LAGS] = s.content[i] ?? 0;
    body[i * FIELDS + SCORE_LAGS + 1] = s.histogram[i] ?? Number.NaN;
  }
  await writeFileAtomically(path, Buffer.concat([header, Buffer.from(body.buffer, body.byteOffset, body.byteLength)]));
}

/** Reads a scores file; null when it is missing or from another format version. */
export async function readSceneScores(path: string): Promise<SceneScores | null> {
  const buf = await readFile(path).catch(() => null);
  if (!buf || buf.length < HEADER_BYTES || buf.toString('ascii', 0, 4) !== MAGIC) return null;
  if (buf.readUInt16LE(4) !== VERSION || buf.readUInt16LE(6) !== SCORE_LAGS) return null;
  const frameCount = buf.readUInt32LE(16);
  if (buf.length !== HEADER_BYTES + frameCount * FIELDS * 4) return null;
  const body = new Float32Array(frameCount * FIELDS);
  Buffer.from(body.buffer).set(buf.subarray(HEADER_BYTES));
  const scores = new Float32Array(frameCount * SCORE_LAGS);
  const content = new Float32Array(frameCount);
  const histogram = new Float32Array(frameCount);
  for (let i = 0; i < frameCount; i++) {
    scores.set(body.subarray(i * FIELDS, i * FIELDS + SCORE_LAGS), i * SCORE_LAGS);
    content[i] = body[i * FIELDS + SCORE_LAGS]!;
    histogram[i] = body[i * FIELDS + SCORE_LAGS + 1]!;
  }
  return {
    fps: buf.readFloatLE(8),
    width: buf.readUInt16LE(12),
    height: buf.readUInt16LE(14),
    frameCount,
    scores,
    content,
    histogram,
  };
}
