import type { Command } from 'commander';
import { ConfigError } from '@videoqa/core';
import { EXIT, overridesFrom, withRuntime, type CommandIO } from './commands.ts';
import { cancelJobById, collectGarbage, deleteVideo, diskUsage, USAGE_KINDS, type StorageUsage } from './lifecycle.ts';

/** 1536 → "1.5 KiB": sizes a person reads; --json gives exact bytes. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v} B` : `${v.toFixed(1)} ${units[i]}`;
}

const print = (io: CommandIO, json: boolean | undefined, value: unknown, text: string) =>
  io.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : text);

/** `videoqa delete <video> [--keep-upload] [--force]`. */
export async function deleteCommand(
  videoId: string,
  opts: { keepUpload?: boolean; force?: boolean; json?: boolean; dataDir?: string },
  io: CommandIO,
): Promise<number> {
  return withRuntime(overridesFrom(opts), async (rt) => {
    const r = await deleteVideo({ db: rt.db, config: rt.config }, videoId, {
      keepUpload: opts.keepUpload,
      force: opts.force,
    });
    const rows = Object.values(r.rows).reduce((a, b) => a + b, 0);
    const cancelled = r.cancelled_jobs.length > 0 ? `; cancelled job ${r.cancelled_jobs.join(', ')} first` : '';
    const text = r.deleted
      ? `deleted video ${r.video_id}: ${rows} rows, ${r.files.length} files or directories (${formatBytes(r.bytes_freed)} freed)${opts.keepUpload ? '; upload kept' : ''}${cancelled}\n`
      : `video ${r.video_id}: already gone, nothing in the database${r.files.length > 0 ? `; removed ${r.files.length} leftover files (${formatBytes(r.bytes_freed)})` : ''}\n`;
    print(io, opts.json, r, text);
    return EXIT.ok;
  });
}

/** `videoqa cancel <job>`. */
export async function cancelCommand(
  jobId: string,
  opts: { json?: boolean; dataDir?: string },
  io: CommandIO,
): Promise<number> {
  return withRuntime(overridesFrom(opts), async (rt) => {
    const r = await cancelJobById({ db: rt.db }, jobId);
    const text =
      r.previous_status === 'cancelled'
        ? `job ${r.job_id} was already cancelled\n`
        : `cancelled job ${r.job_id} (video ${r.video_id}, was ${r.previous_status})${r.stopping ? '; its worker stops it now, at the latest at its next lease renewal' : ''}\n`;
    print(io, opts.json, r, text);
    return EXIT.ok;
  });
}

/** `videoqa gc`: applies the retention settings once. */
export async function gcCommand(
  opts: { uploadsDays?: string; normalizedDays?: string; json?: boolean; dataDir?: string },
  io: CommandIO,
): Promise<number> {
  const overrides: Record<string, unknown> = overridesFrom(opts);
  const days = (name: string, v: string | undefined) => {
    if (v === undefined) return undefined;
    if (!/^\s*\d+(\.\d+)?\s*$/.test(v))
      throw new ConfigError([
        { variable: name, message: `must be a number of days, 0 or more (got ${JSON.stringify(v)})` },
      ]);
    return Number(v);
  };
  if (opts.uploadsDays !== undefined) overrides.retainUploadsDays = days('--uploads-days', opts.uploadsDays);
  if (opts.normalizedDays !== undefined)
    overrides.retainNormalizedDays = days('--normalized-days', opts.normalizedDays);
  return withRuntime(overrides, async (rt) => {
    const r = await collectGarbage({ db: rt.db, config: rt.config });
    let text: string;
    if (r.retain_uploads_days === null && r.retain_normalized_days === null) {
      text =
        'retention is off: set RETAIN_UPLOADS_DAYS and/or RETAIN_NORMALIZED_DAYS (or --uploads-days / --normalized-days); nothing removed\n';
    } else if (r.removed.length === 0) {
      text = 'nothing is due for removal\n';
    } else {
      text = `${r.removed.map((x) => `removed the ${x.kind} of video ${x.video_id}: ${x.files.join(', ') || '(no file left)'} (${formatBytes(x.bytes)})`).join('\n')}\n${formatBytes(r.bytes_freed)} freed\n`;
    }
    print(io, opts.json, r, text);
    return EXIT.ok;
  });
}

