import { afterEach, describe, expect, it } from 'vitest';
import {
  EmbeddingDimensionsMismatchError,
  embeddingColumns,
  migrate,
  migrations,
  PgStore,
  resetEmbeddingColumns,
  searchContent,
  storedEmbeddingDimensions,
  type Db,
} from '@videoqa/storage-pg';
import { hashingEmbedding, hashingEmbeddingsProvider, type TestDb } from '@videoqa/testing';
import { DB_KINDS, testDb } from './helpers.ts';

/** A video with two transcript segments, for vectors to live on. */
async function seedVideo(db: Db): Promise<PgStore> {
  const store = new PgStore(db);
  await store.saveVideo({ id: 'v1', originalPath: 'uploads/v1.mp4', status: 'ready' });
  await store.replaceSegments('v1', [
    { id: 'v1_segment_000', videoId: 'v1', idx: 0, tStart: 0, tEnd: 2, text: 'red tomatoes are sliced' },
    { id: 'v1_segment_001', videoId: 'v1', idx: 1, tStart: 2, tEnd: 4, text: 'the soup simmers slowly' },
  ]);
  return store;
}

const columnTypes = async (db: Db) => Object.fromEntries((await embeddingColumns(db)).map((c) => [c.table, c.type]));
const hnswIndexes = async (db: Db) =>
  (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_indexes WHERE indexdef ILIKE '%hnsw%(embedding%'`))
    .rows[0]!.n;

describe.each(DB_KINDS)('embedding dimensions on %s', (kind) => {
  let t: TestDb | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });
  // PGlite has pgvector (vector(N) + HNSW); Debian's PostgreSQL 15 has not (real[]).
  const pgvector = kind === 'pglite';

  it('a fresh schema follows the configured size, and another size is refused with the reembed hint', async () => {
    t = await testDb(kind, { migrate: false });
    const res = await migrate(t.db, { embeddingDimensions: 768 });
    expect(res.dimensions).toBe(768);
    expect(await storedEmbeddingDimensions(t.db)).toBe(768);
    const types = await columnTypes(t.db);
    expect(Object.keys(types).sort()).toEqual([
      'annotations',
      'frame_captions',
      'frame_ocr',
      'transcript_segments',
      'video_chapters',
      'video_summaries',
    ]);
    for (const type of Object.values(types)) expect(type).toBe(pgvector ? 'vector(768)' : 'real[]');
    expect(await hnswIndexes(t.db)).toBe(pgvector ? 6 : 0);

    const store = await seedVideo(t.db);
    await store.setEmbeddings('segment', [
      { id: 'v1_segment_000', embedding: hashingEmbedding('red tomatoes are sliced', 768) },
    ]);
    await expect(
      store.setEmbeddings('segment', [{ id: 'v1_segment_001', embedding: hashingEmbedding('x', 1536) }]),
    ).rejects.toMatchObject({ code: 'EMBEDDING_DIMENSIONS', message: /1536 dimensions; the schema stores 768/ });
    // Search with a model of the old size says what to do instead of failing in the driver.
    await expect(
      searchContent(t.db, 'tomatoes', { embeddings: hashingEmbeddingsProvider(1536) }),
    ).rejects.toMatchObject({ code: 'EMBEDDING_DIMENSIONS', message: /reembed/ });
    expect((await searchContent(t.db, 'tomatoes', { embeddings: hashingEmbeddingsProvider(768) }))[0]).toMatchObject({
      id: 'v1_segment_000',
    });

    const refused = await migrate(t.db, { embeddingDimensions: 1536 }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(EmbeddingDimensionsMismatchError);
    expect((refused as Error).message).toMatch(
      /OPENAI_EMBEDDING_DIMENSIONS is 1536, but this database stores 768-dimension embeddings; run `videoqa reembed`/,
    );
    expect(await migrate(t.db, { embeddingDimensions: 1536, checkDimensions: false })).toMatchObject({
      dimensions: 768,
    });
    expect(await migrate(t.db, { embeddingDimensions: 768 })).toMatchObject({ applied: [], dimensions: 768 });
  });

  it('resetting the columns changes their size, drops the old vectors and keeps search working', async () => {
    t = await testDb(kind, { migrate: false });
    await migrate(t.db, { embeddingDimensions: 768 });
    const store = await seedVideo(t.db);
    await store.setEmbeddings('segment', [
      { id: 'v1_segment_000', embedding: hashingEmbedding('red tomatoes are sliced', 768) },
    ]);
    await t.db.transaction((tx) => resetEmbeddingColumns(tx, 1024));
    expect(await storedEmbeddingDimensions(t.db)).toBe(1024);
    for (const type of Object.values(await columnTypes(t.db))) expect(type).toBe(pgvector ? 'vector(1024)' : 'real[]');
    expect(await hnswIndexes(t.db)).toBe(pgvector ? 6 : 0);
    expect(
      (await t.db.query<{ n: number }>('SELECT count(embedding)::int AS n FROM transcript_segments')).rows[0]!.n,
    ).toBe(0);
    const fresh = new PgStore(t.db);
    await fresh.setEmbeddings('segment', [
      { id: 'v1_segment_000', embedding: hashingEmbedding('red tomatoes are sliced', 1024) },
      { id: 'v1_segment_001', embedding: hashingEmbedding('the soup simmers slowly', 1024) },
    ]);
    const hits = await searchContent(t.db, 'soup simmering', {
      embeddings: hashingEmbeddingsProvider(1024),
      methods: ['vector'],
    });
    expect(hits[0]).toMatchObject({ id: 'v1_segment_001' });
  });

  it('an older schema keeps the size of the vectors it holds, or takes the configured one while it holds none', async () => {
    // The schema as it was before embedding sizes were configurable (migration 6).
    const upTo3 = migrations.filter((m) => m.version < 6);
    t = await testDb(kind, { migrate: false });
    await migrate(t.db, { migrations: upTo3 });
    const store = await seedVideo(t.db);
    await store.setEmbeddings('segment', [
      { id: 'v1_segment_000', embedding: hashingEmbedding('red tomatoes are sliced', 1536) },
    ]);
    await expect(migrate(t.db, { embeddingDimensions: 768 })).rejects.toBeInstanceOf(EmbeddingDimensionsMismatchError);
    // Refused inside the migration transaction: nothing was applied, and the next try sees the same.
    expect(await storedEmbeddingDimensions(t.db)).toBeNull();
    expect(await migrate(t.db, { embeddingDimensions: 1536 })).toMatchObject({ dimensions: 1536 });
    await t.close();

    t = await testDb(kind, { migrate: false });
    await migrate(t.db, { migrations: upTo3 });
    expect(await migrate(t.db, { embeddingDimensions: 768 })).toMatchObject({ dimensions: 768 });
    for (const type of Object.values(await columnTypes(t.db))) expect(type).toBe(pgvector ? 'vector(768)' : 'real[]');
  });
});
