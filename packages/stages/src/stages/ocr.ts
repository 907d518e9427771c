import { access, mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { OcrError, resolveInDataDir, type FrameRow, type OcrRow, type Stage } from '@videoqa/core';
import PQueue from 'p-queue';
import { createScheduler, createWorker, OEM, type Page, type Scheduler } from 'tesseract.js';

export interface OcrOptions {
  /** Workers in the pool (default OCR_WORKERS, or the CPU count up to 4). */
  workers?: number;
  /**
   * Idle time after which the pool shuts itself down (default 0: as soon as no OCR stage holds
   * it); closeOcr() stops it at once. The pool's worker threads hold ~75 MiB each, and keeping
   * them through vision made that stage the process's memory peak (docs/benchmarks.md,
   * "Memory"); restarting it costs ~1 s per video.
   */
  idleShutdownMs?: number;
}

export interface OcrData {
  /** Non-duplicate frames read. */
  frames: number;
  /** Frames with legible text (one stored row each). */
  withText: number;
  words: number;
  language: string;
}

/** The id of a frame's OCR row. */
export const ocrId = (frameId: string) => `${frameId}_ocr`;

/** The traineddata variant read: LSTM-only "best" models quantised to integers (fast, accurate). */
const MODEL_DIR = '4.0.0_best_int';

/**
 * Finds the folder holding a language's traineddata in its `@tesseract.js-data/<lang>`
 * package: next to this package first, then from the working directory (an
 * application's own node_modules). Never a download: a missing package is an
 * error saying what to install.
 */
export async function ocrLanguageDir(lang: string): Promise<string> {
  const pkg = `@tesseract.js-data/${lang}`;
  for (const base of [import.meta.url, join(process.cwd(), 'package.json')]) {
    let dir: string;
    try {
      dir = join(dirname(createRequire(base).resolve(`${pkg}/package.json`)), MODEL_DIR);
    } catch {
      continue;
    }
    if (
      await access(join(dir, `${lang}.traineddata.gz`)).then(
        () => true,
        () => false,
      )
    )
      return dir;
  }
  throw new OcrError('OCR_LANGUAGE_MISSING', `OCR language data for "${lang}" is not installed (OCR_LANGUAGES)`, {
    fix: `install the package ${pkg} (npm install ${pkg} / pnpm add ${pkg}), remove "${lang}" from OCR_LANGUAGES, or set OCR_ENABLED=false`,
    details: { language: lang, package: pkg },
  });
}

/**
 * tesseract.js reads every language from one folder (langPath). One language (the
 * usual case) uses its package's folder; several get a temp folder of symlinks,
 * removed when the pool stops.
 */
async function languageFolder(languages: readonly string[]): Promise<{ path: string; temporary: boolean }> {
  const dirs = await Promise.all(languages.map(ocrLanguageDir));
  if (dirs.every((d) => d === dirs[0])) return { path: dirs[0]!, temporary: false };
  const path = await mkdtemp(join(tmpdir(), 'videoqa-ocr-'));
  await Promise.all(
    languages.map((lang, i) => symlink(join(dirs[i]!, `${lang}.traineddata.gz`), join(path, `${lang}.traineddata.gz`))),
  );
  return { path, temporary: true };
}

/**
 * One pool of tesseract.js workers per process, shared by every video: the
 * language models load once (about a second per worker), not per video. It is
 * started on first use, replaced when the languages change, and terminated by
 * closeOcr() or after sitting idle (worker threads would otherwise keep a
 * script's process alive after its last video).
 */
class OcrPool {
  readonly key: string;
  readonly size: number;
  private readonly scheduler: Scheduler;
  /** Stage runs holding the pool, and recognitions in flight: idle when both are 0. */
  private users = 0;
  private active = 0;
  private idleMs = 0;
  private idleTimer: NodeJS.Timeout | undefined;
  private closed = false;

  private readonly tempDir: string | null;

  private constructor(key: string, size: number, scheduler: Scheduler, tempDir: string | null) {
    this.key = key;
    this.size = size;
    this.scheduler = scheduler;
    this.tempDir = tempDir;
  }

  static async start(languages: readonly string[], size: number): Promise<OcrPool> {
    const folder = await languageFolder(languages);
    const scheduler = createScheduler();
    try {
      // A local langPath (never a URL), no cache files written: nothing goes to the network.
      const options = { langPath: folder.path, gzip: true, cacheMethod: 'none', errorHandler: () => {} };
      const workers = await Promise.all(
        Array.from({ length: size }, () => createWorker(languages.join('+'), OEM.LSTM_ONLY, options)),
      );
      for (const w of workers) scheduler.addWorker(w);
    } catch (err) {
      await scheduler.terminate().catch(() => {});
      if (folder.temporary) await rm(folder.path, { recursive: true, force: true });
      throw new OcrError('OCR_FAILED', `could not start the OCR engine: ${(err as Error)?.message ?? String(err)}`, {
        cause: err,
      });
    }
    return new OcrPool(languages.join('+'), size, scheduler, folder.temporary ? folder.path : null);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  acquire(): void {
    this.users++;
    clearTimeout(this.idleTimer);
  }

  release(idleMs: number): void {
    this.users--;
    this.idleMs = idleMs;
    this.armIdle();
  }

  async recognize(image: Buffer): Promise<Page> {
    if (this.closed) throw new OcrError('OCR_FAILED', 'the OCR pool was closed');
    this.active++;
    clearTimeout(this.idleTimer);
    try {
      const res = await this.scheduler.addJob('recognize', image, {}, { blocks: true, text: false });
      return res.data;
    } finally {
      this.active--;
      this.armIdle();
    }
  }

  private armIdle(): void {
    if (this.users > 0 || this.active > 0 || this.closed) return;
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      if (pool === this) pool = null;
      void this.terminate();
    }, this.idleMs);
  }

  async terminate(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.idleTimer);
    await this.scheduler.terminate();
    if (this.tempDir) await rm(this.tempDir, { recursive: true, force: true });
  }
}

