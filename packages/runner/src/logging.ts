import { mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { Writable } from 'node:stream';
import { scrubSecrets } from '@videoqa/core';
import { pino, type Logger as PinoLogger, type LevelWithSilent } from 'pino';
import { createStream, type RotatingFileStream } from 'rotating-file-stream';

export interface LoggerOptions {
  level: LevelWithSilent;
  /** Log file directory is `{dataDir}/worker`; omit for stdout only. */
  dataDir?: string;
  /** Format of the file: the seed's human lines ('text') or JSON lines. */
  fileFormat?: 'text' | 'json';
  /** Where JSON lines go besides the file (default process.stdout; null for none). */
  stdout?: NodeJS.WritableStream | null;
  /** Strings never to write (API keys, database passwords): replaced by ***. */
  secrets?: readonly string[];
  /** Logger name in the text format (the seed's "video_worker"). */
  name?: string;
  /** Rotation size and kept files (default 5 MB, 3 backups). */
  rotateSize?: string;
  rotateKeep?: number;
  /** Opens the log file (tests pass one that fails like a full disk); default: the rotating file. */
  openFile?: () => LogFileStream;
  /** After a write error, how long to wait before reopening the file (default 5 s). */
  reopenAfterMs?: number;
}

/** Something the log file can be written to: the rotating file, or a test's stand-in. */
export type LogFileStream = NodeJS.WritableStream & { destroy(): void; writableEnded: boolean };

export interface VideoqaLogger extends PinoLogger {
  /** Flushes and closes the log file. */
  closeFile(): Promise<void>;
}

/** Field names whose values are secrets wherever they appear. */
const REDACT_PATHS = [
  'apiKey',
  'openaiApiKey',
  'supadataApiKey',
  'apiToken',
  'token',
  'password',
  'databaseUrl',
  'redisUrl',
  'authorization',
  '*.apiKey',
  '*.openaiApiKey',
  '*.supadataApiKey',
  '*.apiToken',
  '*.token',
  '*.password',
  '*.databaseUrl',
  '*.redisUrl',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'config.openaiApiKey',
  'config.databaseUrl',
];

/** Replaces every secret, URL password and OpenAI-looking key in a string (core's scrubber). */
export const scrub = (text: string, secrets: readonly string[]): string => scrubSecrets(text, secrets);

function scrubDeep(value: unknown, secrets: readonly string[], depth = 0): unknown {
  if (typeof value === 'string') return scrub(value, secrets);
  // Errors are left to the err serializer (their message and stack are not enumerable).
  if (depth > 6 || value === null || typeof value !== 'object' || value instanceof Error) return value;
  if (Array.isArray(value)) return value.map((v) => scrubDeep(v, secrets, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = scrubDeep(v, secrets, depth + 1);
  return out;
}

const LEVEL_NAMES: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARNING',
  50: 'ERROR',
  60: 'CRITICAL',
};
const OMIT_IN_TEXT = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'caller', 'name', 'err']);

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

/**
 * One JSON log line → the seed's format:
 * `2024-01-15 10:30:00 - video_worker - INFO - [worker.ts:75] - CLAIMED: ... key=value`
 */
