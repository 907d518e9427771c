import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { JobCancelledError, LeaseLostError } from '@videoqa/core';
import {
  acknowledgeCancel,
  cancelJob,
  claimJob,
  completeJob,
  deleteVideoRows,
  enqueueJob,
  failJob,
  getJob,
  jobStillHeld,
  mediaDueForRemoval,
  PgStore,
  removeMediaIfIdle,
  renewLease,
  videoMediaStates,
  videoRowUsage,
  videoTables,
} from '@videoqa/storage-pg';
import type { TestDb } from '@videoqa/testing';
import { DB_KINDS, testDb } from './helpers.ts';

const claim = (t: TestDb, workerId = 'w1') => claimJob(t.db, { workerId, leaseMs: 60_000, defaultMaxAttempts: 3 });

/** A video with a row in every table that names videos: scenes, frames, captions, OCR, segments, stage runs, a done job. */
async function seedVideo(t: TestDb, id: string): Promise<void> {
  const store = new PgStore(t.db);
  await store.saveVideo({ id, originalPath: `uploads/${id}_clip.mp4`, status: 'ready' });
  await store.replaceScenes(id, [{ id: `${id}_scene_000`, videoId: id, idx: 0, tStart: 0, tEnd: 2 }]);
  await store.replaceFrames(id, [
    {
      id: `${id}_frame_000`,
      videoId: id,
      sceneId: `${id}_scene_000`,
      idx: 0,
      t: 1,
      path: `frames/${id}/scene_000.jpg`,
      phash: '0123456789abcdef',
      duplicateOf: null,
    },
  ]);
  await store.saveCaptions(id, [
    {
      id: `${id}_frame_000_caption`,
      videoId: id,
      frameId: `${id}_frame_000`,
      caption: 'a red square',
      entities: { objects: ['square'] },
    },
  ]);
  await store.replaceOcr(id, [
    {
      id: `${id}_frame_000_ocr`,
      videoId: id,
      frameId: `${id}_frame_000`,
      text: 'HELLO',
      confidence: 90,
      language: 'eng',
    },
  ]);
  await store.replaceSegments(id, [
    { id: `${id}_segment_000`, videoId: id, idx: 0, tStart: 0, tEnd: 1, text: 'hello there' },
    { id: `${id}_segment_001`, videoId: id, idx: 1, tStart: 1, tEnd: 2, text: 'general kenobi' },
  ]);
  await store.saveStageRun({
    videoId: id,
    stage: 'normalize',
    status: 'done',
    startedAt: new Date(),
    finishedAt: new Date(),
    output: {},
    usage: {},
  });
  await t.db.query(`INSERT INTO jobs (id, video_id, status) VALUES ($1, $2, 'done')`, [`${id}-job`, id]);
}

