import { LeaseLostError } from '@videoqa/core';
import {
  claimJob,
  completeJob,
  enqueueJob,
  failJob,
  getJob,
  peekJobs,
  queueStats,
  releaseJob,
  renewLease,
  retryJob,
  type Db,
} from '@videoqa/storage-pg';
import type { TestDb } from '@videoqa/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DB_KINDS, testDb } from './helpers.ts';
import { PgStore } from '../src/pg-store.ts';

const claimOpts = (workerId = 'w1', leaseMs = 60_000) => ({ workerId, leaseMs, defaultMaxAttempts: 3 });
const videoStatus = async (db: Db, id: string) =>
  (await db.query<{ status: string }>('SELECT status FROM videos WHERE id = $1', [id])).rows[0]?.status;
/** Moves a job's run_at / locked_until into the past, as if time had passed. */
const age = (db: Db, jobId: string, column: 'run_at' | 'locked_until', seconds: number) =>
  db.query(`UPDATE jobs SET ${column} = now() - $2 * interval '1 second' WHERE id = $1`, [jobId, seconds]);

describe.each(DB_KINDS)('job queue on %s', (kind) => {
  let t: TestDb;
  beforeAll(async () => {
    t = await testDb(kind);
  });
  afterAll(async () => t.close());
  beforeEach(async () => {
    await t.db.query('DELETE FROM jobs');
    await t.db.query('DELETE FROM videos');
  });

  it('claims the oldest due job first, and nothing that is not due', async () => {
    await enqueueJob(t.db, { videoId: 'v1', jobId: 'j-late', runAt: new Date(Date.now() + 3_600_000) });
    await enqueueJob(t.db, { videoId: 'v2', jobId: 'j-new' });
    await enqueueJob(t.db, { videoId: 'v3', jobId: 'j-old' });
    await age(t.db, 'j-old', 'run_at', 60);
    expect((await claimJob(t.db, claimOpts()))?.id).toBe('j-old');
    expect((await claimJob(t.db, claimOpts()))?.id).toBe('j-new');
    expect(await claimJob(t.db, claimOpts())).toBeNull();
  });

  it('completes a job and readies its video, only for the lease holder', async () => {
    await enqueueJob(t.db, { videoId: 'v1', jobId: 'j1', originalPath: 'uploads/v1_a.mp4' });
    expect(await videoStatus(t.db, 'v1')).toBe('pending');
    const job = (await claimJob(t.db, claimOpts('w1')))!;
    expect(await videoStatus(t.db, 'v1')).toBe('processing'); // the claim's doing, not the worker's
    expect(job.lockedUntil!.getTime()).toBeGreaterThan(Date.now() + 50_000);
    await expect(completeJob(t.db, { jobId: 'j1', workerId: 'intruder' })).rejects.toBeInstanceOf(LeaseLostError);
    await expect(renewLease(t.db, { jobId: 'j1', workerId: 'intruder', leaseMs: 1000 })).rejects.toBeInstanceOf(
      LeaseLostError,
    );
    await completeJob(t.db, { jobId: 'j1', workerId: 'w1' });
    expect(await getJob(t.db, 'j1')).toMatchObject({
      status: 'done',
      lockedBy: null,
      transcription: null,
      attempts: 1,
    });
    expect(await videoStatus(t.db, 'v1')).toBe('ready');
    await expect(completeJob(t.db, { jobId: 'j1', workerId: 'w1' })).rejects.toBeInstanceOf(LeaseLostError);
  });

  it("builds a transcription job's text from the stored segments, in order, in the statement that completes it", async () => {
    await enqueueJob(t.db, { videoId: 'v1', jobId: 'jt', kind: 'transcribe', originalPath: 'uploads/v1_a.mp4' });
    await new PgStore(t.db).replaceSegments('v1', [
      { id: 's2', videoId: 'v1', idx: 1, tStart: 2, tEnd: 4, text: 'world' },
      { id: 's1', videoId: 'v1', idx: 0, tStart: 0, tEnd: 2, text: 'hello' },
    ]);
    await claimJob(t.db, claimOpts('w1'));
    await completeJob(t.db, { jobId: 'jt', workerId: 'w1' });
    expect(await getJob(t.db, 'jt')).toMatchObject({ status: 'done', transcription: 'hello world' });
  });

  it('retries a retryable failure after a backoff, keeping the video processing', async () => {
    await enqueueJob(t.db, { videoId: 'v1', jobId: 'j1' });
    await claimJob(t.db, claimOpts());
    const outcome = await failJob(t.db, {
      jobId: 'j1',
      workerId: 'w1',
      message: 'OpenAI API error (429)',
      stack: 'Error: at x',
      retryable: true,
      retryDelayMs: 30_000,
      defaultMaxAttempts: 3,
    });
    expect(outcome).toBe('retry');
    const job = await getJob(t.db, 'j1');
    expect(job).toMatchObject({
      status: 'pending',
      error: 'OpenAI API error (429)',
      errorStack: 'Error: at x',
      lockedBy: null,
      attempts: 1,
    });
    // run_at and updated_at come from the same statement's now(): exactly the backoff apart, on any machine
    expect(job.runAt.getTime() - job.updatedAt.getTime()).toBe(30_000);
    expect(await videoStatus(t.db, 'v1')).toBe('processing');
    // not due yet
    expect(await claimJob(t.db, claimOpts())).toBeNull();
    await age(t.db, 'j1', 'run_at', 1);
    expect((await claimJob(t.db, claimOpts()))?.attempts).toBe(2);
  });

  it('fails for good after max attempts', async () => {
    await enqueueJob(t.db, { videoId: 'v1', jobId: 'j1', maxAttempts: 2 });
    for (let attempt = 1; attempt <= 2; attempt++) {
      const job = (await claimJob(t.db, claimOpts()))!;
      expect(job.attempts).toBe(attempt);
      const outcome = await failJob(t.db, {
        jobId: 'j1',
        workerId: 'w1',
        message: `boom ${attempt}`,
        retryable: true,
        retryDelayMs: 0,
        defaultMaxAttempts: 3,
      });
      expect(outcome).toBe(attempt < 2 ? 'retry' : 'failed');
    }
    expect(await getJob(t.db, 'j1')).toMatchObject({ status: 'failed', error: 'boom 2', attempts: 2 });
    expect(await videoStatus(t.db, 'v1')).toBe('failed');
    expect(await claimJob(t.db, claimOpts())).toBeNull();
  });

  it('uses WORKER_MAX_ATTEMPTS for jobs enqueued without max_attempts', async () => {
    await t.db.query(`INSERT INTO jobs (id, video_id) VALUES ('j1', 'v1')`);
    await claimJob(t.db, { ...claimOpts(), defaultMaxAttempts: 1 });
    expect(
      await failJob(t.db, {
        jobId: 'j1',
        workerId: 'w1',
        message: 'x',
        retryable: true,
        retryDelayMs: 0,
        defaultMaxAttempts: 1,
      }),
    ).toBe('failed');
  });

  it('fails a non-retryable error at once', async () => {
    await enqueueJob(t.db, { videoId: 'v1', jobId: 'j1' });
    await claimJob(t.db, claimOpts());
    expect(
      await failJob(t.db, {
        jobId: 'j1',
        workerId: 'w1',
        message: 'Cannot process: file is empty',
        retryable: false,
        retryDelayMs: 0,
        defaultMaxAttempts: 3,
      }),
    ).toBe('failed');
    expect(await getJob(t.db, 'j1')).toMatchObject({ status: 'failed', attempts: 1 });
    expect(await videoStatus(t.db, 'v1')).toBe('failed');
  });

  it('retries a failed job by hand, and refuses other states and unknown ids', async () => {
    await enqueueJob(t.db, { videoId: 'v1', jobId: 'j1' });
    await claimJob(t.db, claimOpts());
    await expect(retryJob(t.db, 'j1')).rejects.toMatchObject({ code: 'INVALID_STATE' });
    await failJob(t.db, {
      jobId: 'j1',
      workerId: 'w1',
      message: 'bad',
      retryable: false,
      retryDelayMs: 0,
      defaultMaxAttempts: 3,
    });
    const job = await retryJob(t.db, 'j1');
    expect(job).toMatchObject({ status: 'pending', attempts: 0, error: null });
    expect(await videoStatus(t.db, 'v1')).toBe('pending');
    expect((await claimJob(t.db, claimOpts()))?.id).toBe('j1');
    await expect(retryJob(t.db, 'nope')).rejects.toMatchObject({ code: 'JOB_NOT_FOUND' });
  });

  it('re-claims a job whose lease expired, and the old holder can no longer touch it', async () => {
    await enqueueJob(t.db, { videoId: 'v1', jobId: 'j1' });
    await claimJob(t.db, claimOpts('dead-worker', 60_000));
    expect(await claimJob(t.db, claimOpts('w2'))).toBeNull();
    await age(t.db, 'j1', 'locked_until', 1);
    const job = (await claimJob(t.db, claimOpts('w2')))!;
    expect(job).toMatchObject({ id: 'j1', lockedBy: 'w2', attempts: 2 });
    await expect(
      failJob(t.db, {
        jobId: 'j1',
        workerId: 'dead-worker',
        message: 'late',
        retryable: true,
        retryDelayMs: 0,
        defaultMaxAttempts: 3,
      }),
    ).rejects.toBeInstanceOf(LeaseLostError);
    await renewLease(t.db, { jobId: 'j1', workerId: 'w2', leaseMs: 120_000 });
    expect((await getJob(t.db, 'j1')).lockedUntil!.getTime()).toBeGreaterThan(Date.now() + 100_000);
  });

  it('fails an expired job that has no attempts left instead of running it again', async () => {
    await enqueueJob(t.db, { videoId: 'v1', jobId: 'j1', maxAttempts: 1 });
    await claimJob(t.db, claimOpts('dead-worker'));
    await age(t.db, 'j1', 'locked_until', 1);
    expect(await claimJob(t.db, claimOpts('w2'))).toBeNull();
    expect(await getJob(t.db, 'j1')).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(/lease expired after 1 attempt/),
    });
    expect(await videoStatus(t.db, 'v1')).toBe('failed');
  });

  it('releases a job on shutdown without counting the attempt', async () => {
    await enqueueJob(t.db, { videoId: 'v1', jobId: 'j1' });
    await claimJob(t.db, claimOpts());
    expect(await releaseJob(t.db, { jobId: 'j1', workerId: 'w2' })).toBe(false);
    expect(await releaseJob(t.db, { jobId: 'j1', workerId: 'w1' })).toBe(true);
    expect(await getJob(t.db, 'j1')).toMatchObject({ status: 'pending', attempts: 0, lockedBy: null });
    expect((await claimJob(t.db, claimOpts('w2')))?.attempts).toBe(1);
  });

  it('reports stats and peeks at pending jobs', async () => {
    await enqueueJob(t.db, { videoId: 'v1', jobId: 'j1' });
    await enqueueJob(t.db, { videoId: 'v2', jobId: 'j2' });
    await enqueueJob(t.db, { videoId: 'v3', jobId: 'j3', runAt: new Date(Date.now() + 600_000) });
    await age(t.db, 'j1', 'run_at', 30);
    await age(t.db, 'j2', 'run_at', 10);
    await claimJob(t.db, claimOpts('w1'));
    const stats = await queueStats(t.db);
    expect(stats.jobs).toEqual({ pending: 2, processing: 1, done: 0, failed: 0, total: 3 });
    expect(stats.videos).toEqual({ pending: 2, processing: 1, ready: 0, failed: 0, total: 3 }); // claimed: its video is processing
    expect(stats.oldestPendingAgeSec).toBeGreaterThanOrEqual(9);
    expect(stats.oldestPendingAgeSec).toBeLessThan(60);
    expect(stats.scheduledRetries).toBe(1);
    expect(stats.processing).toEqual([
      expect.objectContaining({ jobId: 'j1', videoId: 'v1', lockedBy: 'w1', attempts: 1 }),
    ]);
    const peek = await peekJobs(t.db, 10);
    expect(peek.pending).toBe(2);
    expect(peek.jobs.map((j) => j.id)).toEqual(['j2', 'j3']);
  });

  it('refuses unsafe ids when enqueuing', async () => {
    await expect(enqueueJob(t.db, { videoId: '../etc/passwd' })).rejects.toMatchObject({ code: 'INVALID_ID' });
    await expect(enqueueJob(t.db, { videoId: 'ok', jobId: 'bad id' })).rejects.toMatchObject({ code: 'INVALID_ID' });
  });
});