let pool: OcrPool | null = null;
let starting: Promise<OcrPool> | null = null;

async function acquirePool(languages: readonly string[], size: number): Promise<OcrPool> {
  const key = languages.join('+');
  while (starting) await starting.catch(() => {});
  if (pool && !pool.isClosed && pool.key === key && pool.size >= size) {
    pool.acquire();
    return pool;
  }
  // Other languages (or a closed pool): the old one finishes what it runs, then stops when idle.
  pool = null;
  starting = OcrPool.start(languages, size);
  try {
    pool = await starting;
  } finally {
    starting = null;
  }
  pool.acquire();
  return pool;
}

/** Terminates the process's OCR workers now (the runner calls it on shutdown; tests after their last OCR). */
export async function closeOcr(): Promise<void> {
  while (starting) await starting.catch(() => {});
  const p = pool;
  pool = null;
  await p?.terminate();
}

/**
 * The words of a page at or above `minConfidence`, line by line. Tesseract
 * reads noise and icons as low-confidence junk words; those are dropped.
 */
export function keptText(page: Page, minConfidence: number): { text: string; confidence: number; words: number } {
  const lines: string[] = [];
  let sum = 0;
  let words = 0;
  for (const block of page.blocks ?? []) {
    for (const para of block.paragraphs) {
      for (const line of para.lines) {
        const kept = line.words.filter((w) => w.confidence >= minConfidence && /[\p{L}\p{N}]/u.test(w.text));
        if (kept.length === 0) continue;
        lines.push(kept.map((w) => w.text).join(' '));
        for (const w of kept) sum += w.confidence;
        words += kept.length;
      }
    }
  }
  return { text: lines.join('\n'), confidence: words > 0 ? Math.round((sum / words) * 10) / 10 : 0, words };
}

/**
 * ocr: on-screen text of every non-duplicate keyframe with tesseract.js, offline
 * (language data from @tesseract.js-data packages). Rows are replaced on each
 * run; vision reads them as a hint and embeddings/search index them.
 */
export function ocrStage(options: OcrOptions = {}): Stage<OcrData> {
  return {
    name: 'ocr',
    after: ['frames'],
    description: 'on-screen text of keyframes (tesseract.js, offline)',
    async run(ctx) {
      const { config } = ctx;
      if (!config.ocrEnabled) return { skipped: 'OCR_ENABLED is false' };
      const frames = await ctx.store.listFrames(ctx.video.id);
      const originals = frames.filter((f) => !f.duplicateOf);
      const language = config.ocrLanguages.join('+');
      if (originals.length === 0) {
        await ctx.store.replaceOcr(ctx.video.id, []);
        return { data: { frames: 0, withText: 0, words: 0, language }, counts: { frames: 0, withText: 0, words: 0 } };
      }
      const size = options.workers ?? (config.ocrWorkers || Math.min(4, availableParallelism()));
      const engine = await acquirePool(config.ocrLanguages, Math.max(1, size));
      const results: (OcrRow | null)[] = new Array(originals.length).fill(null);
      let done = 0;
      let words = 0;
      // Hand the pool only as many frames as it has workers: an abort then stops within one frame each.
      const queue = new PQueue({ concurrency: engine.size });
      try {
        await Promise.all(
          originals.map((frame: FrameRow, i) =>
            queue.add(async () => {
              ctx.signal.throwIfAborted();
              const image = await readFile(resolveInDataDir(ctx.paths.dataDir, frame.path));
              let page: Page;
              try {
                page = await engine.recognize(image);
              } catch (err) {
                throw new OcrError(
                  'OCR_FAILED',
                  `OCR failed on frame ${frame.id} (${frame.path}): ${(err as Error)?.message ?? String(err)}`,
                  { cause: err, details: { frameId: frame.id } },
                );
              }
              const kept = keptText(page, config.ocrMinConfidence);
              words += kept.words;
              if (kept.text)
                results[i] = {
                  id: ocrId(frame.id),
                  frameId: frame.id,
                  videoId: ctx.video.id,
                  text: kept.text,
                  confidence: kept.confidence,
                  language,
                };
              ctx.progress(++done, originals.length);
            }),
          ),
        );
      } catch (err) {
        queue.clear();
        await queue.onIdle().catch(() => {});
        throw err;
      } finally {
        engine.release(options.idleShutdownMs ?? 0);
      }
      const rows = results.filter((r): r is OcrRow => r !== null);
      await ctx.store.replaceOcr(ctx.video.id, rows);
      ctx.addUsage({ frames: originals.length, words });
      return {
        data: { frames: originals.length, withText: rows.length, words, language },
        counts: { frames: originals.length, withText: rows.length, words },
      };
    },
  };
}
