import type { VideoSummary } from '@videoqa/storage-pg';

/** The upload's own name: uploads/{id}_{name} stored, {name} shown. */
export const uploadedName = (originalPath: string | null): string | null =>
  originalPath ? originalPath.replace(/^uploads\/[^_]*_/, '') : null;

/** One library entry as JSON (snake_case, paths relative to DATA_DIR): `list --json` and GET /v1/videos. */
export function videoSummaryView(v: VideoSummary) {
  return {
    id: v.id,
    file: uploadedName(v.originalPath),
    original_path: v.originalPath,
    duration_sec: v.durationSec,
    status: v.status,
    counts: v.counts,
    created_at: v.createdAt.toISOString(),
    error: v.error,
  };
}