const countRows = async (t: TestDb, videoId: string) => {
  const out: Record<string, number> = {};
  for (const table of [...(await videoTables(t.db)), 'videos']) {
    const res = await t.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ${table} WHERE ${table === 'videos' ? 'id' : 'video_id'} = $1`,
      [videoId],
    );
    out[table] = res.rows[0]!.n;
  }
  return out;
};

describe.each(DB_KINDS)('video lifecycle on %s', (kind) => {
  let t: TestDb;
  beforeAll(async () => {
    t = await testDb(kind);
  });
  afterAll(async () => t.close());
  beforeEach(async () => {
    await t.db.query('DELETE FROM jobs');
    await t.db.query('DELETE FROM videos');
  });

  describe('cancel', () => {
    it('a cancelled pending job is never claimed, and its video is no longer waiting', async () => {
      await t.db.query(`INSERT INTO videos (id, original_path) VALUES ('v1', 'uploads/v1_a.mp4')`);
      await enqueueJob(t.db, { videoId: 'v1', jobId: 'j1' });
      const r = await cancelJob(t.db, 'j1');
      expect(r).toMatchObject({ previous: 'pending', running: false, job: { status: 'cancelled', lockedBy: null } });
      expect(await claim(t)).toBeNull();
      const v = await t.db.query<{ status: string; error: string }>(`SELECT status, error FROM videos WHERE id = 'v1'`);
      expect(v.rows[0]).toEqual({ status: 'failed', error: 'job j1 was cancelled' });
    });

    it('a running job: the renewal says cancelled, the worker cannot complete, fail or retry it, and lets go on acknowledge', async () => {
      await enqueueJob(t.db, { videoId: 'v2', jobId: 'j2' });
      expect((await claim(t))?.id).toBe('j2');
      const r = await cancelJob(t.db, 'j2');
      expect(r).toMatchObject({ previous: 'processing', running: true, job: { status: 'cancelled', lockedBy: 'w1' } });
      expect(await jobStillHeld(t.db, 'j2')).toBe(true);
      await expect(renewLease(t.db, { jobId: 'j2', workerId: 'w1', leaseMs: 60_000 })).rejects.toBeInstanceOf(
        JobCancelledError,
      );
      // Another worker's renewal is a lost lease, not a cancel of its own job.
      await expect(renewLease(t.db, { jobId: 'j2', workerId: 'w2', leaseMs: 60_000 })).rejects.toBeInstanceOf(
        LeaseLostError,
      );
      await expect(completeJob(t.db, { jobId: 'j2', workerId: 'w1' })).rejects.toBeInstanceOf(LeaseLostError);
      await expect(
        failJob(t.db, {
          jobId: 'j2',
          workerId: 'w1',
          message: 'x',
          retryable: true,
          retryDelayMs: 0,
          defaultMaxAttempts: 3,
        }),
      ).rejects.toBeInstanceOf(LeaseLostError);
      expect(await acknowledgeCancel(t.db, { jobId: 'j2', workerId: 'w1' })).toBe(true);
      expect(await jobStillHeld(t.db, 'j2')).toBe(false);
      expect(await getJob(t.db, 'j2')).toMatchObject({ status: 'cancelled', lockedBy: null, attempts: 1 });
      // Not even an expired-lease sweep brings it back.
      await t.db.query(`UPDATE jobs SET locked_until = now() - interval '1 hour' WHERE id = 'j2'`);
      expect(await claim(t, 'w3')).toBeNull();
    });

    it('cancelling twice is fine; a finished or unknown job is refused with a clear code', async () => {
      await enqueueJob(t.db, { videoId: 'v3', jobId: 'j3' });
      await cancelJob(t.db, 'j3');
      expect((await cancelJob(t.db, 'j3')).previous).toBe('cancelled');
      await t.db.query(`INSERT INTO jobs (id, video_id, status) VALUES ('j4', 'v4', 'done')`);
      await expect(cancelJob(t.db, 'j4')).rejects.toMatchObject({ code: 'INVALID_STATE' });
      await expect(cancelJob(t.db, 'nope')).rejects.toMatchObject({ code: 'JOB_NOT_FOUND' });
    });
  });

  describe('delete', () => {
    it('removes every row of the video in one go, and only that video', async () => {
      await seedVideo(t, 'gone');
      await seedVideo(t, 'kept');
      const before = await countRows(t, 'gone');
      for (const table of [
        'videos',
        'scenes',
        'frames',
        'frame_captions',
        'frame_ocr',
        'transcript_segments',
        'stage_runs',
        'jobs',
      ])
        expect(before[table], table).toBeGreaterThan(0);
      const r = await deleteVideoRows(t.db, 'gone');
      expect(r).toMatchObject({ found: true, originalPath: 'uploads/gone_clip.mp4' });
      expect(r.rows).toMatchObject({ videos: 1, jobs: 1, transcript_segments: 2, stage_runs: 1 });
      expect(Object.values(await countRows(t, 'gone')).every((n) => n === 0)).toBe(true);
      expect(await countRows(t, 'kept')).toEqual(before);
      // idempotent
      expect(await deleteVideoRows(t.db, 'gone')).toEqual({ found: false, originalPath: null, rows: {} });
    });

    it('refuses while a job of the video runs (VIDEO_BUSY); a pending job goes with the video and is never claimed', async () => {
      await seedVideo(t, 'busy');
      await enqueueJob(t.db, { videoId: 'busy', jobId: 'busy-run' });
      await claim(t);
      await expect(deleteVideoRows(t.db, 'busy')).rejects.toMatchObject({ code: 'VIDEO_BUSY' });
      expect((await countRows(t, 'busy')).videos).toBe(1);
      // cancelled but not yet let go of: still busy; after the worker acknowledges: deletable
      await cancelJob(t.db, 'busy-run');
      await expect(deleteVideoRows(t.db, 'busy')).rejects.toMatchObject({ code: 'VIDEO_BUSY' });
      await acknowledgeCancel(t.db, { jobId: 'busy-run', workerId: 'w1' });
      await enqueueJob(t.db, { videoId: 'busy', jobId: 'busy-next' });
      expect((await deleteVideoRows(t.db, 'busy')).found).toBe(true);
      expect(await claim(t)).toBeNull();
    });
  });

  describe('retention bookkeeping and row accounting', () => {
    it('ready_at is set when a video becomes ready; media is due after the retention period, once', async () => {
      await seedVideo(t, 'old');
      await t.db.query(`INSERT INTO videos (id, status) VALUES ('young', 'ready'), ('working', 'processing')`);
      const states = await videoMediaStates(t.db);
      expect(states.find((s) => s.id === 'old')?.readyAt).toBeInstanceOf(Date);
      expect(states.find((s) => s.id === 'working')?.readyAt).toBeNull();
      await t.db.query(`UPDATE videos SET ready_at = now() - interval '10 days' WHERE id = 'old'`);
      expect((await mediaDueForRemoval(t.db, 'upload', 7)).map((v) => v.id)).toEqual(['old']);
      expect((await mediaDueForRemoval(t.db, 'normalized', 30)).map((v) => v.id)).toEqual([]);
      let removed = 0;
      expect(await removeMediaIfIdle(t.db, 'old', 'upload', async () => void removed++)).toBe(true);
      expect(removed).toBe(1);
      expect((await mediaDueForRemoval(t.db, 'upload', 7)).map((v) => v.id)).toEqual([]);
      expect((await videoMediaStates(t.db, ['old']))[0]?.uploadRemovedAt).toBeInstanceOf(Date);
      // reprocessing makes it not ready: ready_at is cleared and set again when it is ready again
      await t.db.query(`UPDATE videos SET status = 'processing' WHERE id = 'old'`);
      expect((await videoMediaStates(t.db, ['old']))[0]?.readyAt).toBeNull();
    });

    it('does not remove media of a video with a job waiting', async () => {
      await seedVideo(t, 'requeued');
      await t.db.query(`UPDATE videos SET ready_at = now() - interval '10 days' WHERE id = 'requeued'`);
      await enqueueJob(t.db, { videoId: 'requeued', jobId: 'again' });
      await t.db.query(`UPDATE videos SET status = 'ready' WHERE id = 'requeued'`);
      let removed = 0;
      expect(await removeMediaIfIdle(t.db, 'requeued', 'normalized', async () => void removed++)).toBe(false);
      expect(removed).toBe(0);
    });

    it('row bytes: per table counts are exact and a longer transcript weighs more', async () => {
      await seedVideo(t, 'small');
      await seedVideo(t, 'big');
      const filler = Array.from({ length: 400 }, (_, i) => `word${(i * 7919) % 10007}`).join(' ');
      await new PgStore(t.db).replaceSegments('big', [
        { id: 'big_segment_000', videoId: 'big', idx: 0, tStart: 0, tEnd: 1, text: filler },
      ]);
      const usage = await videoRowUsage(t.db);
      const small = usage.get('small')!;
      const big = usage.get('big')!;
      expect(small.tables).toMatchObject({
        videos: { rows: 1 },
        scenes: { rows: 1 },
        frames: { rows: 1 },
        frame_captions: { rows: 1 },
        frame_ocr: { rows: 1 },
        transcript_segments: { rows: 2 },
        stage_runs: { rows: 1 },
        jobs: { rows: 1 },
      });
      expect(small.bytes).toBe(Object.values(small.tables).reduce((s, x) => s + x.bytes, 0));
      for (const x of Object.values(small.tables)) expect(x.bytes).toBeGreaterThan(0);
      // 400 words of ~8 characters, stored with its tsvector: at least the text's length more.
      expect(big.tables.transcript_segments!.bytes - small.tables.transcript_segments!.bytes).toBeGreaterThan(
        filler.length / 2,
      );
      expect([...(await videoRowUsage(t.db, ['small'])).keys()]).toEqual(['small']);
    });
  });
});