function usageTable(u: StorageUsage): string {
  const head = ['video', ...USAGE_KINDS, 'total'];
  const body = u.videos.map((v) => [
    `${v.video_id}${v.upload_removed_at || v.normalized_removed_at ? ' *' : ''}`,
    ...USAGE_KINDS.map((k) => formatBytes(v.bytes[k])),
    formatBytes(v.total),
  ]);
  const all = [
    head,
    ...body,
    ['total', ...USAGE_KINDS.map((k) => formatBytes(u.totals[k])), formatBytes(u.totals.total)],
  ];
  const widths = head.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const notes = [
    u.videos.some((v) => v.upload_removed_at || v.normalized_removed_at)
      ? '* media removed by retention (transcript, frames and vectors kept)'
      : '',
    u.database_size_bytes !== undefined
      ? `database on disk (tables, indexes, free space): ${formatBytes(u.database_size_bytes)}`
      : '',
    "database = pg_column_size of the video's rows; indexes not included",
  ].filter(Boolean);
  return `${[line(head), ...body.map(line), line(all[all.length - 1]!)].join('\n')}\n${notes.join('\n')}\n`;
}

/** `videoqa du [--video <id>] [--json]`. */
export async function duCommand(
  opts: { video?: string; json?: boolean; dataDir?: string },
  io: CommandIO,
): Promise<number> {
  return withRuntime(overridesFrom(opts), async (rt) => {
    const u = await diskUsage({ db: rt.db, config: rt.config }, opts.video);
    print(io, opts.json, u, u.videos.length === 0 ? 'no videos yet\n' : usageTable(u));
    return EXIT.ok;
  });
}

/** Adds delete, cancel, gc and du to the CLI; `setCode` receives each command's exit code. */
export function registerLifecycleCommands(program: Command, io: CommandIO, setCode: (code: number) => void): void {
  const dataDir = ['--data-dir <dir>', 'DATA_DIR for this command'] as const;
  program
    .command('delete')
    .description(
      'delete a video: its rows (one transaction) and its files under DATA_DIR; a second delete succeeds with "already gone"',
    )
    .argument('<video>', 'the video id')
    .option('--keep-upload', 'keep the uploaded file in uploads/')
    .option('--force', 'cancel a running job of the video first instead of refusing (VIDEO_BUSY)')
    .option('--json', 'print what was removed as JSON')
    .option(...dataDir)
    .action(async (videoId: string, opts) => setCode(await deleteCommand(videoId, opts, io)));

  program
    .command('cancel')
    .description(
      'cancel a pending or running job: it stops (at the latest at its next lease renewal) and is never retried',
    )
    .argument('<jobId>')
    .option('--json', 'print the result as JSON')
    .option(...dataDir)
    .action(async (jobId: string, opts) => setCode(await cancelCommand(jobId, opts, io)));

  program
    .command('gc')
    .description(
      'apply retention: remove uploads / normalized media of videos ready for longer than RETAIN_UPLOADS_DAYS / RETAIN_NORMALIZED_DAYS',
    )
    .option('--uploads-days <n>', 'RETAIN_UPLOADS_DAYS for this run')
    .option('--normalized-days <n>', 'RETAIN_NORMALIZED_DAYS for this run')
    .option('--json', 'print what was removed as JSON')
    .option(...dataDir)
    .action(async (opts) => setCode(await gcCommand(opts, io)));

  program
    .command('du')
    .description(
      'disk and database bytes per video and per kind (upload, normalized, audio, frames, subtitles, other, database)',
    )
    .option('--video <videoId>', 'one video only')
    .option('--json', 'print as JSON (exact bytes)')
    .option(...dataDir)
    .action(async (opts) => setCode(await duCommand(opts, io)));
}
