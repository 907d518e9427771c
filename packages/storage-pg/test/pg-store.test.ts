import {
  frameId,
  MemoryStore,
  sceneId,
  segmentId,
  type FrameRow,
  type OcrRow,
  type SceneRow,
  type SegmentRow,
} from '@videoqa/core';
import { PgStore, type Db } from '@videoqa/storage-pg';
import { hashingEmbedding, type TestDb } from '@videoqa/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DB_KINDS, testDb } from './helpers.ts';

const segments = (videoId: string, n: number, prefix = 'text'): SegmentRow[] =>
  Array.from({ length: n }, (_, i) => ({
    id: segmentId(videoId, i),
    videoId,
    idx: i,
    tStart: i * 2,
    tEnd: i * 2 + 1.5,
    text: `${prefix} ${i}`,
  }));
const scenes = (videoId: string, n: number): SceneRow[] =>
  Array.from({ length: n }, (_, i) => ({ id: sceneId(videoId, i), videoId, idx: i, tStart: i * 5, tEnd: (i + 1) * 5 }));
const frames = (videoId: string, n: number): FrameRow[] =>
  Array.from({ length: n }, (_, i) => ({
    id: frameId(videoId, i),
    videoId,
    sceneId: sceneId(videoId, i),
    idx: i,
    t: i * 5 + 2.5,
    path: `frames/${videoId}/scene_${String(i).padStart(3, '0')}.jpg`,
    phash: 'f0f0f0f0f0f0f0f0',
    duplicateOf: i === 2 ? frameId(videoId, 0) : null,
  }));

/** Counts the statements a Db runs (to prove bulk writes are one statement per batch). */
function counting(db: Db): { db: Db; count: () => number } {
  let n = 0;
  const wrapQ = <T extends { query: Db['query'] }>(q: T): T =>
    ({
      ...q,
      query: (text: string, params?: readonly unknown[]) => {
        n++;
        return q.query(text, params);
      },
    }) as T;
  return {
    db: { ...wrapQ(db), transaction: (fn) => db.transaction((tx) => fn(wrapQ(tx))) } as Db,
    count: () => n,
  };
}

