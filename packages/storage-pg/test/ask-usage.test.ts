import { segmentId, VideoqaError } from '@videoqa/core';
import { createOpenAIProviders, type OpenAIProviders } from '@videoqa/stages';
import { ask, askUsageSummary, PgStore, questionHash, type AskResult } from '@videoqa/storage-pg';
import { FakeOpenAIServer, type TestDb } from '@videoqa/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DB_KINDS, testDb } from './helpers.ts';

const SOUP: [number, number, string][] = [
  [0, 4, 'Welcome to the cooking show.'],
  [5, 9, 'Today we make a tomato soup together.'],
  [35, 40, 'Next we add two cloves of garlic and let the soup simmer for twenty minutes.'],
];

interface Row {
  question_sha256: string;
  question_chars: number;
  video_id: string | null;
  outcome: string;
  found: boolean;
  model: string | null;
  passages: number;
  citations: number;
  citations_dropped: number;
  requests: number;
  input_tokens: number;
  output_tokens: number;
  total_tokens: number;
  embedding_requests: number;
  embedding_tokens: number;
  error_code: string | null;
}

let fake: FakeOpenAIServer;
let ai: OpenAIProviders;
beforeAll(async () => {
  fake = await FakeOpenAIServer.start();
  ai = createOpenAIProviders({ apiKey: fake.apiKey, baseURL: fake.url, maxRetries: 0, chatModel: 'gpt-4o-mini' });
});
afterAll(async () => fake.close());

