import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import type { Logger, Passage } from '@videoqa/core';
import { createOpenAIProviders } from '@videoqa/stages';
import { reportFallbacks } from '../src/providers/fallbacks.ts';
import { segmentsFromText, speechRegions } from '../src/providers/speech-times.ts';
import { FakeOpenAIServer, LOCAL_EMBEDDING_DIMENSIONS, makeSpeechTrack } from '@videoqa/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

/** A server like Ollama/vLLM/LocalAI: no auth, no json_schema, no verbose_json, no base64 embeddings, 768 dimensions. */
let local: FakeOpenAIServer;
beforeAll(async () => {
  local = await FakeOpenAIServer.start({ local: true });
});
afterAll(async () => local.close());
beforeEach(() => local.reset());

const providers = () =>
  createOpenAIProviders({
    apiKey: 'no-key',
    baseURL: local.url,
    maxRetries: 0,
    timeoutMs: 60_000,
    transcriptionModel: 'whisper-large-v3',
    visionModel: 'llava',
    embeddingModel: 'nomic-embed-text',
    embeddingDimensions: LOCAL_EMBEDDING_DIMENSIONS,
    chatModel: 'llama3.1',
  });

/** A logger that keeps what was warned. */
function capturingLogger(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  const logger = {
    warnings,
    debug() {},
    info() {},
    error() {},
    warn: (a: unknown, b?: string) => void warnings.push(typeof a === 'string' ? a : (b ?? '')),
    child: () => logger,
  };
  return logger as Logger & { warnings: string[] };
}