describe.each(DB_KINDS)('PgStore on %s', (kind) => {
  let t: TestDb;
  let store: PgStore;
  beforeAll(async () => {
    t = await testDb(kind);
    store = new PgStore(t.db);
  });
  afterAll(async () => t.close());
  beforeEach(async () => {
    await t.db.query('DELETE FROM videos');
    await store.saveVideo({ id: 'v1', originalPath: 'uploads/v1_a.mp4' });
  });

  it('saves and updates videos', async () => {
    expect(await store.getVideo('v1')).toMatchObject({
      id: 'v1',
      originalPath: 'uploads/v1_a.mp4',
      status: 'pending',
      normalizedPath: null,
    });
    await store.updateVideo('v1', { normalizedPath: 'processed/v1/normalized.mp4', durationSec: 12.5 });
    expect(await store.getVideo('v1')).toMatchObject({
      normalizedPath: 'processed/v1/normalized.mp4',
      durationSec: 12.5,
      status: 'pending',
    });
    await store.saveVideo({ id: 'v1', originalPath: '' });
    expect((await store.getVideo('v1'))!.originalPath).toBe('uploads/v1_a.mp4');
    await expect(store.updateVideo('ghost', { status: 'ready' })).rejects.toMatchObject({ code: 'VIDEO_NOT_FOUND' });
    expect(await store.getVideo('ghost')).toBeNull();
  });

  it('replaces rows: a rerun never duplicates', async () => {
    await store.replaceSegments('v1', segments('v1', 5));
    await store.replaceSegments('v1', segments('v1', 3, 'again'));
    const rows = await store.listSegments('v1');
    expect(rows.map((r) => r.text)).toEqual(['again 0', 'again 1', 'again 2']);
    expect(rows[1]).toEqual({ id: 'v1_segment_001', videoId: 'v1', idx: 1, tStart: 2, tEnd: 3.5, text: 'again 1' });
  });

  it('keeps the old rows when a replace fails half-way', async () => {
    await store.replaceSegments('v1', segments('v1', 4));
    const bad = segments('v1', 3, 'new');
    bad[2] = { ...bad[2]!, tStart: 10, tEnd: 1 }; // violates t_end >= t_start after two good rows
    await expect(store.replaceSegments('v1', bad)).rejects.toThrow(/check constraint/);
    expect((await store.listSegments('v1')).map((r) => r.text)).toEqual(['text 0', 'text 1', 'text 2', 'text 3']);
  });

  it('writes 10,000 segments with one INSERT statement', async () => {
    const c = counting(t.db);
    const s = new PgStore(c.db);
    const before = c.count();
    await s.replaceSegments('v1', segments('v1', 10_000));
    // BEGIN + video check + DELETE + one INSERT + COMMIT: the row count does not change the statement count
    expect(c.count() - before).toBeLessThanOrEqual(4);
    expect(await store.listSegments('v1')).toHaveLength(10_000);
    expect((await store.listSegments('v1'))[9999]!.id).toBe('v1_segment_9999');
  });

  it('cascades: new scenes drop frames and captions; new frames drop captions', async () => {
    await store.replaceScenes('v1', scenes('v1', 3));
    await store.replaceFrames('v1', frames('v1', 3));
    expect((await store.listFrames('v1'))[2]!.duplicateOf).toBe('v1_frame_000');
    await store.saveCaptions('v1', [
      {
        id: 'v1_frame_000_caption',
        frameId: 'v1_frame_000',
        videoId: 'v1',
        caption: 'a cat',
        entities: { objects: ['cat'] },
      },
    ]);
    expect(await store.listCaptions('v1')).toEqual([
      {
        id: 'v1_frame_000_caption',
        frameId: 'v1_frame_000',
        videoId: 'v1',
        caption: 'a cat',
        entities: { objects: ['cat'] },
      },
    ]);
    await store.replaceFrames('v1', frames('v1', 3));
    expect(await store.listCaptions('v1')).toEqual([]);
    await store.replaceScenes('v1', scenes('v1', 2));
    expect(await store.listFrames('v1')).toEqual([]);
    expect(await store.listScenes('v1')).toHaveLength(2);
  });

  it('replaces OCR rows per video, embeds them, and drops them with their frames (as MemoryStore does)', async () => {
    for (const s of [store, new MemoryStore()]) {
      if (s instanceof MemoryStore) await s.saveVideo({ id: 'v1', originalPath: 'uploads/v1_a.mp4' });
      await s.replaceScenes('v1', scenes('v1', 2));
      await s.replaceFrames('v1', frames('v1', 2));
      const row = (i: number, text: string): OcrRow => ({
        id: `${frameId('v1', i)}_ocr`,
        frameId: frameId('v1', i),
        videoId: 'v1',
        text,
        confidence: 91.5,
        language: 'eng',
      });
      await s.replaceOcr('v1', [row(0, 'Quarterly review'), row(1, 'Product roadmap')]);
      await s.replaceOcr('v1', [row(1, 'Next steps')]);
      expect(await s.listOcr('v1')).toEqual([row(1, 'Next steps')]);
      await s.setEmbeddings('ocr', [{ id: row(1, '').id, embedding: hashingEmbedding('Next steps') }]);
      expect(await s.listEmbedded('ocr', 'v1')).toEqual([row(1, '').id]);
      await expect(s.replaceOcr('v1', [row(5, 'no such frame')])).rejects.toThrow();
      expect(await s.listOcr('v1')).toHaveLength(1);
      await s.replaceFrames('v1', frames('v1', 2));
      expect(await s.listOcr('v1')).toEqual([]);
      expect(await s.listEmbedded('ocr', 'v1')).toEqual([]);
    }
  });

  it('upserts captions by id (vision saves them one at a time)', async () => {
    await store.replaceScenes('v1', scenes('v1', 2));
    await store.replaceFrames('v1', frames('v1', 2));
    const cap = { id: 'v1_frame_001_caption', frameId: 'v1_frame_001', videoId: 'v1', caption: 'first', entities: {} };
    await store.saveCaptions('v1', [cap]);
    await store.saveCaptions('v1', [{ ...cap, caption: 'second' }]);
    expect((await store.listCaptions('v1')).map((c) => c.caption)).toEqual(['second']);
  });

  it('stores embeddings and refuses the wrong dimension', async () => {
    await store.replaceSegments('v1', segments('v1', 3));
    await store.setEmbeddings('segment', [
      { id: 'v1_segment_000', embedding: hashingEmbedding('zero') },
      { id: 'v1_segment_002', embedding: hashingEmbedding('two') },
    ]);
    expect(await store.listEmbedded('segment', 'v1')).toEqual(['v1_segment_000', 'v1_segment_002']);
    await expect(
      store.setEmbeddings('segment', [{ id: 'v1_segment_001', embedding: [1, 2, 3] }]),
    ).rejects.toMatchObject({ code: 'EMBEDDING_DIMENSIONS' });
  });

  it('records stage runs', async () => {
    const startedAt = new Date('2026-01-01T00:00:00Z');
    await store.saveStageRun({ videoId: 'v1', stage: 'normalize', status: 'running', startedAt });
    await store.saveStageRun({
      videoId: 'v1',
      stage: 'normalize',
      status: 'done',
      startedAt,
      finishedAt: new Date(),
      output: { data: { a: 1 } },
      usage: { requests: 2 },
    });
    await store.saveStageRun({ videoId: 'v1', stage: 'scenes', status: 'failed', startedAt, error: 'boom' });
    const runs = await store.listStageRuns('v1');
    expect(runs.map((r) => [r.stage, r.status])).toEqual([
      ['normalize', 'done'],
      ['scenes', 'failed'],
    ]);
    expect(runs[0]!.output).toEqual({ data: { a: 1 } });
    expect(runs[0]!.usage).toEqual({ requests: 2 });
    expect(runs[0]!.startedAt.toISOString()).toBe('2026-01-01T00:00:00.000Z');
    await store.deleteStageRuns('v1', ['scenes']);
    expect((await store.listStageRuns('v1')).map((r) => r.stage)).toEqual(['normalize']);
  });
});