export function formatTextLine(line: string, name: string): string {
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(line);
  } catch {
    return line.endsWith('\n') ? line : `${line}\n`;
  }
  const d = new Date(typeof rec.time === 'number' ? rec.time : Date.now());
  const stamp = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  const level = LEVEL_NAMES[rec.level as number] ?? String(rec.level);
  const extras = Object.entries(rec)
    .filter(([k, v]) => !OMIT_IN_TEXT.has(k) && v !== undefined)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? (/\s/.test(v) ? JSON.stringify(v) : v) : JSON.stringify(v)}`)
    .join(' ');
  const err = rec.err as { message?: string; stack?: string } | undefined;
  const errText = err ? `\n${err.stack ?? err.message ?? ''}` : '';
  return `${stamp} - ${(rec.name as string) ?? name} - ${level} - [${(rec.caller as string) ?? '?'}] - ${rec.msg ?? ''}${extras ? ` ${extras}` : ''}${errText}\n`;
}

/** Frames of the logging machinery itself (by function name: the code may be bundled into one file). */
const OWN_FRAMES = /\b(callerLocation|mixin|logMethod|LOG|write)\b|node_modules|node:/;

/** file:line of the code that called the logger (first frame outside pino and this module). */
function callerLocation(): string | undefined {
  const stack = new Error().stack?.split('\n') ?? [];
  for (const frame of stack.slice(1)) {
    if (OWN_FRAMES.test(frame)) continue;
    const m = /\(?([^()\s]+):(\d+):\d+\)?$/.exec(frame.trim());
    if (m) return `${basename(m[1]!.replace(/^file:\/\//, ''))}:${m[2]}`;
  }
  return undefined;
}

/**
 * The log file, reopened after a write error. A stream that failed once (a full disk)
 * stays failed, so the file went silent for good; now lines are dropped (and counted)
 * while it is broken, the file is reopened on the next line after a pause, and the
 * first line written says what happened.
 */
class ReopeningLogFile {
  private stream: LogFileStream | undefined;
  private brokenAt = 0;
  private lastError: string | undefined;
  private lost = 0;
  private readonly open: () => LogFileStream;
  private readonly reopenAfterMs: number;
  private readonly notice: (text: string) => string;
  constructor(open: () => LogFileStream, reopenAfterMs: number, notice: (text: string) => string) {
    this.open = open;
    this.reopenAfterMs = reopenAfterMs;
    this.notice = notice;
    this.stream = this.tryOpen();
  }

  private tryOpen(): LogFileStream | undefined {
    try {
      const stream = this.open();
      stream.on('error', (err: NodeJS.ErrnoException) => this.broke(stream, err));
      return stream;
    } catch (err) {
      this.broke(undefined, err as NodeJS.ErrnoException);
      return undefined;
    }
  }

  private broke(stream: LogFileStream | undefined, err: NodeJS.ErrnoException): void {
    if (stream && stream !== this.stream) return;
    this.lastError = err.code ?? err.message;
    this.brokenAt = Date.now();
    this.stream = undefined;
    stream?.destroy();
  }

  write(text: string, done: () => void): void {
    if (!this.stream && this.lastError && Date.now() - this.brokenAt >= this.reopenAfterMs) {
      this.stream = this.tryOpen();
      if (this.stream) {
        this.stream.write(
          this.notice(
            `log file reopened after a write error (${this.lastError}); ${this.lost} line(s) could not be written`,
          ),
        );
        this.lost = 0;
      }
    }
    if (!this.stream || this.stream.writableEnded) {
      this.lost++;
      done();
      return;
    }
    this.stream.write(text, () => done());
  }

  end(): Promise<void> {
    const stream = this.stream;
    if (!stream || stream.writableEnded) return Promise.resolve();
    return new Promise<void>((resolve) => stream.end(() => resolve()));
  }

  get ended(): boolean {
    return this.stream?.writableEnded ?? false;
  }
}

/**
 * pino to stdout (JSON) and to `{dataDir}/worker/log.log` (rotated at 5 MB,
 * 3 backups kept, as log.log.1..3), in the seed's text format by default.
 * Secrets are redacted by field name and scrubbed from every string.
 */
export function createLogger(options: LoggerOptions): VideoqaLogger {
  const secrets = options.secrets ?? [];
  const name = options.name ?? 'video_worker';
  const streams: { level: LevelWithSilent; stream: NodeJS.WritableStream }[] = [];
  if (options.stdout !== null) streams.push({ level: options.level, stream: options.stdout ?? process.stdout });
  let file: ReopeningLogFile | undefined;
  let closed = false;
  let fileWriter: Writable | undefined;
  if (options.dataDir) {
    const dir = join(options.dataDir, 'worker');
    const text = (options.fileFormat ?? 'text') === 'text';
    const open =
      options.openFile ??
      (() => {
        mkdirSync(dir, { recursive: true });
        return createStream('log.log', {
          path: dir,
          size: options.rotateSize ?? '5M',
          rotate: options.rotateKeep ?? 3,
        }) as RotatingFileStream & LogFileStream;
      });
    const format = (line: string) => (text ? formatTextLine(line, name) : line);
    // A full disk must not crash the worker: stdout still has the lines, and the file comes back.
    const notice = (msg: string) =>
      format(JSON.stringify({ level: 40, time: Date.now(), pid: process.pid, name, caller: 'logging.ts', msg }));
    const target = new ReopeningLogFile(open, options.reopenAfterMs ?? 5000, notice);
    file = target;
    fileWriter = new Writable({
      write(chunk: Buffer, _enc, done) {
        if (closed) return done(); // after closeFile(): stdout still gets the line
        target.write(format(chunk.toString()), done);
      },
    });
    fileWriter.on('error', () => {});
    streams.push({ level: options.level, stream: fileWriter });
  }
  const textFile = Boolean(file) && (options.fileFormat ?? 'text') === 'text';
  const logger = pino(
    {
      level: options.level,
      name,
      base: { pid: process.pid },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      hooks: {
        logMethod(args, method) {
          method.apply(
            this,
            args.map((a) => (typeof a === 'string' ? scrub(a, secrets) : a)) as Parameters<typeof method>,
          );
        },
      },
      formatters: {
        log: (obj) => scrubDeep(obj, secrets) as Record<string, unknown>,
      },
      serializers: {
        err: (err: Error & { code?: string }) => ({
          type: err?.name,
          code: err?.code,
          message: scrub(String(err?.message ?? err), secrets),
          stack: scrub(String(err?.stack ?? ''), secrets),
        }),
      },
      // The text format shows [file:line] like the seed; finding it costs a stack trace per line.
      ...(textFile ? { mixin: () => ({ caller: callerLocation() }) } : {}),
    },
    pino.multistream(streams),
  ) as VideoqaLogger;
  logger.closeFile = async () => {
    // Drain the formatter into the file, then close the file.
    if (fileWriter && !fileWriter.writableEnded) await new Promise<void>((resolve) => fileWriter!.end(() => resolve()));
    closed = true;
    await file?.end();
  };
  return logger;
}
