// Passage retrieval quality (recall@1, recall@5, MRR) for text-only, vector-only and hybrid
// search over a generated corpus (bench/retrieval-corpus.ts), on PGlite and PostgreSQL; and
// ask() end to end against the fake OpenAI server at two chat latencies.
// Embeddings are the fake server's hashing embeddings (bag of words): real embeddings were
// not available here, so "vector" measures lexical overlap by another route, not meaning.
import { captionId, frameId, sceneId, segmentId } from '@videoqa/core';
import { createOpenAIProviders } from '@videoqa/stages';
import {
  ask,
  openDatabase,
  PgStore,
  retrievePassages,
  searchContent,
  vectorColumnsInUse,
  type Db,
} from '@videoqa/storage-pg';
import { createTestDatabase, FakeOpenAIServer, hashingEmbeddingsProvider, startTestPostgres } from '@videoqa/testing';
import { round, writeResult } from './lib.ts';
import { makeCorpus, type CorpusQuestion } from './retrieval-corpus.ts';

const { videos, questions } = makeCorpus();
const embeddings = hashingEmbeddingsProvider();
const MODES = { text: ['text'], vector: ['vector'], hybrid: ['vector', 'text'] } as const;

async function load(db: Db): Promise<void> {
  const store = new PgStore(db);
  for (const v of videos) {
    await store.saveVideo({ id: v.id, originalPath: `uploads/${v.id}_x.mp4`, status: 'ready' });
    const segs = v.segments.map((s, i) => ({ id: segmentId(v.id, i), videoId: v.id, idx: i, ...s }));
    await store.replaceSegments(v.id, segs);
    await store.replaceScenes(
      v.id,
      v.scenes.map((s, i) => ({ id: sceneId(v.id, i), videoId: v.id, idx: i, tStart: s.tStart, tEnd: s.tEnd })),
    );
    await store.replaceFrames(
      v.id,
      v.scenes.map((s, i) => ({
        id: frameId(v.id, i),
        videoId: v.id,
        sceneId: sceneId(v.id, i),
        idx: i,
        t: (s.tStart + s.tEnd) / 2,
        path: `frames/${v.id}/scene_${i}.jpg`,
        phash: '0123456789abcdef',
        duplicateOf: null,
      })),
    );
    const caps = v.scenes.map((s, i) => ({
      id: captionId(frameId(v.id, i)),
      frameId: frameId(v.id, i),
      videoId: v.id,
      caption: s.caption,
      entities: { objects: [], text: s.onScreen, controls: [], people_count: 1 },
    }));
    await store.saveCaptions(v.id, caps);
    const vectors = (
      await embeddings.embed([
        ...segs.map((s) => s.text),
        ...caps.map((c) => `${c.caption} ${c.entities.text.join(' ')}`),
      ])
    ).vectors;
    await store.setEmbeddings(
      'segment',
      segs.map((s, i) => ({ id: s.id, embedding: vectors[i]! })),
    );
    await store.setEmbeddings(
      'caption',
      caps.map((c, i) => ({ id: c.id, embedding: vectors[segs.length + i]! })),
    );
  }
}

/** 1-based rank of the first passage from the gold video whose range overlaps the gold moment. */
function rankOf(q: CorpusQuestion, passages: { videoId: string; tStart: number; tEnd: number }[]): number | undefined {
  const i = passages.findIndex((p) => p.videoId === q.videoId && p.tStart < q.gold.tEnd && q.gold.tStart < p.tEnd);
  return i < 0 ? undefined : i + 1;
}

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

