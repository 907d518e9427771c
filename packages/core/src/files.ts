import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { copyFile, link, mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { FileNotFoundError } from './errors.ts';
import { newId, validateVideoId } from './ids.ts';
import { resolveInDataDir, toDataDirRelative } from './paths.ts';

/** A hidden sibling name for writing `target` before renaming it into place. */
export function tempPathFor(target: string): string {
  return join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
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

/** A file name safe to store: no separators or control characters, spaces and unicode kept. */
export function safeFileName(name: string): string {
  // eslint-disable-next-line no-control-regex
  const cleaned = basename(name).replace(/[\u0000-\u001f\u007f/\\]/g, '_').replace(/^\.+/, '').slice(-120);
  return cleaned.length > 0 ? cleaned : 'video.mp4';
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
export async function importVideoFile(source: string, options: { dataDir: string; videoId?: string }): Promise<ImportedVideo> {
  const id = validateVideoId(options.videoId ?? newId());
  const info = await stat(source).catch(() => null);
  if (!info) throw new FileNotFoundError(source, 'Input file not found');
  if (!info.isFile()) throw new FileNotFoundError(source, 'Input is not a regular file');
  let name = safeFileName(source);
  if (!extname(name)) name = `${name}.mp4`;
  const target = resolveInDataDir(options.dataDir, join('uploads', `${id}_${name}`));
  await mkdir(dirname(target), { recursive: true });
  await writeAtomically(target, async (temp) => {
    try {
      await link(source, temp);
    } catch {
      await copyFile(source, temp, constants.COPYFILE_FICLONE);
    }
  });
  return { id, originalPath: toDataDirRelative(options.dataDir, target), absolutePath: target };
}
