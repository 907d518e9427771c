import { copyFileSync, existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createVideoqa, USAGE_KINDS, type Videoqa } from '@videoqa/runner';
import { acknowledgeCancel, claimJob, enqueueJob, getJob, videoTables } from '@videoqa/storage-pg';
import { createTestDatabase, FakeOpenAIServer, makeVideo } from '@videoqa/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { tempDir } from './helpers.ts';

const SENTENCES = ['Welcome to the garden tour.', 'Here the tomatoes grow in rows.', 'Thank you for visiting.'];
let fake: FakeOpenAIServer;
let video: Awaited<ReturnType<typeof makeVideo>>;
let pgDb: { url: string; drop: () => Promise<void> };
beforeAll(async () => {
  fake = await FakeOpenAIServer.start({ transcriptScript: SENTENCES });
  pgDb = await createTestDatabase(inject('pgUrl'));
  video = await makeVideo({
    shots: [
      { source: 'testsrc2', seconds: 3 },
      { source: 'smptebars', seconds: 3 },
    ],
    width: 640,
    height: 360,
    audio: { kind: 'speech', sentences: SENTENCES, gapSec: 1 },
  });
});
afterAll(async () => {
  await fake.close();
  await pgDb.drop();
});

const size = (p: string) => statSync(p).size;
const dirBytes = (d: string) => readdirSync(d).reduce((s, n) => s + size(join(d, n)), 0);