async function quality(db: Db) {
  const out: Record<string, unknown> = {};
  for (const [mode, methods] of Object.entries(MODES)) {
    const ranks: (number | undefined)[] = [];
    const hitRanks: (number | undefined)[] = [];
    const ms: number[] = [];
    const byKind: Record<string, (number | undefined)[]> = { spoken: [], 'on-screen': [] };
    for (const q of questions) {
      const t0 = performance.now();
      const { passages } = await retrievePassages(db, q.question, {
        limit: 10,
        embeddings: mode === 'text' ? undefined : embeddings,
        methods: [...methods],
      });
      ms.push(performance.now() - t0);
      const r = rankOf(q, passages);
      ranks.push(r);
      // Finer: the rank of the gold segment (or the gold scene's caption) among raw search hits, before windows merge them.
      const hits = await searchContent(db, q.question, {
        limit: 10,
        embeddings: mode === 'text' ? undefined : embeddings,
        methods: [...methods],
      });
      const exact = hits.findIndex(
        (h) =>
          h.videoId === q.videoId &&
          (q.kind === 'spoken'
            ? h.kind === 'segment' && h.tStart === q.gold.tStart
            : h.kind === 'caption' && h.tStart === q.gold.tStart),
      );
      hitRanks.push(exact < 0 ? undefined : exact + 1);
      byKind[q.kind]!.push(r);
    }
    const recall = (rs: (number | undefined)[], k: number) =>
      round(rs.filter((r) => r !== undefined && r <= k).length / rs.length, 3);
    out[mode] = {
      recallAt1: recall(ranks, 1),
      recallAt5: recall(ranks, 5),
      mrrAt10: round(ranks.reduce<number>((n, r) => n + (r ? 1 / r : 0), 0) / ranks.length, 3),
      recallAt5Spoken: recall(byKind.spoken!, 5),
      recallAt5OnScreen: recall(byKind['on-screen']!, 5),
      goldHitRecallAt1: recall(hitRanks, 1),
      goldHitRecallAt5: recall(hitRanks, 5),
      goldHitMrrAt10: round(hitRanks.reduce<number>((n, r) => n + (r ? 1 / r : 0), 0) / hitRanks.length, 3),
      retrievalMsP50: round(percentile(ms, 50), 1),
      retrievalMsP95: round(percentile(ms, 95), 1),
    };
    console.log(mode, JSON.stringify(out[mode]));
  }
  return out;
}

/** ask() end to end (retrieval + one streamed chat completion over HTTP) with the fake's chat latency set. */
async function askLatency(db: Db, chatLatencyMs: number) {
  const fake = await FakeOpenAIServer.start({ latencyMs: { chat: chatLatencyMs } });
  try {
    const ai = createOpenAIProviders({
      apiKey: fake.apiKey,
      baseURL: fake.url,
      chatModel: 'gpt-4o-mini',
      maxRetries: 0,
    });
    const ms: number[] = [];
    let found = 0;
    let cited = 0;
    const sample = questions.filter((_, i) => i % 3 === 0);
    for (const q of sample) {
      const t0 = performance.now();
      const res = await ask(db, q.question, { chat: ai.chat, embeddings: ai.embeddings });
      ms.push(performance.now() - t0);
      if (res.found) found++;
      if (res.citations.some((c) => c.videoId === q.videoId && c.tStart < q.gold.tEnd && q.gold.tStart < c.tEnd))
        cited++;
    }
    return {
      questions: sample.length,
      chatLatencyMs,
      totalMsP50: round(percentile(ms, 50), 1),
      totalMsP95: round(percentile(ms, 95), 1),
      overheadMsP50: round(percentile(ms, 50) - chatLatencyMs, 1),
      found,
      citationCoversGold: cited,
    };
  } finally {
    await fake.close();
  }
}

const results: Record<string, unknown> = {
  corpus: {
    videos: videos.length,
    segments: videos.reduce((n, v) => n + v.segments.length, 0),
    scenes: videos.reduce((n, v) => n + v.scenes.length, 0),
    questions: questions.length,
    spoken: questions.filter((q) => q.kind === 'spoken').length,
    onScreen: questions.filter((q) => q.kind === 'on-screen').length,
  },
  embeddings: "hashing (bag of words, the fake server's); real embeddings were not available",
  hit: 'passages: one from the gold video whose time range overlaps the gold moment (limit 10, whole library); goldHit*: the gold segment itself (or the gold scene caption) among the raw search hits, before windows merge them',
};

const lite = await openDatabase({ inMemory: true });
await load(lite);
results.pglite = {
  pgvector: await vectorColumnsInUse(lite),
  ...(await quality(lite)),
  ask: [await askLatency(lite, 0), await askLatency(lite, 500)],
};
await lite.close();

const pg = await startTestPostgres();
const created = await createTestDatabase(pg.url);
const pgDb = await openDatabase({ databaseUrl: created.url });
try {
  await load(pgDb);
  results.postgres = {
    pgvector: await vectorColumnsInUse(pgDb),
    ...(await quality(pgDb)),
    ask: [await askLatency(pgDb, 0), await askLatency(pgDb, 500)],
  };
} finally {
  await pgDb.close();
  await created.drop();
  await pg.stop();
}
writeResult('retrieval', results);
