import { createHash, randomBytes } from 'node:crypto';
import { constants, createReadStream } from 'node:fs';
import { copyFile, link, mkdir, readdir, realpath, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { FileNotFoundError } from './errors.ts';
import { newId, validateVideoId } from './ids.ts';
import { resolveInDataDir, toDataDirRelative } from './paths.ts';

/** A hidden sibling name for writing `target` before renaming it into place. */
export function tempPathFor(target: string): string {
  return join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

/**
 * Removes what a crashed writer of `target` left behind: its `tempPathFor` siblings
 * (and their `.old` swaps). Call it when the stage that writes `target` starts; only
 * one job processes a video at a time, so nothing live is removed.
 */
export async function removeStaleTemps(target: string): Promise<number> {
  const prefix = `.${basename(target)}.`;
  const names = await readdir(dirname(target)).catch(() => [] as string[]);
  const stale = names.filter((n) => n.startsWith(prefix) && /\.tmp(\.old)?$/.test(n));
  await Promise.all(stale.map((n) => rm(join(dirname(target), n), { recursive: true, force: true })));
  return stale.length;
}

/**
 * Runs `write(tempPath)` and renames the result onto `target`, so a crash never
 * leaves a half-written file under the final name.
 */
export async function writeAtomically<T>(target: string, write: (tempPath: string) => Promise<T>): Promise<T> {
  await mkdir(dirname(target), { recursive: true });
  const temp = tempPathFor(target);
  try {
    const result = await write(temp);
    await rename(temp, target);
    return result;
  } catch (err) {
    await rm(temp, { force: true, recursive: true });
    throw err;
  }
}

export async function writeFileAtomically(target: string, data: string | Uint8Array): Promise<void> {
  await writeAtomically(target, (temp) => writeFile(temp, data));
}

/**
 * Bytes kept of a stored file name. File systems limit a name to 255 bytes, and an
 * upload is stored as `{id}_{name}` (ids up to 128 bytes) and first written under a
 * temp name ~25 bytes longer, so 100 bytes always fits.
 */
export const MAX_FILE_NAME_BYTES = 100;

/** Cuts `text` to at most `maxBytes` of UTF-8 without splitting a character. */
function truncateUtf8(text: string, maxBytes: number): string {
  let bytes = 0;
  let out = '';
  for (const ch of text) {
    bytes += Buffer.byteLength(ch);
    if (bytes > maxBytes) break;
    out += ch;
  }
  return out;
}

/**
 * A file name safe to store: no separators or control characters, spaces and unicode
 * kept, at most MAX_FILE_NAME_BYTES bytes of UTF-8 with the extension kept (limits are
 * in bytes, and a 244-byte non-ASCII name used to fail with ENAMETOOLONG).
 */
export function safeFileName(name: string): string {
  const cleaned = basename(name)
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what file names must not keep
    .replace(/[\u0000-\u001f\u007f/\\]/g, '_')
    .replace(/^\.+/, '');
  if (cleaned.length === 0) return 'video.mp4';
  if (Buffer.byteLength(cleaned) <= MAX_FILE_NAME_BYTES) return cleaned;
  const ext = extname(cleaned);
  const keepExt = ext.length > 1 && Buffer.byteLength(ext) <= 16 ? ext : '';
  const stem = truncateUtf8(
    cleaned.slice(0, cleaned.length - keepExt.length),
    MAX_FILE_NAME_BYTES - Buffer.byteLength(keepExt),
  );
  return `${stem}${keepExt}`;
}

export interface ImportedVideo {
  id: string;
  /** Relative to DATA_DIR, e.g. uploads/{id}_{name}.mp4 */
  originalPath: string;
  absolutePath: string;
}

/**
 * Puts a file into DATA_DIR/uploads as `{id}_{name}` (hard link when on the same
 * file system, copy otherwise) so the pipeline only ever reads inside DATA_DIR.
 */
export async function importVideoFile(
  source: string,
  options: { dataDir: string; videoId?: string },
): Promise<ImportedVideo> {
  const id = validateVideoId(options.videoId ?? newId());
  // Follow symlinks first: link() would hard-link the symlink itself, which then points
  // nowhere (relative targets) or outside DATA_DIR once it sits in uploads/.
  const real = await realpath(source).catch(() => null);
  const info = real ? await stat(real).catch(() => null) : null;
  if (!real || !info) throw new FileNotFoundError(source, 'Input file not found', 'input');
  if (!info.isFile()) throw new FileNotFoundError(source, 'Input is not a regular file', 'input');
  let name = safeFileName(source);
  if (!extname(name)) name = `${name}.mp4`;
  const target = resolveInDataDir(options.dataDir, join('uploads', `${id}_${name}`));
  await mkdir(dirname(target), { recursive: true });
  await removeStaleTemps(target);
  await writeAtomically(target, async (temp) => {
    try {
      await link(real, temp);
    } catch {
      await copyFile(real, temp, constants.COPYFILE_FICLONE);
    }
  });
  return { id, originalPath: toDataDirRelative(options.dataDir, target), absolutePath: target };
}

/** SHA-256 of a file, hex, read as a stream (one pass; nothing held in memory). */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
