import { chapterId, segmentId } from '@videoqa/core';
import { MemoryStore, runPipeline } from '@videoqa/core';
import { createOpenAIProviders, embeddingsStage } from '@videoqa/stages';
import { ask, PgStore, retrievePassages, searchContent } from '@videoqa/storage-pg';
import { FakeOpenAIServer, hashingEmbeddingsProvider, type TestDb } from '@videoqa/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_KINDS, testDb } from './helpers.ts';

let fake: FakeOpenAIServer;
beforeAll(async () => {
  fake = await FakeOpenAIServer.start();
});
afterAll(async () => fake.close());

describe.each(DB_KINDS)('chapters, summaries and speakers in search and ask on %s', (kind) => {
  let t: TestDb;
  beforeAll(async () => {
    t = await testDb(kind);
    const store = new PgStore(t.db);
    await store.saveVideo({ id: 'pod', originalPath: 'uploads/pod_a.mp4', durationSec: 600, status: 'ready' });
    await store.replaceSegments('pod', [
      {
        id: segmentId('pod', 0),
        videoId: 'pod',
        idx: 0,
        tStart: 1,
        tEnd: 5,
        text: 'Good morning and welcome to the podcast.',
        speaker: 'A',
      },
      {
        id: segmentId('pod', 1),
        videoId: 'pod',
        idx: 1,
        tStart: 6,
        tEnd: 10,
        text: 'Thank you, my garden has tomatoes and roses.',
        speaker: 'B',
      },
      {
        id: segmentId('pod', 2),
        videoId: 'pod',
        idx: 2,
        tStart: 26,
        tEnd: 33,
        text: 'The roses came from my grandmother,',
        speaker: 'B',
      },
      {
        id: segmentId('pod', 3),
        videoId: 'pod',
        idx: 3,
        tStart: 33.5,
        tEnd: 38,
        text: 'who grew them for fifty years.',
        speaker: 'B',
      },
      {
        id: segmentId('pod', 4),
        videoId: 'pod',
        idx: 4,
        tStart: 40,
        tEnd: 44,
        text: 'What a lovely story.',
        speaker: 'A',
      },
      {
        id: segmentId('pod', 5),
        videoId: 'pod',
        idx: 5,
        tStart: 320,
        tEnd: 330,
        text: 'We water them every morning.',
        speaker: 'B',
      },
    ]);
    await store.replaceChapters(
      'pod',
      [
        {
          id: chapterId('pod', 0),
          videoId: 'pod',
          idx: 0,
          tStart: 0,
          tEnd: 300,
          title: 'Introductions',
          summary: 'The host welcomes a gardener.',
        },
        {
          id: chapterId('pod', 1),
          videoId: 'pod',
          idx: 1,
          tStart: 300,
          tEnd: 600,
          title: 'Irrigation schedules',
          summary: 'How often plants need watering in a dry summer.',
        },
      ],
      {
        videoId: 'pod',
        summary: 'A podcast episode about home gardening.',
        keyPoints: [{ text: 'Compost improves clay soil', tStart: 400, tEnd: 420 }],
        tags: ['gardening', 'permaculture'],
        model: 'gpt-4o-mini',
      },
    );
  });
  afterAll(async () => t.close());

  it('finds chapter titles and summaries as their own kinds, with their time ranges', async () => {
    const chapter = await searchContent(t.db, 'irrigation', { videoId: 'pod' });
    expect(chapter[0]).toMatchObject({
      kind: 'chapter',
      id: 'pod_chapter_001',
      tStart: 300,
      tEnd: 600,
      text: 'Irrigation schedules: How often plants need watering in a dry summer.',
    });
    // Key points and tags are searchable through the summary, which spans the whole video.
    for (const q of ['compost', 'permaculture']) {
      const [hit] = await searchContent(t.db, q, { videoId: 'pod' });
      expect(hit).toMatchObject({ kind: 'summary', id: 'pod_summary', tStart: 0, tEnd: 600 });
      expect(hit!.text).toContain('Key points: Compost improves clay soil.');
    }
    expect(await searchContent(t.db, 'irrigation', { videoId: 'pod', kinds: ['segment'] })).toEqual([]);
  });

  it('embeds chapters and the summary (embeddings stage) so the vector half of search finds them too', async () => {
    const store = new PgStore(t.db);
    const embeddings = hashingEmbeddingsProvider();
    const run = await runPipeline({
      video: { id: 'pod', originalPath: 'uploads/pod_a.mp4' },
      stages: [{ ...embeddingsStage({ provider: embeddings }), after: [] }],
      store,
      resume: false,
      config: { dataDir: '/tmp' },
    });
    expect(run.status).toBe('done');
    expect(run.stages.embeddings!.data).toMatchObject({ segments: 6, chapters: 2, summaries: 1 });
    expect(await store.listEmbedded('chapter', 'pod')).toEqual(['pod_chapter_000', 'pod_chapter_001']);
    expect(await store.listEmbedded('summary', 'pod')).toEqual(['pod']);
    const [hit] = await searchContent(t.db, 'irrigation schedules watering', {
      videoId: 'pod',
      embeddings,
      methods: ['vector'],
      kinds: ['chapter'],
    });
    expect(hit).toMatchObject({ kind: 'chapter', id: 'pod_chapter_001' });
    expect(hit!.ranks.vector).toBe(1);
    const [summary] = await searchContent(t.db, 'home gardening podcast', {
      videoId: 'pod',
      embeddings,
      methods: ['vector'],
      kinds: ['summary'],
    });
    expect(summary).toMatchObject({ kind: 'summary', id: 'pod_summary', ranks: { vector: 1 } });
    // A rerun of chapters replaces the rows, and their vectors with them.
    await store.replaceChapters('pod', await store.listChapters('pod'), await store.getSummary('pod'));
    expect(await store.listEmbedded('chapter', 'pod')).toEqual([]);
    expect(await new MemoryStore().listEmbedded('summary', 'pod')).toEqual([]);
  });

  it('carries the speaker of a transcript hit', async () => {
    const hits = await searchContent(t.db, 'tomatoes roses', { videoId: 'pod', kinds: ['segment'] });
    expect(hits[0]).toMatchObject({ kind: 'segment', id: 'pod_segment_001', speaker: 'B' });
  });

  it('gives ask chapter and summary passages, and transcript passages that say who speaks; a chapter can be cited', async () => {
    const { passages } = await retrievePassages(t.db, 'podcast welcome', { videoId: 'pod' });
    const window = passages.find((p) => p.kind === 'segment')!;
    // The 0-30 s window ends inside B's turn: it runs on to the end of the turn (38 s), not into A's reply.
    expect(window.text).toBe(
      '[Speaker A] Good morning and welcome to the podcast. [Speaker B] Thank you, my garden has tomatoes and roses. The roses came from my grandmother, who grew them for fifty years.',
    );
    expect(window.tEnd).toBe(38);
    expect(passages.some((p) => p.kind === 'summary')).toBe(true);

    const providers = createOpenAIProviders({ apiKey: fake.apiKey, baseURL: fake.url, maxRetries: 0 });
    const res = await ask(t.db, 'Which irrigation schedules are discussed?', { videoId: 'pod', chat: providers.chat });
    expect(res.found).toBe(true);
    expect(res.citations[0]).toMatchObject({ passageId: 'pod:chapter:300.0', tStart: 300, tEnd: 600 });
    expect(res.dropped).toEqual([]);
  });
});
