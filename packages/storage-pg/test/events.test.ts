import { sleep } from '@videoqa/core';
import {
  claimJob,
  completeJob,
  enqueueJob,
  failJob,
  listenEvents,
  PgStore,
  type VideoqaEvent,
} from '@videoqa/storage-pg';
import type { TestDb } from '@videoqa/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_KINDS, testDb } from './helpers.ts';

/** Waits (bounded) until `check` holds for the events received so far. */
async function until(events: VideoqaEvent[], check: (e: VideoqaEvent[]) => boolean, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check(events)) {
    if (Date.now() > end) throw new Error(`timed out; events so far: ${events.map((e) => e.type).join(', ')}`);
    await sleep(20);
  }
}

describe.each(DB_KINDS)('video events on NOTIFY (%s)', (kind) => {
  let t: TestDb;
  beforeAll(async () => {
    t = await testDb(kind);
  });
  afterAll(async () => t.close());

  it('announces a job from enqueue through its stages to ready, in commit order, with increasing ids', async () => {
    const events: VideoqaEvent[] = [];
    const stop = await listenEvents(t.db, (e) => events.push(e));
    const store = new PgStore(t.db);
    await store.saveVideo({ id: 'ev1', originalPath: 'uploads/ev1_a.mp4', status: 'pending' });
    await enqueueJob(t.db, { videoId: 'ev1', jobId: 'job-ev1' });
    const job = await claimJob(t.db, { workerId: 'w1', leaseMs: 60_000, defaultMaxAttempts: 3 });
    expect(job?.id).toBe('job-ev1');
    const started = new Date();
    await store.saveStageRun({ videoId: 'ev1', stage: 'normalize', status: 'running', startedAt: started });
    await store.saveStageRun({
      videoId: 'ev1',
      stage: 'normalize',
      status: 'done',
      startedAt: started,
      finishedAt: new Date(),
    });
    // The same status written again (an upsert) is not a change and is not announced.
    await store.saveStageRun({
      videoId: 'ev1',
      stage: 'normalize',
      status: 'done',
      startedAt: started,
      finishedAt: new Date(),
    });
    await store.saveStageRun({
      videoId: 'ev1',
      stage: 'transcribe',
      status: 'skipped',
      startedAt: started,
      finishedAt: new Date(),
    });
    await completeJob(t.db, { jobId: 'job-ev1', workerId: 'w1' });
    await until(events, (e) => e.some((x) => x.type === 'video.ready'));
    await stop();

    const types = events.map((e) => e.type);
    // The claim and completion each change a job and its video in one statement; between
    // statements, the order is the order of the commits.
    expect(types.slice(0, 2)).toEqual(['video.created', 'job.queued']);
    expect(types.slice(2, 4).sort()).toEqual(['job.claimed', 'video.processing']);
    expect(types.slice(4, 7)).toEqual(['stage.started', 'stage.done', 'stage.skipped']);
    expect(types.slice(7).sort()).toEqual(['job.done', 'video.ready']);
    expect(events.find((e) => e.type === 'stage.done')).toMatchObject({
      video_id: 'ev1',
      stage: 'normalize',
      status: 'done',
      job_id: null,
    });
    expect(events.find((e) => e.type === 'job.claimed')).toMatchObject({
      video_id: 'ev1',
      job_id: 'job-ev1',
      status: 'processing',
    });
    const ids = events.map((e) => e.id);
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('announces a failure with its error clipped, and nothing after the listener stops', async () => {
    const events: VideoqaEvent[] = [];
    const stop = await listenEvents(t.db, (e) => events.push(e));
    await new PgStore(t.db).saveVideo({ id: 'ev2', originalPath: 'uploads/ev2_a.mp4', status: 'pending' });
    await enqueueJob(t.db, { videoId: 'ev2', jobId: 'job-ev2', maxAttempts: 1 });
    await claimJob(t.db, { workerId: 'w1', leaseMs: 60_000, defaultMaxAttempts: 1 });
    await failJob(t.db, {
      jobId: 'job-ev2',
      workerId: 'w1',
      message: `broken ${'x'.repeat(20_000)}`,
      stack: null,
      retryable: false,
      retryDelayMs: 0,
      defaultMaxAttempts: 1,
    });
    await until(events, (e) => e.some((x) => x.type === 'video.failed'));
    await stop();
    const failed = events.find((e) => e.type === 'job.failed')!;
    expect(failed).toMatchObject({ video_id: 'ev2', job_id: 'job-ev2', status: 'failed' });
    expect(failed.error!.startsWith('broken x')).toBe(true);
    expect(failed.error!.length).toBe(500);
    const seen = events.length;
    await new PgStore(t.db).saveVideo({ id: 'ev3', originalPath: 'uploads/ev3_a.mp4', status: 'pending' });
    // A marker on a second listener shows the insert was announced, and the stopped one did not get it.
    const marker: VideoqaEvent[] = [];
    const stop2 = await listenEvents(t.db, (e) => marker.push(e));
    await new PgStore(t.db).updateVideo('ev3', { status: 'processing' });
    await until(marker, (e) => e.some((x) => x.video_id === 'ev3'));
    await stop2();
    expect(events).toHaveLength(seen);
  });
});
