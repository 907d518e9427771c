import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { abortReasonOf, DependencyMissingError, ToolFailedError } from '@videoqa/core';

/** Lines of stderr kept for error messages (ffmpeg can be chatty). */
const STDERR_LINES = 30;

export interface SpawnToolOptions {
  signal?: AbortSignal;
  /** The fd ffmpeg writes `-progress pipe:N` to: 1 (stdout) or 3. Omit for none. */
  progressFd?: 1 | 3;
  /** Called with the output time in seconds as ffmpeg reports it. */
  onProgress?: (seconds: number) => void;
  /** Keep stdout as a stream for the caller (raw frames); otherwise it is discarded. */
  pipeStdout?: boolean;
}

export interface ToolRun {
  child: ChildProcess;
  /** Resolves when the program exits with 0; rejects with a typed error otherwise. */
  done: Promise<void>;
  stderrTail(): string;
}

/**
 * util-linux's setpriv (always on Debian/Ubuntu) sets PR_SET_PDEATHSIG before it execs
 * the program, so the kernel SIGKILLs ffmpeg when this process dies, even by kill -9:
 * without it a killed worker's encoders ran on, writing files nobody would read.
 * Node has no API for it; elsewhere we spawn directly and rely on abort signals.
 */
const SETPRIV = process.platform === 'linux' && existsSync('/usr/bin/setpriv') ? '/usr/bin/setpriv' : null;

/** The command line that runs `path args` and dies with this process where the OS allows it. */
export function diesWithParent(path: string, args: readonly string[]): [string, string[]] {
  return SETPRIV ? [SETPRIV, ['--pdeathsig', 'KILL', '--', path, ...args]] : [path, [...args]];
}

export type ToolSpawnListener = (program: string, args: readonly string[]) => void;
const spawnListeners = new Set<ToolSpawnListener>();

/**
 * Calls `listener` for every ffmpeg/ffprobe process this module starts, until the returned
 * function is called. Tests count processes with it (frames: one process for many keyframes).
 */
export function onToolSpawn(listener: ToolSpawnListener): () => void {
  spawnListeners.add(listener);
  return () => spawnListeners.delete(listener);
}

function notifySpawn(path: string, args: readonly string[]): void {
  const program = path.split('/').pop() ?? path;
  for (const l of spawnListeners) l(program, args);
}

/** setpriv's own exit when it cannot exec the program (the program is missing). */
const SETPRIV_EXEC_FAILED = /^setpriv: failed to execute .*No such file or directory/m;

function missing(program: string): DependencyMissingError {
  return new DependencyMissingError(
    program,
    `install it (Debian/Ubuntu: apt-get install ffmpeg) or set ${program === 'ffprobe' ? 'FFPROBE_PATH' : 'FFMPEG_PATH'} to its location`,
  );
}

/**
 * Spawns ffmpeg/ffprobe directly (fluent-ffmpeg is archived upstream): progress
 * from `-progress`, the last stderr lines for errors, and SIGKILL on abort.
 */
export function spawnTool(path: string, args: readonly string[], options: SpawnToolOptions = {}): ToolRun {
  const program = path.split('/').pop() ?? path;
  const stdio: ('ignore' | 'pipe')[] = [
    'ignore',
    options.pipeStdout || options.progressFd === 1 ? 'pipe' : 'ignore',
    'pipe',
  ];
  if (options.progressFd === 3) stdio.push('pipe');
  notifySpawn(path, args);
  const child = spawn(...diesWithParent(path, args), { stdio });
  const tail: string[] = [];
  let partial = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    const lines = (partial + chunk).split(/\r?\n/);
    partial = lines.pop() ?? '';
    for (const l of lines) if (l.trim()) tail.push(l.trim());
    if (tail.length > STDERR_LINES) tail.splice(0, tail.length - STDERR_LINES);
  });
  const progressStream =
    options.progressFd === 3
      ? (child.stdio[3] as NodeJS.ReadableStream)
      : options.progressFd === 1
        ? child.stdout
        : null;
  if (progressStream && options.onProgress) {
    let buf = '';
    progressStream.setEncoding('utf8');
    progressStream.on('data', (chunk: string) => {
      buf += chunk;
      const lines = buf.split('\n');
      buf = lines.pop() ?? '';
      for (const line of lines) {
        // out_time_us is microseconds; (ffmpeg's out_time_ms is microseconds too, despite its name)
        const m = /^out_time_(?:us|ms)=(\d+)/.exec(line);
        if (m) options.onProgress!(Number(m[1]) / 1e6);
      }
    });
  }
  const onAbort = () => child.kill('SIGKILL');
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const stderrTail = () => [...tail, partial.trim()].filter(Boolean).join('\n');

  const done = new Promise<void>((resolve, reject) => {
    child.once('error', (err: NodeJS.ErrnoException) => {
      options.signal?.removeEventListener('abort', onAbort);
      reject(err.code === 'ENOENT' ? missing(program) : new ToolFailedError(program, err.message, { cause: err }));
    });
    child.once('close', (code, sig) => {
      options.signal?.removeEventListener('abort', onAbort);
      if (options.signal?.aborted) return reject(abortReasonOf(options.signal));
      if (code === 0) return resolve();
      if (code === 127 && SETPRIV_EXEC_FAILED.test(stderrTail())) return reject(missing(program));
      const why = sig ? `killed by ${sig}` : `exit code ${code}`;
      reject(new ToolFailedError(program, `${why}: ${lastLines(stderrTail(), 5) || 'no error output'}`));
    });
  });
  if (options.signal?.aborted) onAbort();
  return { child, done, stderrTail };
}

export function lastLines(text: string, n: number): string {
  return text.split('\n').filter(Boolean).slice(-n).join(' | ');
}

/** Runs a program to completion and returns its stdout as text. */
export async function runToText(
  path: string,
  args: readonly string[],
  signal?: AbortSignal,
): Promise<{ stdout: string; stderr: string; code: number | null }> {
  return new Promise((resolve, reject) => {
    notifySpawn(path, args);
    const child = spawn(...diesWithParent(path, args), { stdio: ['ignore', 'pipe', 'pipe'], signal });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.once('error', (err: NodeJS.ErrnoException) => {
      if (signal?.aborted) return reject(abortReasonOf(signal));
      reject(err.code === 'ENOENT' ? missing(path.split('/').pop() ?? path) : err);
    });
    child.once('close', (code) => {
      if (code === 127 && SETPRIV_EXEC_FAILED.test(stderr)) return reject(missing(path.split('/').pop() ?? path));
      resolve({ stdout, stderr, code });
    });
  });
}