/** Rows naming the video in every table that has a video_id, and its videos row. */
async function rowsOf(vq: Videoqa, videoId: string): Promise<number> {
  let n = 0;
  for (const table of await videoTables(vq.db))
    n += (await vq.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table} WHERE video_id = $1`, [videoId]))
      .rows[0]!.n;
  return (
    n + (await vq.db.query<{ n: number }>('SELECT count(*)::int AS n FROM videos WHERE id = $1', [videoId])).rows[0]!.n
  );
}

/** A video row with an upload file, not processed (what delete does with the upload does not need the pipeline). */
function placeVideo(vq: Videoqa, dataDir: string, id: string, rel = `uploads/${id}_clip.mp4`) {
  mkdirSync(join(dataDir, rel, '..'), { recursive: true });
  copyFileSync(video.path, join(dataDir, rel));
  return vq.db.query(`INSERT INTO videos (id, original_path, status) VALUES ($1, $2, 'ready')`, [id, rel]);
}

describe.each(['postgres', 'pglite'] as const)('video lifecycle through the library client on %s', (kind) => {
  let vq: Videoqa;
  let dataDir: string;
  beforeAll(async () => {
    dataDir = tempDir('vq-lifecycle-');
    vq = await createVideoqa({
      dataDir,
      databaseUrl: kind === 'postgres' ? pgDb.url : null,
      config: { openaiApiKey: fake.apiKey, openaiBaseUrl: fake.url, retainUploadsDays: 7, retainNormalizedDays: 30 },
    });
    await vq.process(video.path, { videoId: 'garden' }).orThrow();
  });
  afterAll(async () => vq.close());

  it('du: bytes per kind are the sizes on disk, database rows are counted, totals add up', async () => {
    const u = await vq.usage('garden');
    expect(u.videos).toHaveLength(1);
    const g = u.videos[0]!;
    const doc = (await vq.get('garden'))!;
    expect(g.bytes.upload).toBe(size(join(dataDir, doc.video.original_path!)));
    expect(g.bytes.normalized).toBe(size(join(dataDir, 'processed/garden/normalized.mp4')));
    expect(g.bytes.audio).toBe(size(join(dataDir, 'processed/garden/audio.wav')));
    expect(g.bytes.frames).toBe(dirBytes(join(dataDir, 'frames/garden')));
    expect(g.bytes.subtitles).toBe(size(join(dataDir, 'subs/garden.srt')));
    expect(g.bytes.other).toBe(dirBytes(join(dataDir, 'processed/garden')) - g.bytes.normalized - g.bytes.audio);
    for (const k of ['upload', 'normalized', 'audio', 'frames', 'subtitles', 'database'] as const)
      expect(g.bytes[k], k).toBeGreaterThan(0);
    expect(g.database_rows).toMatchObject({
      videos: { rows: 1 },
      transcript_segments: { rows: 3 },
      scenes: { rows: 2 },
      frames: { rows: 2 },
      frame_captions: { rows: 2 },
    });
    expect(g.bytes.database).toBe(Object.values(g.database_rows).reduce((s, r) => s + r.bytes, 0));
    expect(g.total).toBe(USAGE_KINDS.reduce((s, k) => s + g.bytes[k], 0));
    const all = await vq.usage();
    expect(all.totals.total).toBe(all.videos.reduce((s, v) => s + v.total, 0));
    expect(all.database_size_bytes).toBeGreaterThan(all.totals.database);
    await expect(vq.usage('nope')).rejects.toMatchObject({ code: 'VIDEO_NOT_FOUND' });
  });

  it('retention removes the upload, then the normalized media, and search, ask and the export keep working', async () => {
    const before = (await vq.get('garden'))!;
    const upload = join(dataDir, before.video.original_path!);
    expect(before.video).toMatchObject({ upload_removed_at: null, normalized_removed_at: null });
    expect((await vq.gc()).removed).toEqual([]); // just ready: nothing is due

    // The clock: the video became ready 10 days ago (past 7 for uploads, not 30 for media).
    await vq.db.query(`UPDATE videos SET ready_at = now() - interval '10 days' WHERE id = 'garden'`);
    const first = await vq.gc();
    expect(first.removed).toEqual([
      { video_id: 'garden', kind: 'upload', files: [before.video.original_path], bytes: expect.any(Number) },
    ]);
    expect(existsSync(upload)).toBe(false);
    expect(existsSync(join(dataDir, 'processed/garden/normalized.mp4'))).toBe(true);
    expect((await vq.gc()).removed).toEqual([]); // once

    await vq.db.query(`UPDATE videos SET ready_at = now() - interval '31 days' WHERE id = 'garden'`);
    const second = await vq.gc();
    expect(second.removed).toEqual([
      { video_id: 'garden', kind: 'normalized', files: ['processed/garden'], bytes: expect.any(Number) },
    ]);
    expect(second.bytes_freed).toBeGreaterThan(0);
    expect(existsSync(join(dataDir, 'processed/garden'))).toBe(false);

    // what stays: subtitles, keyframes, rows and vectors
    expect(existsSync(join(dataDir, 'subs/garden.srt'))).toBe(true);
    expect(readdirSync(join(dataDir, 'frames/garden')).length).toBe(2);
    const after = (await vq.get('garden'))!;
    expect(after.video.status).toBe('ready');
    expect(after.video.upload_removed_at).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(after.video.normalized_removed_at).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(after.segments.map((s) => s.text)).toEqual(SENTENCES);
    const hits = await vq.search('tomatoes grow');
    expect(hits[0]).toMatchObject({ videoId: 'garden', kind: 'segment', text: SENTENCES[1] });
    expect(hits[0]!.ranks.vector).toBeGreaterThan(0);
    expect((await vq.ask('Where do the tomatoes grow?', { videoId: 'garden' })).found).toBe(true);
    const u = (await vq.usage('garden')).videos[0]!;
    expect(u).toMatchObject({
      bytes: { upload: 0, normalized: 0, audio: 0 },
      upload_removed_at: after.video.upload_removed_at,
    });
    expect(u.bytes.frames).toBeGreaterThan(0);
  });

  it('delete removes every row and file of the video, nothing of another, and a second delete says it is already gone', async () => {
    mkdirSync(join(dataDir, 'frames/neighbour'), { recursive: true });
    writeFileSync(join(dataDir, 'frames/neighbour/scene_000.jpg'), 'x');
    expect(await rowsOf(vq, 'garden')).toBeGreaterThan(10);
    const r = await vq.delete('garden');
    expect(r).toMatchObject({ video_id: 'garden', deleted: true, cancelled_jobs: [] });
    expect(r.rows).toMatchObject({
      videos: 1,
      transcript_segments: 3,
      scenes: 2,
      frames: 2,
      frame_captions: 2,
      stage_runs: expect.any(Number),
    });
    expect(r.files.sort()).toEqual(['frames/garden', 'subs/garden.srt']); // upload and processed/ went to retention already
    expect(await rowsOf(vq, 'garden')).toBe(0);
    expect(existsSync(join(dataDir, 'frames/garden'))).toBe(false);
    expect(existsSync(join(dataDir, 'subs/garden.srt'))).toBe(false);
    expect(existsSync(join(dataDir, 'frames/neighbour/scene_000.jpg'))).toBe(true);
    expect(await vq.search('tomatoes grow')).toEqual([]);
    expect(await vq.get('garden')).toBeNull();

    expect(await vq.delete('garden')).toEqual({
      video_id: 'garden',
      deleted: false,
      rows: {},
      files: [],
      bytes_freed: 0,
      cancelled_jobs: [],
    });
    await expect(vq.delete('../etc')).rejects.toMatchObject({ code: 'INVALID_ID' });
  });

  it('delete removes its own upload copy, keeps it with keepUpload, and never removes a file outside uploads/', async () => {
    await placeVideo(vq, dataDir, 'drop');
    await placeVideo(vq, dataDir, 'keep');
    await placeVideo(vq, dataDir, 'mine', 'mine/clip.mp4');
    expect((await vq.delete('drop')).files).toEqual(['uploads/drop_clip.mp4']);
    expect(existsSync(join(dataDir, 'uploads/drop_clip.mp4'))).toBe(false);
    expect((await vq.delete('keep', { keepUpload: true })).files).toEqual([]);
    expect(existsSync(join(dataDir, 'uploads/keep_clip.mp4'))).toBe(true);
    expect((await vq.delete('mine')).deleted).toBe(true);
    expect(existsSync(join(dataDir, 'mine/clip.mp4'))).toBe(true);
  });

  it('delete refuses while a job of the video runs; force cancels it and waits for the worker to let go', async () => {
    await placeVideo(vq, dataDir, 'busy');
    await enqueueJob(vq.db, { videoId: 'busy', jobId: `busy-job-${kind}` });
    const held = await claimJob(vq.db, { workerId: 'test-worker', leaseMs: 600_000, defaultMaxAttempts: 3 });
    expect(held?.id).toBe(`busy-job-${kind}`);
    await expect(vq.delete('busy')).rejects.toMatchObject({ code: 'VIDEO_BUSY' });
    expect(existsSync(join(dataDir, 'uploads/busy_clip.mp4'))).toBe(true);

    const forced = vq.delete('busy', { force: true });
    // The "worker" sees the cancel (as its lease renewal would) and lets go; only then are rows and files removed.
    for (;;) {
      if ((await getJob(vq.db, held!.id)).status === 'cancelled') break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(existsSync(join(dataDir, 'uploads/busy_clip.mp4'))).toBe(true);
    expect(await acknowledgeCancel(vq.db, { jobId: held!.id, workerId: 'test-worker' })).toBe(true);
    const r = await forced;
    expect(r).toMatchObject({ deleted: true, cancelled_jobs: [held!.id], files: ['uploads/busy_clip.mp4'] });
    expect(await rowsOf(vq, 'busy')).toBe(0);
  });

  it('cancel: a pending job is cancelled and never claimed; a finished or unknown one is refused', async () => {
    await enqueueJob(vq.db, { videoId: 'later', jobId: `later-job-${kind}` });
    expect(await vq.cancel(`later-job-${kind}`)).toEqual({
      job_id: `later-job-${kind}`,
      video_id: 'later',
      status: 'cancelled',
      previous_status: 'pending',
      stopping: false,
    });
    expect(await claimJob(vq.db, { workerId: 'w', leaseMs: 60_000, defaultMaxAttempts: 3 })).toBeNull();
    await expect(vq.cancel('no-such-job')).rejects.toMatchObject({ code: 'JOB_NOT_FOUND' });
    await expect(vq.cancel('bad id!')).rejects.toMatchObject({ code: 'INVALID_ID' });
  });
});