describe.each(DB_KINDS)('ask usage recorded on %s', (kind) => {
  let t: TestDb;
  const rows = async () => (await t.db.query<Row>('SELECT * FROM ask_usage ORDER BY id')).rows;
  const opts = () => ({ chat: ai.chat, embeddings: ai.embeddings });

  beforeAll(async () => {
    t = await testDb(kind);
    const store = new PgStore(t.db);
    for (const videoId of ['soup', 'other']) {
      await store.saveVideo({ id: videoId, originalPath: `uploads/${videoId}_x.mp4`, status: 'ready' });
      const segments = SOUP.map(([tStart, tEnd, text], i) => ({
        id: segmentId(videoId, i),
        videoId,
        idx: i,
        tStart,
        tEnd,
        text,
      }));
      await store.replaceSegments(videoId, segments);
      const { vectors } = await ai.embeddings.embed(segments.map((s) => s.text));
      await store.setEmbeddings(
        'segment',
        segments.map((s, i) => ({ id: s.id, embedding: vectors[i]! })),
      );
    }
    await store.saveVideo({ id: 'busy', originalPath: 'uploads/busy_x.mp4', status: 'processing' });
  });
  afterAll(async () => t.close());
  beforeEach(async () => {
    fake.reset();
    fake.setAskMode('grounded');
    await t.db.query('DELETE FROM ask_usage');
  });

  const expectRecorded = (row: Row, res: AskResult) =>
    expect(row).toMatchObject({
      found: res.found,
      model: res.model,
      passages: res.passages.length,
      citations: res.citations.length,
      citations_dropped: res.dropped.length,
      requests: res.usage.requests ?? 0,
      input_tokens: res.usage.inputTokens ?? 0,
      output_tokens: res.usage.outputTokens ?? 0,
      total_tokens: res.usage.totalTokens ?? 0,
      embedding_requests: res.usage.embeddingRequests ?? 0,
      embedding_tokens: res.usage.embeddingTokens ?? 0,
      error_code: null,
    });

  it('records an answered question with its usage, counts and model, keeping only a hash of the words', async () => {
    const question = '  How long does the soup simmer?  ';
    const res = await ask(t.db, question, { ...opts(), videoId: 'soup' });
    expect(res.found).toBe(true);
    const [row, ...more] = await rows();
    expect(more).toEqual([]);
    expectRecorded(row!, res);
    expect(row).toMatchObject({
      video_id: 'soup',
      outcome: 'answered',
      question_sha256: questionHash('How long does the soup simmer?'),
      question_chars: 30,
      model: 'gpt-4o-mini',
      requests: 1,
      citations: 1,
    });
    expect(row!.input_tokens).toBeGreaterThan(0);
    expect(row!.embedding_requests).toBe(1);
    // Privacy: the words of the question are nowhere in the record.
    expect(JSON.stringify(row).toLowerCase()).not.toContain('simmer');
  });

  it('records dropped citations, not-found replies and whole-library questions (video null)', async () => {
    fake.setAskMode('invalid_citations');
    const invalid = await ask(t.db, 'How long does the soup simmer?', { ...opts(), videoId: 'soup' });
    fake.setAskMode('not_found');
    const notFound = await ask(t.db, 'What is the capital of Peru?', opts());
    const [a, b] = await rows();
    expectRecorded(a!, invalid);
    expect(a).toMatchObject({ outcome: 'answered', citations: 1, citations_dropped: 3, video_id: 'soup' });
    expectRecorded(b!, notFound);
    expect(b).toMatchObject({ outcome: 'not_found', found: false, citations: 0, video_id: null });
  });

  it('records an ask without a chat provider as no_chat_provider with no chat request', async () => {
    const res = await ask(t.db, 'soup simmer', { embeddings: ai.embeddings });
    expect(res.skipped).toBe('no_chat_provider');
    const [row] = await rows();
    expectRecorded(row!, res);
    expect(row).toMatchObject({ outcome: 'no_chat_provider', requests: 0, model: null, video_id: null });
    expect(row!.passages).toBeGreaterThan(0);
  });

  it('records a failed chat request as failed with its error code, and still throws the error', async () => {
    fake.inject('chat', { status: 400 });
    const err = await ask(t.db, 'How long does the soup simmer?', { ...opts(), videoId: 'soup' }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(VideoqaError);
    const [row] = await rows();
    expect(row).toMatchObject({
      outcome: 'failed',
      found: false,
      requests: 1,
      embedding_requests: 1,
      error_code: (err as VideoqaError).code,
      video_id: 'soup',
      model: 'gpt-4o-mini',
    });
  });

  it('records nothing for refused input: nothing was retrieved or sent', async () => {
    for (const [q, videoId] of [
      ['   ', undefined],
      ['x'.repeat(2001), undefined],
      ['soup?', 'no-such-video'],
      ['soup?', 'busy'],
    ] as const) {
      await expect(ask(t.db, q, { ...opts(), videoId })).rejects.toBeInstanceOf(VideoqaError);
    }
    expect(await rows()).toEqual([]);
    expect(fake.requests).toEqual([]);
  });

  it('sums usage over all asks and over one video', async () => {
    const results = [
      await ask(t.db, 'How long does the soup simmer?', { ...opts(), videoId: 'soup' }),
      await ask(t.db, 'How long does the soup simmer?', { ...opts(), videoId: 'soup' }),
      await ask(t.db, 'What do we make today?', opts()),
      await ask(t.db, 'tomato soup', { embeddings: ai.embeddings, videoId: 'other' }),
    ];
    const sum = (rs: AskResult[], k: string) => rs.reduce((n, r) => n + (r.usage[k] ?? 0), 0);
    const all = await askUsageSummary(t.db);
    expect(all).toMatchObject({
      asks: 4,
      distinctQuestions: 3,
      requests: 3,
      inputTokens: sum(results, 'inputTokens'),
      outputTokens: sum(results, 'outputTokens'),
      totalTokens: sum(results, 'totalTokens'),
      embeddingRequests: sum(results, 'embeddingRequests'),
      citations: results.reduce((n, r) => n + r.citations.length, 0),
      citationsDropped: 0,
      outcomes: { answered: 3, not_found: 0, no_chat_provider: 1, no_passages: 0, prompt_leak: 0, failed: 0 },
    });
    expect(all.lastAt).toBeInstanceOf(Date);
    expect(all.firstAt!.getTime()).toBeLessThanOrEqual(all.lastAt!.getTime());
    const soup = await askUsageSummary(t.db, { videoId: 'soup' });
    expect(soup).toMatchObject({
      asks: 2,
      distinctQuestions: 1,
      requests: 2,
      totalTokens: sum(results.slice(0, 2), 'totalTokens'),
    });
    expect(await askUsageSummary(t.db, { videoId: 'nothing-asked' })).toMatchObject({
      asks: 0,
      requests: 0,
      firstAt: null,
      lastAt: null,
    });
  });
});
