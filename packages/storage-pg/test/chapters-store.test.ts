import { chapterId, MemoryStore, segmentId, type ChapterRow, type Store, type VideoSummaryRow } from '@videoqa/core';
import { PgStore } from '@videoqa/storage-pg';
import type { TestDb } from '@videoqa/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DB_KINDS, testDb } from './helpers.ts';

const chapters: ChapterRow[] = [
  {
    id: chapterId('v1', 0),
    videoId: 'v1',
    idx: 0,
    tStart: 0,
    tEnd: 95,
    title: 'Mixing the dough',
    summary: 'Flour, water, yeast and salt are mixed.',
  },
  {
    id: chapterId('v1', 1),
    videoId: 'v1',
    idx: 1,
    tStart: 95,
    tEnd: 240,
    title: 'Baking the loaf',
    summary: 'The loaf bakes until the crust is brown.',
  },
];
const summary: VideoSummaryRow = {
  videoId: 'v1',
  summary: 'A baker makes a loaf of sourdough bread.',
  keyPoints: [
    { text: 'Knead for ten minutes', tStart: 20, tEnd: 31.5 },
    { text: 'Bake at 220 degrees', tStart: 150, tEnd: 160 },
  ],
  tags: ['bread', 'sourdough'],
  model: 'gpt-4o-mini',
};

/** The same contract for the Postgres store (both drivers) and the memory store. */
function contract(
  name: string,
  open: () => Promise<{ store: Store; close: () => Promise<void>; reset: () => Promise<void> }>,
) {
  describe(name, () => {
    let h: Awaited<ReturnType<typeof open>>;
    beforeAll(async () => {
      h = await open();
    });
    afterAll(async () => h.close());
    beforeEach(async () => {
      await h.reset();
      await h.store.saveVideo({ id: 'v1', originalPath: 'uploads/v1_a.mp4' });
    });

    it('stores chapters and the summary together and replaces them on a rerun', async () => {
      await h.store.replaceChapters('v1', chapters, summary);
      expect(await h.store.listChapters('v1')).toEqual(chapters);
      expect(await h.store.getSummary('v1')).toEqual(summary);
      await h.store.replaceChapters('v1', chapters.slice(0, 1), { ...summary, tags: ['baking'] });
      expect(await h.store.listChapters('v1')).toHaveLength(1);
      expect((await h.store.getSummary('v1'))!.tags).toEqual(['baking']);
      await h.store.replaceChapters('v1', [], null);
      expect(await h.store.listChapters('v1')).toEqual([]);
      expect(await h.store.getSummary('v1')).toBeNull();
    });

    it('keeps the speaker of a segment, and null without one', async () => {
      await h.store.replaceSegments('v1', [
        { id: segmentId('v1', 0), videoId: 'v1', idx: 0, tStart: 0, tEnd: 1, text: 'hello', speaker: 'A' },
        { id: segmentId('v1', 1), videoId: 'v1', idx: 1, tStart: 1, tEnd: 2, text: 'hi', speaker: 'B' },
        { id: segmentId('v1', 2), videoId: 'v1', idx: 2, tStart: 2, tEnd: 3, text: 'plain' },
      ]);
      expect((await h.store.listSegments('v1')).map((s) => s.speaker ?? null)).toEqual(['A', 'B', null]);
    });
  });
}

for (const kind of DB_KINDS) {
  let t: TestDb;
  contract(`PgStore on ${kind}`, async () => {
    t = await testDb(kind);
    return {
      store: new PgStore(t.db),
      close: () => t.close(),
      reset: async () => void (await t.db.query('DELETE FROM videos')),
    };
  });

  describe(`chapters schema on ${kind}`, () => {
    let db: TestDb;
    beforeAll(async () => {
      db = await testDb(kind);
    });
    afterAll(async () => db.close());

    it('refuses chapters that end before they start, untitled chapters and key points that are not a list', async () => {
      await db.db.query("INSERT INTO videos (id) VALUES ('v1')");
      const insert = (tStart: number, tEnd: number, title: string) =>
        db.db.query(
          'INSERT INTO video_chapters (id, video_id, idx, t_start, t_end, title, summary) VALUES ($1, $2, $3, $4, $5, $6, $7)',
          [`c${tStart}`, 'v1', tStart, tStart, tEnd, title, ''],
        );
      await expect(insert(10, 5, 'Backwards')).rejects.toThrow(/check/i);
      await expect(insert(10, 20, '')).rejects.toThrow(/check/i);
      await expect(
        db.db.query(`INSERT INTO video_summaries (video_id, summary, key_points) VALUES ('v1', 's', '{"a":1}')`),
      ).rejects.toThrow(/check/i);
    });

    it('deleting the video deletes its chapters and summary', async () => {
      const store = new PgStore(db.db);
      await store.saveVideo({ id: 'v2', originalPath: 'uploads/v2_a.mp4' });
      await store.replaceChapters(
        'v2',
        chapters.map((c) => ({ ...c, id: c.id.replace('v1', 'v2'), videoId: 'v2' })),
        { ...summary, videoId: 'v2' },
      );
      await db.db.query("DELETE FROM videos WHERE id = 'v2'");
      expect(
        (await db.db.query("SELECT count(*)::int AS n FROM video_chapters WHERE video_id = 'v2'")).rows[0],
      ).toEqual({ n: 0 });
      expect(
        (await db.db.query("SELECT count(*)::int AS n FROM video_summaries WHERE video_id = 'v2'")).rows[0],
      ).toEqual({ n: 0 });
    });
  });
}

contract('MemoryStore', async () => {
  let store = new MemoryStore();
  const h = {
    store: store as Store,
    close: async () => {},
    reset: async () => {
      store = new MemoryStore();
      h.store = store;
    },
  };
  return h;
});
