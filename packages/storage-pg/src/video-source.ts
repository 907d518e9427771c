import type { Queryable } from './db.ts';

/**
 * Records the URL a video was downloaded from, creating the row when it does not
 * exist yet (the enqueue that follows keeps the column).
 */
export async function setVideoSourceUrl(db: Queryable, videoId: string, url: string): Promise<void> {
  await db.query(
    `INSERT INTO videos (id, status, source_url) VALUES ($1, 'pending', $2)
     ON CONFLICT (id) DO UPDATE SET source_url = $2, updated_at = now()`,
    [videoId, url],
  );
}

/** The URL a video was downloaded from, or null. */
export async function getVideoSourceUrl(db: Queryable, videoId: string): Promise<string | null> {
  const res = await db.query<{ source_url: string | null }>(`SELECT source_url FROM videos WHERE id = $1`, [videoId]);
  return res.rows[0]?.source_url ?? null;
}
