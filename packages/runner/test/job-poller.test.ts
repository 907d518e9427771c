import { enqueueJob } from '@videoqa/storage-pg';
import { JobPoller } from '@videoqa/runner';
import { idleDelayMs } from '../src/job-poller.ts';
import { openTestDb, type TestDb, type TestDbKind } from '@videoqa/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

// The poll loop of the Postgres job source (runner); the claim it runs is storage-pg's SQL (claimJob).
const DB_KINDS: TestDbKind[] = ['postgres', 'pglite'];
const claimOpts = (workerId = 'w1', leaseMs = 60_000) => ({ workerId, leaseMs, defaultMaxAttempts: 3 });
const testDb = (kind: TestDbKind) => openTestDb(kind, inject('pgUrl'));

describe.each(DB_KINDS)('job poller on %s', (kind) => {
  let t: TestDb;
  beforeAll(async () => {
    t = await testDb(kind);
  });
  afterAll(async () => t.close());

  it('an idle poller issues about one claim per wait, doubling, and wakes at once on NOTIFY', async () => {
    const poller = new JobPoller({ db: t.db, claim: claimOpts('poller'), pollMs: 50, maxPollMs: 200 });
    await poller.start();
    const idle = new AbortController();
    const idleFor = 1_000;
    setTimeout(() => idle.abort(), idleFor);
    expect(await poller.next(idle.signal)).toBeNull();
    // waits 50, 100, 200, 200, ... → at most 1 + 2 + idleFor/200 claims; never more than one per poll interval
    expect(poller.claimQueries).toBeGreaterThanOrEqual(3);
    expect(poller.claimQueries).toBeLessThanOrEqual(1 + idleFor / 50);
    expect(poller.claimQueries).toBeLessThanOrEqual(3 + idleFor / 200);

    // With a one-hour poll interval only NOTIFY can deliver this job before the test times out.
    const slow = new JobPoller({ db: t.db, claim: claimOpts('listener'), pollMs: 3_600_000, maxPollMs: 3_600_000 });
    await slow.start();
    const waiting = slow.next(new AbortController().signal);
    await new Promise((r) => setTimeout(r, 200));
    await t.db.query(`INSERT INTO jobs (id, video_id) VALUES ('notified', 'v9')`);
    const job = await waiting;
    expect(job?.id).toBe('notified');
    expect(slow.claimQueries).toBe(2);
    await slow.stop();
    await poller.stop();
  });
});

describe.each(DB_KINDS)('waking for jobs that send no NOTIFY, on %s', (kind) => {
  it('an idle poller with an hour-long interval claims a retry when its run_at passes, and a job whose lease expired', async () => {
    const t = await testDb(kind);
    try {
      await enqueueJob(t.db, { videoId: 'later', jobId: 'j-later', runAt: new Date(Date.now() + 300) });
      const poller = new JobPoller({ db: t.db, claim: claimOpts('sleepy'), pollMs: 3_600_000, maxPollMs: 3_600_000 });
      await poller.start();
      // only the wake-up at run_at can deliver these before the test times out
      expect((await poller.next(new AbortController().signal))?.id).toBe('j-later');
      await t.db.query(
        `UPDATE jobs SET locked_until = now() + interval '300 milliseconds', locked_by = 'dead' WHERE id = 'j-later'`,
      );
      expect((await poller.next(new AbortController().signal))?.id).toBe('j-later');
      await poller.stop();
    } finally {
      await t.close();
    }
  });
});

describe('idle backoff schedule', () => {
  it('doubles from WORKER_POLL_MS up to the cap', () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => idleDelayMs(n, 1500, 15_000))).toEqual([
      1500, 3000, 6000, 12_000, 15_000, 15_000,
    ]);
  });
});