describe('providers against a local-style server', () => {
  it('transcription: verbose_json refused, falls back to plain text timed by silence detection, once', async () => {
    const track = await makeSpeechTrack(
      ['The first sentence is here.', 'A second one follows after a pause.', 'And the last words.'],
      { gapSec: 1.5 },
    );
    const p = providers();
    const audio = new Uint8Array(readFileSync(track.path));
    const first = await p.transcription.transcribe({ audio, fileName: 'audio.wav' });
    const second = await p.transcription.transcribe({ audio, fileName: 'audio.wav' });
    // The first call is refused once, then plain json; the second goes straight to json.
    expect(local.requestsFor('transcriptions').map((r) => [r.responseFormat, r.status])).toEqual([
      ['verbose_json', 400],
      ['json', 200],
      ['json', 200],
    ]);
    expect(p.transcription.fallbacks).toEqual([
      expect.objectContaining({
        capability: 'transcription',
        from: 'response_format: verbose_json',
        reason: expect.stringMatching(/400.*verbose_json/),
      }),
    ]);
    expect(second.segments).toEqual(first.segments);
    // One segment per spoken sentence (the fake says one phrase per speech region), each overlapping it.
    expect(first.segments).toHaveLength(track.regions.length);
    first.segments.forEach((s, i) => {
      expect(s.start).toBeLessThan(track.regions[i]!.end);
      expect(s.end).toBeGreaterThan(track.regions[i]!.start);
    });
    expect(first.segments.map((s) => s.text).join(' ')).toBe(first.text.trim().split(/\s+/).join(' '));
  });

  it('vision: json_schema refused, falls back to json_object + zod, and repairs a bad reply with one more request', async () => {
    const p = providers();
    const image = new Uint8Array(
      await sharp({ create: { width: 64, height: 48, channels: 3, background: 'red' } })
        .jpeg()
        .toBuffer(),
    );
    const a = await p.vision.describeFrame({ image, mimeType: 'image/jpeg' });
    expect(a.caption).toMatch(/red/);
    expect(local.requestsFor('chat').map((r) => [r.responseFormat ?? null, r.status])).toEqual([
      [null, 400],
      ['json_object', 200],
    ]);
    local.reset();
    local.inject('chat', { malformed: 'schema' });
    const b = await p.vision.describeFrame({ image, mimeType: 'image/jpeg' });
    expect(b.entities.people_count).toBe(0);
    const chats = local.requestsFor('chat');
    expect(chats).toHaveLength(2);
    expect(chats[1]!.messages!.at(-1)!.content).toMatch(/does not match the required JSON Schema \(caption: /);
    local.reset();
    local.inject('chat', { malformed: 'schema', times: 2 });
    await expect(p.vision.describeFrame({ image, mimeType: 'image/jpeg' })).rejects.toMatchObject({
      code: 'PROVIDER_MALFORMED_REPLY',
      message: expect.stringMatching(/after one repair request/),
    });
    expect(local.requestsFor('chat')).toHaveLength(2);
    expect(p.vision.fallbacks).toHaveLength(1);
  });

  it('embeddings: base64 refused, falls back to floats of the server size', async () => {
    const p = providers();
    const a = await p.embeddings.embed(['hello world', 'another text']);
    await p.embeddings.embed(['third']);
    expect(a.vectors.map((v) => v.length)).toEqual([768, 768]);
    expect(local.requestsFor('embeddings').map((r) => [r.encodingFormat ?? null, r.status])).toEqual([
      [null, 400],
      ['float', 200],
      ['float', 200],
    ]);
    expect(p.embeddings.fallbacks).toEqual([
      expect.objectContaining({ from: 'encoding_format: base64', to: 'encoding_format: float' }),
    ]);
  });

  it('chat (ask): json_schema refused, streamed json_object answer validated', async () => {
    const p = providers();
    const passages: Passage[] = [
      {
        id: 'v1:segment:0.0',
        videoId: 'v1',
        kind: 'segment',
        tStart: 0,
        tEnd: 5,
        text: 'The soup simmers for twenty minutes.',
        score: 1,
        sources: ['v1_segment_000'],
      },
    ];
    const tokens: string[] = [];
    const reply = await p.chat.answer({
      question: 'How long does the soup simmer?',
      passages,
      onToken: (t) => tokens.push(t),
    });
    expect(reply).toMatchObject({ found: true, citations: [{ passage_id: 'v1:segment:0.0' }] });
    expect(tokens.join('')).toBe(reply.answer);
    expect(local.requestsFor('chat').map((r) => [r.responseFormat ?? null, r.status, r.stream ?? false])).toEqual([
      [null, 400, false],
      ['json_object', 200, true],
    ]);
    expect(p.chat.fallbacks).toEqual([
      expect.objectContaining({ capability: 'chat', from: 'response_format: json_schema' }),
    ]);
  });

  it('chapters: json_schema refused, json_object + zod for this and every later request', async () => {
    const p = providers();
    const request = {
      task: 'chapters' as const,
      durationSec: 60,
      rangeStart: 0,
      rangeEnd: 60,
      minChapterSec: 20,
      items: [
        { start: 0, end: 10, kind: 'speech' as const, text: 'Welcome to the garden tour.' },
        { start: 30, end: 40, kind: 'speech' as const, text: 'Now we prune the climbing roses.' },
      ],
    };
    const first = await p.chapters.draftChapters(request);
    expect(first.draft.chapters.length).toBeGreaterThan(0);
    expect(first.draft.summary.length).toBeGreaterThan(0);
    await p.chapters.draftChapters(request);
    expect(local.requestsFor('chat').map((r) => [r.responseFormat ?? null, r.status])).toEqual([
      [null, 400],
      ['json_object', 200],
      ['json_object', 200],
    ]);
    expect(reportFallbacks(p.chapters, capturingLogger())).toEqual([
      expect.objectContaining({ capability: 'chat', from: 'response_format: json_schema' }),
    ]);
  });

  it('logs each fallback once however many times it is reported', async () => {
    const p = providers();
    await p.embeddings.embed(['one']);
    await p.embeddings.embed(['two']);
    const log = capturingLogger();
    expect(reportFallbacks(p.embeddings, log)).toHaveLength(1);
    expect(reportFallbacks(p.embeddings, log)).toHaveLength(1);
    expect(log.warnings).toEqual([
      expect.stringMatching(
        /^embeddings: the server refused encoding_format: base64; using encoding_format: float instead/,
      ),
    ]);
  });
});

describe('segment times from silences', () => {
  it('shares the words over the spoken stretches in order, in proportion to their length', () => {
    const regions = speechRegions(
      [
        { start: 2, end: 3 },
        { start: 7, end: 8 },
      ],
      10,
    );
    expect(regions).toEqual([
      { start: 0, end: 2 },
      { start: 3, end: 7 },
      { start: 8, end: 10 },
    ]);
    const segs = segmentsFromText('one two three four five six seven eight', regions, 10);
    expect(segs).toEqual([
      { start: 0, end: 2, text: 'one two' },
      { start: 3, end: 7, text: 'three four five six' },
      { start: 8, end: 10, text: 'seven eight' },
    ]);
    expect(segmentsFromText('', regions, 10)).toEqual([]);
    expect(segmentsFromText('all of it', [], 4)).toEqual([{ start: 0, end: 4, text: 'all of it' }]);
  });
});
