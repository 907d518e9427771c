import { VideoNotFoundError, type Store } from '@videoqa/core';
import { speakerName, toSrt, toVtt } from '@videoqa/stages';

/** The formats `export` writes. */
export const EXPORT_FORMATS = ['json', 'srt', 'vtt', 'md'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/**
 * Everything videoqa knows about one video as one JSON document. The shape is versioned
 * (`schema_version`) and documented in docs/cli.md; JSON the user sees is snake_case, like
 * the database and `process --json`. Paths are relative to DATA_DIR.
 */
export interface VideoExport {
  schema_version: 1;
  video: {
    id: string;
    status: string;
    duration_sec: number | null;
    original_path: string | null;
    normalized_path: string | null;
    srt_path: string | null;
    error: string | null;
    /** ISO time retention removed the upload / the normalized media, or null while it is there (transcript, frames and vectors stay). */
    upload_removed_at: string | null;
    normalized_removed_at: string | null;
  };
  stages: {
    stage: string;
    status: string;
    started_at: string;
    finished_at: string | null;
    usage: Record<string, number>;
    reason: string | null;
    error: string | null;
  }[];
  scenes: {
    id: string;
    idx: number;
    t_start: number;
    t_end: number;
    frames: {
      id: string;
      t: number;
      path: string;
      duplicate_of: string | null;
      caption: string | null;
      entities: Record<string, unknown> | null;
      ocr_text: string | null;
    }[];
  }[];
  segments: { id: string; idx: number; t_start: number; t_end: number; text: string; speaker: string | null }[];
  /** From the chapters stage: consecutive chapters covering the video (empty when it did not run). */
  chapters: { id: string; idx: number; t_start: number; t_end: number; title: string; summary: string }[];
  /** YouTube-style chapter lines (`00:00 Title`), ready to paste into a video description. */
  chapter_lines: string[];
  /** Searchable text stage plugins stored (Store.replaceAnnotations), by time. */
  annotations: {
    id: string;
    stage: string;
    kind: string;
    t_start: number;
    t_end: number;
    text: string;
    data: unknown;
  }[];
  summary: {
    text: string;
    key_points: { text: string; t_start: number; t_end: number }[];
    tags: string[];
    model: string | null;
  } | null;
  usage: Record<string, Record<string, number>>;
}

/** Builds the export document from a store; VIDEO_NOT_FOUND for an unknown id. */
export async function buildVideoExport(store: Store, videoId: string): Promise<VideoExport> {
  const video = await store.getVideo(videoId);
  if (!video) throw new VideoNotFoundError(videoId);
  const [runs, scenes, frames, captions, segments, ocr, chapters, summary, annotations] = await Promise.all([
    store.listStageRuns(videoId),
    store.listScenes(videoId),
    store.listFrames(videoId),
    store.listCaptions(videoId),
    store.listSegments(videoId),
    store.listOcr(videoId),
    store.listChapters(videoId),
    store.getSummary(videoId),
    store.listAnnotations(videoId),
  ]);
  const captionOf = new Map(captions.map((c) => [c.frameId, c]));
  const ocrOf = new Map(ocr.map((o) => [o.frameId, o.text]));
  return {
    schema_version: 1,
    video: {
      id: video.id,
      status: video.status ?? 'pending',
      duration_sec: video.durationSec ?? null,
      original_path: video.originalPath || null,
      normalized_path: video.normalizedPath ?? null,
      srt_path: segments.length > 0 ? `subs/${video.id}.srt` : null,
      error: video.error ?? null,
      upload_removed_at: video.uploadRemovedAt ? video.uploadRemovedAt.toISOString() : null,
      normalized_removed_at: video.normalizedRemovedAt ? video.normalizedRemovedAt.toISOString() : null,
    },
    stages: runs.map((r) => ({
      stage: r.stage,
      status: r.status,
      started_at: r.startedAt.toISOString(),
      finished_at: r.finishedAt ? r.finishedAt.toISOString() : null,
      usage: r.usage ?? {},
      reason: (r.output as { skipped?: string } | null | undefined)?.skipped ?? null,
      error: r.error ?? null,
    })),
    scenes: scenes.map((s) => ({
      id: s.id,
      idx: s.idx,
      t_start: s.tStart,
      t_end: s.tEnd,
      frames: frames
        .filter((f) => f.sceneId === s.id)
        .map((f) => ({
          id: f.id,
          t: f.t,
          path: f.path,
          duplicate_of: f.duplicateOf,
          caption: captionOf.get(f.id)?.caption ?? null,
          entities: captionOf.get(f.id)?.entities ?? null,
          ocr_text: ocrOf.get(f.id) ?? null,
        })),
    })),
    segments: segments.map((s) => ({
      id: s.id,
      idx: s.idx,
      t_start: s.tStart,
      t_end: s.tEnd,
      text: s.text,
      speaker: s.speaker ?? null,
    })),
    chapters: chapters.map((c) => ({
      id: c.id,
      idx: c.idx,
      t_start: c.tStart,
      t_end: c.tEnd,
      title: c.title,
      summary: c.summary,
    })),
    chapter_lines: chapterLines(chapters.map((c) => ({ t_start: c.tStart, title: c.title }))),
    annotations: annotations.map((a) => ({
      id: a.id,
      stage: a.stage,
      kind: a.kind,
      t_start: a.tStart,
      t_end: a.tEnd,
      text: a.text,
      data: a.data ?? null,
    })),
    summary: summary
      ? {
          text: summary.summary,
          key_points: summary.keyPoints.map((k) => ({ text: k.text, t_start: k.tStart, t_end: k.tEnd })),
          tags: summary.tags,
          model: summary.model,
        }
      : null,
    usage: Object.fromEntries(
      runs.filter((r) => r.usage && Object.keys(r.usage).length > 0).map((r) => [r.stage, r.usage!]),
    ),
  };
}

/** mm:ss, or h:mm:ss past an hour (YouTube-style chapter and transcript times). */
export function clockTime(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, '0');
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

/** `00:00 Title` per chapter, as YouTube reads chapters from a description (the first at 00:00). */
export function chapterLines(chapters: readonly { t_start: number; title: string }[]): string[] {
  return chapters.map((c) => `${clockTime(c.t_start)} ${c.title.replace(/\s+/g, ' ').trim()}`);
}

const speakerPrefix = (speaker: string | null) => (speaker ? `${speakerName(speaker)}: ` : '');

/** Markdown report: the transcript by scene, each scene's keyframes (image links) and captions. */
export function exportToMarkdown(doc: VideoExport): string {
  const lines: string[] = [`# Video ${doc.video.id}`, ''];
  lines.push(
    `- status: ${doc.video.status}${doc.video.duration_sec ? `, ${doc.video.duration_sec.toFixed(1)} s` : ''}`,
  );
  if (doc.video.original_path) lines.push(`- source: \`${doc.video.original_path}\``);
  lines.push(`- ${doc.scenes.length} scenes, ${doc.segments.length} transcript segments`, '');
  if (doc.summary) {
    lines.push('## Summary', '', doc.summary.text, '');
    for (const k of doc.summary.key_points) lines.push(`- **${clockTime(k.t_start)}–${clockTime(k.t_end)}** ${k.text}`);
    if (doc.summary.key_points.length > 0) lines.push('');
    if (doc.summary.tags.length > 0) lines.push(`Tags: ${doc.summary.tags.join(', ')}`, '');
  }
  if (doc.chapter_lines.length > 0) {
    // A plain block, so the lines can be copied into a video description as they are.
    lines.push('## Chapters', '', '```text', ...doc.chapter_lines, '```', '');
  }
  const segmentsIn = (start: number, end: number, last: boolean) =>
    doc.segments.filter((s) => s.t_start >= start && (s.t_start < end || (last && s.t_start <= end)));
  const placed = new Set<string>();
  doc.scenes.forEach((scene, i) => {
    lines.push(`## Scene ${i + 1} · ${clockTime(scene.t_start)}–${clockTime(scene.t_end)}`, '');
    for (const f of scene.frames) {
      // Paths in the report are relative to DATA_DIR, like everything else videoqa shows.
      lines.push(
        `![frame at ${clockTime(f.t)}](${encodeURI(f.path)})${f.duplicate_of ? ` (repeats ${f.duplicate_of})` : ''}`,
      );
      if (f.caption) lines.push('', `> ${f.caption.replace(/\n+/g, ' ')}`);
      if (f.ocr_text) lines.push('', `> On screen: ${f.ocr_text.replace(/\s+/g, ' ')}`);
      lines.push('');
    }
    for (const s of segmentsIn(scene.t_start, scene.t_end, i === doc.scenes.length - 1)) {
      placed.add(s.id);
      lines.push(`**${clockTime(s.t_start)}** ${speakerPrefix(s.speaker)}${s.text}  `);
    }
    lines.push('');
  });
  const rest = doc.segments.filter((s) => !placed.has(s.id));
  if (rest.length > 0) {
    lines.push(doc.scenes.length > 0 ? '## Transcript outside the scenes' : '## Transcript', '');
    for (const s of rest) lines.push(`**${clockTime(s.t_start)}** ${speakerPrefix(s.speaker)}${s.text}  `);
    lines.push('');
  }
  return `${lines.join('\n').trimEnd()}\n`;
}

/** The export in one format, as text. */
export async function exportVideo(store: Store, videoId: string, format: ExportFormat): Promise<string> {
  const doc = await buildVideoExport(store, videoId);
  const timed = doc.segments.map((s) => ({ tStart: s.t_start, tEnd: s.t_end, text: s.text, speaker: s.speaker }));
  switch (format) {
    case 'json':
      return `${JSON.stringify(doc, null, 2)}\n`;
    case 'srt':
      return toSrt(timed);
    case 'vtt':
      return toVtt(timed);
    case 'md':
      return exportToMarkdown(doc);
  }
}
