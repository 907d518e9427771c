import { writeFile } from 'node:fs/promises';
import { ConfigError, type VideoStatus } from '@videoqa/core';
import { listVideos } from '@videoqa/storage-pg';
import { EXIT, positiveIntOption, withRuntime, type CommandIO } from './commands.ts';
import { speakerName } from '@videoqa/stages';
import { buildVideoExport, clockTime, EXPORT_FORMATS, exportVideo, type ExportFormat } from './export.ts';
import { videoSummaryView } from './library-view.ts';

const STATUSES: readonly VideoStatus[] = ['pending', 'processing', 'ready', 'failed'];
const overridesFrom = (opts: { dataDir?: string }) => (opts.dataDir ? { dataDir: opts.dataDir } : {});

/** `videoqa list`: the library, newest first. */
export async function listCommand(
  opts: { status?: string; limit?: string; json?: boolean; dataDir?: string },
  io: CommandIO,
): Promise<number> {
  if (opts.status !== undefined && !STATUSES.includes(opts.status as VideoStatus)) {
    throw new ConfigError([
      { variable: '--status', message: `must be one of ${STATUSES.join(', ')} (got ${JSON.stringify(opts.status)})` },
    ]);
  }
  const limit = positiveIntOption('--limit', opts.limit, 100, 10_000);
  return withRuntime(overridesFrom(opts), async (rt) => {
    const videos = await listVideos(rt.db, { status: opts.status as VideoStatus | undefined, limit });
    if (opts.json) {
      io.stdout.write(`${JSON.stringify({ videos: videos.map(videoSummaryView) }, null, 2)}\n`);
      return EXIT.ok;
    }
    if (videos.length === 0) {
      io.stdout.write(
        opts.status ? `no ${opts.status} videos\n` : 'no videos yet: add one with videoqa process <file>\n',
      );
      return EXIT.ok;
    }
    for (const v of videos) {
      const name = v.originalPath ? v.originalPath.replace(/^uploads\/[^_]*_/, '') : '-';
      const c = v.counts;
      const length = v.durationSec !== null ? clockTime(v.durationSec) : '--:--';
      io.stdout.write(
        `${v.id}  ${v.status.padEnd(10)}  ${length.padStart(7)}  ${c.segments} segments, ${c.scenes} scenes, ${c.frames} frames, ${c.captions} captions  ${v.createdAt.toISOString().slice(0, 16).replace('T', ' ')}  ${name}${v.error ? `\n    error: ${v.error}` : ''}\n`,
      );
    }
    return EXIT.ok;
  });
}

/** `videoqa show <video>`: one video, readable in a terminal. */
export async function showCommand(
  videoId: string,
  opts: { json?: boolean; dataDir?: string },
  io: CommandIO,
): Promise<number> {
  return withRuntime(overridesFrom(opts), async (rt) => {
    const doc = await buildVideoExport(rt.store, videoId);
    if (opts.json) {
      io.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
      return EXIT.ok;
    }
    const v = doc.video;
    const out: string[] = [
      `video ${v.id}: ${v.status}${v.duration_sec ? `, ${clockTime(v.duration_sec)} (${v.duration_sec.toFixed(1)} s)` : ''}`,
    ];
    if (v.original_path)
      out.push(
        `  source     ${v.original_path}${v.upload_removed_at ? ` (removed ${v.upload_removed_at} by retention)` : ''}`,
      );
    if (v.normalized_path)
      out.push(
        `  normalized ${v.normalized_path}${v.normalized_removed_at ? ` (removed ${v.normalized_removed_at} by retention)` : ''}`,
      );
    if (v.srt_path) out.push(`  subtitles  ${v.srt_path}`);
    if (v.error) out.push(`  error      ${v.error}`);
    out.push('', 'stages:');
    for (const s of doc.stages) {
      const usage = Object.entries(s.usage)
        .map(([k, n]) => `${k}=${n}`)
        .join(' ');
      out.push(
        `  ${s.stage.padEnd(11)} ${s.status.padEnd(9)} ${usage}${s.reason ? ` (${s.reason})` : ''}${s.error ? ` ${s.error}` : ''}`.trimEnd(),
      );
    }
    if (doc.summary) {
      out.push('', 'summary:', `  ${doc.summary.text}`);
      for (const k of doc.summary.key_points) out.push(`  - ${clockTime(k.t_start)}–${clockTime(k.t_end)}  ${k.text}`);
      if (doc.summary.tags.length > 0) out.push(`  tags: ${doc.summary.tags.join(', ')}`);
    }
    if (doc.chapter_lines.length > 0) {
      out.push('', `chapters (${doc.chapters.length}):`);
      for (const line of doc.chapter_lines) out.push(`  ${line}`);
    }
    out.push('', `scenes (${doc.scenes.length}):`);
    for (const [i, scene] of doc.scenes.entries()) {
      out.push(`  ${String(i + 1).padStart(3)}  ${clockTime(scene.t_start)}–${clockTime(scene.t_end)}`);
      for (const f of scene.frames) {
        out.push(`       ${f.path}${f.duplicate_of ? `  (repeats ${f.duplicate_of})` : ''}`);
        if (f.caption) out.push(`       “${f.caption.replace(/\s+/g, ' ')}”`);
        if (f.ocr_text) out.push(`       on screen: ${f.ocr_text.replace(/\s+/g, ' ')}`);
      }
    }
    out.push('', `transcript (${doc.segments.length} segments):`);
    for (const s of doc.segments)
      out.push(`  ${clockTime(s.t_start)}  ${s.speaker ? `[${speakerName(s.speaker)}] ` : ''}${s.text}`);
    io.stdout.write(`${out.join('\n')}\n`);
    return EXIT.ok;
  });
}

/** `videoqa export <video> --format json|srt|vtt|md [--out file]`. */
export async function exportCommand(
  videoId: string,
  opts: { format?: string; out?: string; dataDir?: string },
  io: CommandIO,
): Promise<number> {
  const format = (opts.format ?? 'json') as ExportFormat;
  if (!EXPORT_FORMATS.includes(format))
    throw new ConfigError([
      {
        variable: '--format',
        message: `must be one of ${EXPORT_FORMATS.join(', ')} (got ${JSON.stringify(opts.format)})`,
      },
    ]);
  return withRuntime(overridesFrom(opts), async (rt) => {
    const text = await exportVideo(rt.store, videoId, format);
    if (opts.out) {
      await writeFile(opts.out, text);
      io.stderr.write(`wrote ${format} export of video ${videoId} to ${opts.out}\n`);
    } else io.stdout.write(text);
    return EXIT.ok;
  });
}
