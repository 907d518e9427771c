import { configSchema } from '@videoqa/core';

/** V8's switch for "compile WebAssembly with the baseline compiler (Liftoff) only". */
export const BASELINE_WASM_FLAG = '--liftoff-only';

/**
 * Whether a CLI process should run WebAssembly with the baseline compiler only.
 *
 * The embedded database is PostgreSQL compiled to WebAssembly (PGlite). V8 first compiles it
 * with Liftoff and then recompiles hot functions with its optimizing compiler in background
 * threads; on opening and migrating a database that second compile peaks at ~500 MB of
 * memory that the process keeps (measured: 734 MiB peak for open + 3,000 inserts + 300
 * full-text queries, 187 MiB with Liftoff only; docs/benchmarks.md "Memory"). Liftoff-only
 * code runs SQL and OCR ~1.3-1.6x slower once warm, which matters less than memory on the
 * embedded default. With DATABASE_URL there is no PGlite here, so nothing changes; the
 * user's own node flags for WebAssembly, and WASM_OPTIMIZE=true, win.
 */
export function wantsBaselineWasm(env: NodeJS.ProcessEnv, execArgv: readonly string[]): boolean {
  if (execArgv.some((a) => /^--(no-)?(liftoff|wasm)/.test(a))) return false;
  if (env.DATABASE_URL?.trim()) return false;
  const optimize = configSchema.shape.wasmOptimize.safeParse(env.WASM_OPTIMIZE?.trim() || undefined);
  // An invalid WASM_OPTIMIZE is reported by the configuration check once the CLI runs.
  return !(optimize.success && optimize.data);
}

/** The glibc malloc arenas a CLI process may use, unless MALLOC_ARENA_MAX is already set. */
export const MALLOC_ARENAS = '2';
/** Marks a MALLOC_ARENA_MAX the relaunch set (not the user), so that it is not passed on to children. */
const ARENAS_SET_HERE = 'VIDEOQA_MALLOC_ARENAS_SET';

/**
 * Whether to cap glibc's malloc arenas. glibc gives each thread that allocates its own arena
 * (up to 8 per core), and the worker's threads (libuv, sharp/libvips, tesseract.js, V8's
 * compiler) leave freed memory in each of them: a worker on PostgreSQL grew 13 MiB per job
 * over 10 jobs while its JavaScript heap stayed flat, and with 2 arenas 0.9 MiB per job,
 * peak 480 -> 289 MiB (docs/benchmarks.md, "Worker memory over 10 jobs"). A value the
 * user set wins; other C libraries ignore the variable.
 */
export function wantsArenaLimit(env: NodeJS.ProcessEnv): boolean {
  return process.platform === 'linux' && env.MALLOC_ARENA_MAX === undefined;
}

/**
 * Replaces this process with the same command under `--liftoff-only` and/or MALLOC_ARENA_MAX=2
 * when wanted. V8 reads its flags and glibc its malloc settings only at start (setting the
 * flag later has no effect on the compiler, checked), so the process image is swapped with
 * execve before anything is loaded: same pid, same stdio, no parent left waiting. Without
 * process.execve (Node < 22.15, Windows) the CLI runs as it is, with more memory.
 */
export function relaunchForBoundedMemory(): void {
  if (process.env[ARENAS_SET_HERE] !== undefined) {
    // glibc read the variable when this image started; children (ffmpeg with its encoder
    // threads, the initdb child) keep glibc's default, as they would without videoqa.
    delete process.env[ARENAS_SET_HERE];
    delete process.env.MALLOC_ARENA_MAX;
    return;
  }
  const flags = wantsBaselineWasm(process.env, process.execArgv) ? [BASELINE_WASM_FLAG] : [];
  const arenas = wantsArenaLimit(process.env);
  if (flags.length === 0 && !arenas) return;
  if (typeof process.execve !== 'function' || process.platform === 'win32') return;
  process.execve(
    process.execPath,
    [process.execPath, ...process.execArgv, ...flags, ...process.argv.slice(1)],
    arenas ? { ...process.env, MALLOC_ARENA_MAX: MALLOC_ARENAS, [ARENAS_SET_HERE]: '1' } : process.env,
  );
}

/** Which WebAssembly compilers this process runs, for `videoqa doctor`. */
export function wasmTierOfThisProcess(): 'by the baseline compiler only' | 'by the baseline and optimizing compilers' {
  return process.execArgv.includes(BASELINE_WASM_FLAG)
    ? 'by the baseline compiler only'
    : 'by the baseline and optimizing compilers';
}
