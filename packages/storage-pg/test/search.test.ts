import { captionId, frameId, sceneId, segmentId } from '@videoqa/core';
import { PgStore, searchContent, vectorColumnsInUse } from '@videoqa/storage-pg';
import { hashingEmbedding, hashingEmbeddingsProvider, type TestDb } from '@videoqa/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDb } from './helpers.ts';

const SEGMENTS = [
  'Welcome back to the kitchen, today the chef slices fresh tomatoes on a wooden board',
  'A red sports car drives fast along the coastal highway at sunset',
  'The lecturer explains quantum entanglement using two spinning particles',
  'Our quarterly revenue grew twelve percent thanks to new subscription customers',
  'The hikers reach the snowy mountain summit after a long climb',
];
const CAPTIONS = [
  'A settings screen with a blue login button and a password field',
  'A dog catches a frisbee in a green park',
];

async function fill(store: PgStore, videoId: string): Promise<void> {
  await store.saveVideo({ id: videoId, originalPath: `uploads/${videoId}_x.mp4` });
  await store.replaceSegments(
    videoId,
    SEGMENTS.map((text, i) => ({ id: segmentId(videoId, i), videoId, idx: i, tStart: i * 10, tEnd: i * 10 + 8, text })),
  );
  await store.replaceScenes(
    videoId,
    CAPTIONS.map((_, i) => ({ id: sceneId(videoId, i), videoId, idx: i, tStart: i * 25, tEnd: (i + 1) * 25 })),
  );
  await store.replaceFrames(
    videoId,
    CAPTIONS.map((_, i) => ({
      id: frameId(videoId, i),
      videoId,
      sceneId: sceneId(videoId, i),
      idx: i,
      t: i * 25 + 12.5,
      path: `frames/${videoId}/scene_00${i}.jpg`,
      phash: '0123456789abcdef',
      duplicateOf: null,
    })),
  );
  await store.saveCaptions(
    videoId,
    CAPTIONS.map((caption, i) => ({
      id: captionId(frameId(videoId, i)),
      frameId: frameId(videoId, i),
      videoId,
      caption,
      entities: { objects: [], text: i === 0 ? ['Log in'] : [], controls: [], people_count: 0 },
    })),
  );
  await store.setEmbeddings(
    'segment',
    SEGMENTS.map((text, i) => ({ id: segmentId(videoId, i), embedding: hashingEmbedding(text) })),
  );
  await store.setEmbeddings(
    'caption',
    CAPTIONS.map((text, i) => ({ id: captionId(frameId(videoId, i)), embedding: hashingEmbedding(text) })),
  );
}

const variants = [
  { name: 'PGlite with pgvector', kind: 'pglite' as const, vector: 'auto' as const, expectVector: true },
  { name: 'PGlite with real[]', kind: 'pglite' as const, vector: 'off' as const, expectVector: false },
  { name: 'PostgreSQL with real[]', kind: 'postgres' as const, vector: 'off' as const, expectVector: false },
  {
    name: 'PostgreSQL (pgvector if installed)',
    kind: 'postgres' as const,
    vector: 'auto' as const,
    expectVector: undefined,
  },
];

describe.each(variants)('hybrid search on $name', ({ kind, vector, expectVector }) => {
  let t: TestDb;
  const embeddings = hashingEmbeddingsProvider();
  beforeAll(async () => {
    t = await testDb(kind, { vector });
    const store = new PgStore(t.db);
    await fill(store, 'va');
    await fill(store, 'vb');
  });
  afterAll(async () => t.close());

  it('stores embeddings as expected', async () => {
    if (expectVector !== undefined) expect(await vectorColumnsInUse(t.db)).toBe(expectVector);
  });

  it.each([
    ['sports car on the highway', 'segment', 1],
    ['chef slicing tomatoes', 'segment', 0],
    ['quantum particles lecture', 'segment', 2],
    ['revenue growth from subscriptions', 'segment', 3],
    ['mountain summit', 'segment', 4],
  ])('%j finds the right segment first', async (query, kindOfHit, index) => {
    const hits = await searchContent(t.db, query, { embeddings, videoId: 'va', limit: 5 });
    expect(hits[0]).toMatchObject({
      kind: kindOfHit,
      id: segmentId('va', index),
      videoId: 'va',
      tStart: index * 10,
      tEnd: index * 10 + 8,
      text: SEGMENTS[index],
    });
    expect(hits[0]!.ranks.vector).toBe(1);
    expect(hits[0]!.score).toBeGreaterThan(hits[1]?.score ?? 0);
  });

  it('finds captions with their scene time range and frame', async () => {
    const hits = await searchContent(t.db, 'login button settings', { embeddings, videoId: 'vb' });
    expect(hits[0]).toMatchObject({
      kind: 'caption',
      id: captionId(frameId('vb', 0)),
      tStart: 0,
      tEnd: 25,
      frame: { id: frameId('vb', 0), t: 12.5, path: 'frames/vb/scene_000.jpg' },
    });
    // on-screen text from the entities is searchable too
    const byScreenText = await searchContent(t.db, 'log in', { videoId: 'vb' });
    expect(byScreenText[0]?.id).toBe(captionId(frameId('vb', 0)));
  });

  it('searches every video unless told otherwise, and honours the limit', async () => {
    const hits = await searchContent(t.db, 'dog frisbee park', { embeddings, limit: 2 });
    expect(hits).toHaveLength(2);
    expect(new Set(hits.map((h) => h.videoId))).toEqual(new Set(['va', 'vb']));
    expect(hits.every((h) => h.kind === 'caption' && h.text === CAPTIONS[1])).toBe(true);
  });

  it('works as full-text search alone without an embeddings provider', async () => {
    const hits = await searchContent(t.db, 'tomatoes', { videoId: 'va' });
    expect(hits[0]).toMatchObject({ id: segmentId('va', 0), ranks: { text: 1 } });
    expect(hits[0]!.ranks.vector).toBeUndefined();
  });

  it('fuses only the lists asked for', async () => {
    const calls = embeddings.calls;
    const textOnly = await searchContent(t.db, 'tomatoes', { embeddings, videoId: 'va', methods: ['text'] });
    expect(embeddings.calls).toBe(calls);
    expect(textOnly.length).toBeGreaterThan(0);
    expect(textOnly.every((h) => h.ranks.vector === undefined && h.ranks.text !== undefined)).toBe(true);
    const vectorOnly = await searchContent(t.db, 'tomatoes', { embeddings, videoId: 'va', methods: ['vector'] });
    expect(vectorOnly[0]!.id).toBe(segmentId('va', 0));
    expect(vectorOnly.every((h) => h.ranks.text === undefined && h.ranks.vector !== undefined)).toBe(true);
  });

  it('returns nothing for an empty query', async () => {
    expect(await searchContent(t.db, '   ', { embeddings })).toEqual([]);
    expect(await searchContent(t.db, 'the of and', { videoId: 'va' })).toEqual([]);
  });
});
