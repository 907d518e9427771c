import { readFile } from 'node:fs/promises';
import { writeFileAtomically } from '@videoqa/core';
import { SCORE_LAGS } from './frame-scores.ts';

const MAGIC = 'VQSC';
const VERSION = 1;
const HEADER_BYTES = 20;

export interface SceneScores {
  fps: number;
  width: number;
  height: number;
  frameCount: number;
  scores: Float32Array;
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
  await writeFileAtomically(path, Buffer.concat([header, Buffer.from(s.scores.buffer, s.scores.byteOffset, s.scores.byteLength)]));
}

/** Reads a scores file; null when it is missing or from another format version. */
export async function readSceneScores(path: string): Promise<SceneScores | null> {
  const buf = await readFile(path).catch(() => null);
  if (!buf || buf.length < HEADER_BYTES || buf.toString('ascii', 0, 4) !== MAGIC) return null;
  if (buf.readUInt16LE(4) !== VERSION || buf.readUInt16LE(6) !== SCORE_LAGS) return null;
  const frameCount = buf.readUInt32LE(16);
  if (buf.length !== HEADER_BYTES + frameCount * SCORE_LAGS * 4) return null;
  const scores = new Float32Array(frameCount * SCORE_LAGS);
  Buffer.from(scores.buffer).set(buf.subarray(HEADER_BYTES));
  return { fps: buf.readFloatLE(8), width: buf.readUInt16LE(12), height: buf.readUInt16LE(14), frameCount, scores };
}
