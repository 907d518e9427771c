import { existsSync, realpathSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { PathOutsideDataDirError } from './errors.ts';
import { padIndex, validateVideoId } from './ids.ts';

/** Every file location of one video, absolute, inside DATA_DIR (DESIGN §3). */
export interface VideoPaths {
  dataDir: string;
  uploadsDir: string;
  processedDir: string;
  normalized: string;
  audio: string;
  /** Per-frame scene scores computed while normalizing (read by the scenes stage). */
  sceneScores: string;
  subs: string;
  framesDir: string;
  /** frames/{id}/scene_{i:03d}.jpg, and scene_{i:03d}_{k}.jpg for extra frames of long scenes. */
  frame(sceneIndex: number, k?: number): string;
}

export function videoPaths(dataDir: string, videoId: string): VideoPaths {
  validateVideoId(videoId);
  const root = resolve(dataDir);
  const processedDir = join(root, 'processed', videoId);
  const framesDir = join(root, 'frames', videoId);
  return {
    dataDir: root,
    uploadsDir: join(root, 'uploads'),
    processedDir,
    normalized: join(processedDir, 'normalized.mp4'),
    audio: join(processedDir, 'audio.wav'),
    sceneScores: join(processedDir, 'scene-scores.bin'),
    subs: join(root, 'subs', `${videoId}.srt`),
    framesDir,
    frame: (sceneIndex, k = 0) =>
      join(framesDir, k === 0 ? `scene_${padIndex(sceneIndex)}.jpg` : `scene_${padIndex(sceneIndex)}_${k}.jpg`),
  };
}

function isInside(root: string, p: string): boolean {
  const rel = relative(root, p);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

/** The real path of `p`, or of its deepest existing ancestor joined with the rest. */
function realpathOfExistingPrefix(p: string): string {
  let current = p;
  const rest: string[] = [];
  while (!existsSync(current)) {
    const parent = dirname(current);
    if (parent === current) return p;
    rest.unshift(current.slice(parent.length + (parent.endsWith(sep) ? 0 : 1)));
    current = parent;
  }
  return join(realpathSync(current), ...rest);
}

/**
 * Resolves `p` (relative to DATA_DIR, or absolute) and refuses anything that
 * lands outside DATA_DIR: "..", an absolute path elsewhere, or a symlink that
 * points out. Returns the absolute path.
 */
export function resolveInDataDir(dataDir: string, p: string): string {
  const root = resolve(dataDir);
  if (typeof p !== 'string' || p.length === 0 || p.includes('\0')) throw new PathOutsideDataDirError(String(p), root);
  const abs = resolve(root, p);
  if (!isInside(root, abs)) throw new PathOutsideDataDirError(p, root);
  const realRoot = realpathOfExistingPrefix(root);
  if (!isInside(realRoot, realpathOfExistingPrefix(abs))) throw new PathOutsideDataDirError(p, root);
  return abs;
}

/** The form stored in the database: relative to DATA_DIR, with forward slashes. */
export function toDataDirRelative(dataDir: string, absolutePath: string): string {
  const abs = resolveInDataDir(dataDir, absolutePath);
  return relative(resolve(dataDir), abs).split(sep).join('/');
}

/**
 * `text` with absolute paths under DATA_DIR shown relative to it. Errors are stored on
 * jobs and videos and shown to API clients, who must not learn the server's layout.
 */
export function hideDataDir(text: string, dataDir: string): string {
  const root = resolve(dataDir);
  return root === sep ? text : text.split(`${root}${sep}`).join('');
}
