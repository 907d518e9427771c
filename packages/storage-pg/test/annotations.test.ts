import { defineStage, runPipeline } from '@videoqa/core';
import { embeddingsStage } from '@videoqa/stages';
import { PgStore, retrievePassages, searchContent } from '@videoqa/storage-pg';
import { hashingEmbeddingsProvider, type TestDb } from '@videoqa/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_KINDS, testDb } from './helpers.ts';

/** A plugin stage of the kind docs/stage-authoring.md shows: it stores searchable text without a migration of its own. */
const topicsStage = defineStage({
  name: 'topics',
  async run(ctx) {
    await ctx.store.replaceAnnotations(ctx.video.id, 'topics', [
      {
        id: `${ctx.video.id}_topics_0`,
        videoId: ctx.video.id,
        stage: 'topics',
        kind: 'topic',
        tStart: 0,
        tEnd: 30,
        text: 'Greenhouse irrigation with rainwater barrels',
        data: { confidence: 0.9 },
      },
      {
        id: `${ctx.video.id}_topics_1`,
        videoId: ctx.video.id,
        stage: 'topics',
        kind: 'topic',
        tStart: 30,
        tEnd: 60,
        text: 'Pruning climbing roses in late winter',
      },
    ]);
    return { counts: { topics: 2 } };
  },
});

describe.each(DB_KINDS)('annotations written by a stage plugin on %s', (kind) => {
  let t: TestDb;
  let store: PgStore;
  beforeAll(async () => {
    t = await testDb(kind);
    store = new PgStore(t.db);
    await store.saveVideo({ id: 'garden', originalPath: 'uploads/garden_a.mp4', durationSec: 60, status: 'ready' });
    await store.saveVideo({ id: 'other', originalPath: 'uploads/other_a.mp4', durationSec: 60, status: 'ready' });
    await store.replaceAnnotations('garden', 'loudness', [
      {
        id: 'garden_loudness_0',
        videoId: 'garden',
        stage: 'loudness',
        kind: 'loudness',
        tStart: 10,
        tEnd: 12,
        text: 'a loud burst of applause',
      },
    ]);
    const result = await runPipeline({
      video: { id: 'garden', originalPath: 'uploads/garden_a.mp4' },
      stages: [topicsStage, { ...embeddingsStage({ provider: hashingEmbeddingsProvider() }), after: ['topics'] }],
      store,
      config: { dataDir: '/tmp' },
    }).orThrow();
    expect(result.stages.embeddings!.data).toMatchObject({ annotations: 3 });
  });
  afterAll(async () => t.close());

  it('are stored per stage, listed by time, with their data', async () => {
    const rows = await store.listAnnotations('garden');
    expect(rows.map((r) => [r.id, r.stage, r.kind, r.tStart])).toEqual([
      ['garden_topics_0', 'topics', 'topic', 0],
      ['garden_loudness_0', 'loudness', 'loudness', 10],
      ['garden_topics_1', 'topics', 'topic', 30],
    ]);
    expect(rows[0]!.data).toEqual({ confidence: 0.9 });
    expect((await store.listAnnotations('garden', 'loudness')).map((r) => r.id)).toEqual(['garden_loudness_0']);
  });

  it('are found by full-text and vector search, with their stage and kind', async () => {
    const [text] = await searchContent(t.db, 'irrigation rainwater', { methods: ['text'] });
    expect(text).toMatchObject({
      kind: 'annotation',
      id: 'garden_topics_0',
      videoId: 'garden',
      tStart: 0,
      tEnd: 30,
      annotation: { stage: 'topics', kind: 'topic' },
    });
    const vector = await searchContent(t.db, 'pruning climbing roses in late winter', {
      embeddings: hashingEmbeddingsProvider(),
      methods: ['vector'],
      limit: 1,
    });
    expect(vector[0]).toMatchObject({ kind: 'annotation', id: 'garden_topics_1' });
    expect(await searchContent(t.db, 'irrigation', { kinds: ['segment', 'caption'] })).toEqual([]);
  });

  it('become ask passages of their own, labelled with their kind', async () => {
    const { passages } = await retrievePassages(t.db, 'How are the roses pruned?', { videoId: 'garden' });
    expect(passages[0]).toMatchObject({
      kind: 'annotation',
      videoId: 'garden',
      tStart: 30,
      tEnd: 60,
      text: 'topic: Pruning climbing roses in late winter',
    });
  });

  it("replacing one stage's rows leaves the others, and they go with their video", async () => {
    await store.replaceAnnotations('garden', 'topics', []);
    expect((await store.listAnnotations('garden')).map((r) => r.id)).toEqual(['garden_loudness_0']);
    await store.replaceAnnotations('other', 'loudness', [
      {
        id: 'other_loudness_0',
        videoId: 'other',
        stage: 'loudness',
        kind: 'loudness',
        tStart: 1,
        tEnd: 2,
        text: 'quiet',
      },
    ]);
    await t.db.query(`DELETE FROM videos WHERE id = 'other'`);
    expect(await store.listAnnotations('other')).toEqual([]);
    await expect(store.replaceAnnotations('ghost', 'loudness', [])).rejects.toMatchObject({ code: 'VIDEO_NOT_FOUND' });
  });
});
