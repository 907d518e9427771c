import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { frameId, MemoryStore, runPipeline, sceneId, segmentId, type FrameRow, type Stage } from '@videoqa/core';
import { embeddingsStage, transcriptionStages, visionStage } from '@videoqa/stages';
import { FakeOpenAIServer, makeSpeechTrack, makeToneWav, makeVideo, toneRegions } from '@videoqa/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runOn, tempDataDir } from './helpers.ts';

let fake: FakeOpenAIServer;
beforeAll(async () => {
  fake = await FakeOpenAIServer.start();
});
afterAll(async () => fake.close());
beforeEach(() => {
  fake.reset();
  for (const r of ['chat', 'embeddings', 'transcriptions'] as const) fake.setLatency(r, 0);
});

// A generous request timeout: on a loaded machine a 2 s limit turned slow-but-fine requests into
// retries, and the request counts below would then be wrong for reasons the code is not at fault for.
const ai = () => ({ openaiApiKey: fake.apiKey, openaiBaseUrl: fake.url, openaiTimeoutMs: 60_000, openaiMaxRetries: 2 });

const COLOURS = [
  'red',
  'green',
  'blue',
  'yellow',
  'magenta',
  'cyan',
  'white',
  'orange',
  'grey',
  'black',
  'navy',
  'olive',
  'purple',
  'teal',
  'maroon',
  'lime',
];

/** A MemoryStore holding a video with `n` frames (distinct solid colours), `duplicates` of them marked as repeats. */
async function storeWithFrames(n: number, duplicates: number[] = []): Promise<{ store: MemoryStore; dataDir: string }> {
  const dataDir = tempDataDir('vq-ai-');
  const store = new MemoryStore();
  await store.saveVideo({ id: 'v1', originalPath: 'uploads/v1_x.mp4' });
  await store.replaceScenes(
    'v1',
    Array.from({ length: n }, (_, i) => ({ id: sceneId('v1', i), videoId: 'v1', idx: i, tStart: i, tEnd: i + 1 })),
  );
  mkdirSync(join(dataDir, 'frames/v1'), { recursive: true });
  const frames: FrameRow[] = [];
  for (let i = 0; i < n; i++) {
    const path = `frames/v1/scene_${String(i).padStart(3, '0')}.jpg`;
    await sharp({ create: { width: 1280, height: 720, channels: 3, background: COLOURS[i % COLOURS.length]! } })
      .jpeg()
      .toFile(join(dataDir, path));
    frames.push({
      id: frameId('v1', i),
      videoId: 'v1',
      sceneId: sceneId('v1', i),
      idx: i,
      t: i + 0.5,
      path,
      phash: '0123456789abcdef',
      duplicateOf: duplicates.includes(i) ? frameId('v1', 0) : null,
    });
  }
  await store.replaceFrames('v1', frames);
  return { store, dataDir };
}

/** Runs stages on their own: the store already holds what their dependencies would have made. */
const runStages = (
  stages: Stage[],
  store: MemoryStore,
  dataDir: string,
  config: Record<string, unknown> = {},
  resume = true,
) =>
  runPipeline({
    video: { id: 'v1', originalPath: 'uploads/v1_x.mp4' },
    stages: stages.map((s) => ({ ...s, after: [] })),
    store,
    config: { dataDir, ...ai(), ...config },
    resume,
  });

describe('transcribe (through the openai SDK, against the fake server)', () => {
  it('turns speech into segments with the seed ids and a valid SRT', async () => {
    const sentences = [
      'The quick brown fox jumps over the lazy dog.',
      'Video processing happens in six stages.',
      'Thank you for watching.',
    ];
    const v = await makeVideo({
      shots: [{ source: 'testsrc2', seconds: 9 }],
      audio: { kind: 'speech', sentences, gapSec: 1.2 },
    });
    const scripted = await FakeOpenAIServer.start({ apiKey: fake.apiKey, transcriptScript: sentences });
    try {
      const { result, store, dataDir } = await runOn(v.path, transcriptionStages(), {
        config: { ...ai(), openaiBaseUrl: scripted.url },
      });
      expect(result.status).toBe('done');
      const segments = await store.listSegments('v1');
      expect(segments.map((s) => s.id)).toEqual([segmentId('v1', 0), segmentId('v1', 1), segmentId('v1', 2)]);
      expect(segments.map((s) => s.text)).toEqual(sentences);
      v.speech!.regions.forEach((r, i) => {
        expect(segments[i]!.tStart).toBeCloseTo(r.start, 0);
        expect(segments[i]!.tEnd).toBeCloseTo(r.end, 0);
      });
      const srt = readFileSync(join(dataDir, 'subs/v1.srt'), 'utf8');
      const cues = srt.trim().split('\n\n');
      expect(cues).toHaveLength(3);
      cues.forEach((cue, i) => {
        const [n, times, text] = cue.split('\n');
        expect(n).toBe(String(i + 1));
        expect(times).toMatch(/^\d\d:\d\d:\d\d,\d\d\d --> \d\d:\d\d:\d\d,\d\d\d$/);
        expect(text).toBe(sentences[i]);
      });
      const req = scripted.requestsFor('transcriptions');
      expect(req).toHaveLength(1);
      expect(req[0]).toMatchObject({ model: 'whisper-1', responseFormat: 'verbose_json', fileName: 'audio.wav' });
      expect(result.stages.transcribe!.usage.requests).toBe(1);
      expect(result.stages.transcribe!.usage.audioSeconds).toBeCloseTo(v.durationSec, 0);
    } finally {
      await scripted.close();
    }
  });

  it.each([
    [30, 'a 30-minute track'],
    [120, 'a 2-hour track'],
  ])(
    'splits %i minutes of audio (%s) into chunks under 25 MB, transcribed concurrently, correct at the seams',
    async (minutes) => {
      const duration = minutes * 60;
      const regions = toneRegions(duration);
      const wav = await makeToneWav(duration, regions);
      const { result, store } = await runOn(wav, transcriptionStages(), { config: ai() });
      expect(result.status).toBe('done');
      const reqs = fake.requestsFor('transcriptions');
      expect(reqs.length).toBe(Math.ceil(duration / 600));
      expect(new Set(reqs.map((r) => r.fileName)).size).toBe(reqs.length); // each chunk sent once
      for (const r of reqs) {
        expect(r.status).toBe(200);
        expect(r.fileBytes).toBeLessThan(25 * 1024 * 1024);
        expect(r.fileName).toMatch(/^chunk_\d{3}\.mp3$/);
      }
      expect(fake.maxConcurrent('transcriptions')).toBeGreaterThan(1);
      const segments = await store.listSegments('v1');
      // every burst exactly once, at its true time, in order, never overlapping
      expect(segments).toHaveLength(regions.length);
      segments.forEach((s, i) => {
        expect(Math.abs(s.tStart - regions[i]!.start)).toBeLessThan(0.15);
        expect(Math.abs(s.tEnd - regions[i]!.end)).toBeLessThan(0.15);
        if (i > 0) expect(s.tStart).toBeGreaterThanOrEqual(segments[i - 1]!.tEnd);
      });
      expect(segments.at(-1)!.id).toBe(segmentId('v1', regions.length - 1));
    },
    300_000,
  );

  it('the fake refuses uploads over 25 MB with 413, as the real API does, and that is not retried', async () => {
    const { createOpenAIProviders } = await import('@videoqa/stages');
    const { transcription } = createOpenAIProviders({ apiKey: fake.apiKey, baseURL: fake.url, maxRetries: 2 });
    const err = await transcription
      .transcribe({ audio: new Uint8Array(26 * 1024 * 1024), fileName: 'big.wav' })
      .catch((e: Error) => e);
    expect(err).toMatchObject({ code: 'PROVIDER_BAD_REQUEST', status: 413, retryable: false });
    expect(fake.requestsFor('transcriptions')).toHaveLength(1);
  });

  it('is skipped, with the reason, when there is no API key', async () => {
    const v = await makeVideo({ shots: [{ source: 'testsrc2', seconds: 1 }], audio: { kind: 'tone' } });
    const { result } = await runOn(v.path, transcriptionStages());
    expect(result.stages.transcribe).toMatchObject({
      status: 'skipped',
      reason: 'OPENAI_API_KEY is not set: transcription skipped',
    });
    expect(fake.requests).toHaveLength(0);
  });
});

describe('vision', () => {
  it('keeps VISION_MAX_CONCURRENT requests in flight, never more', async () => {
    const { store, dataDir } = await storeWithFrames(12);
    fake.setLatency('chat', 1500);
    const result = await runStages([visionStage()], store, dataDir, { visionMaxConcurrent: 3 });
    expect(result.status).toBe('done');
    const reqs = fake.requestsFor('chat').sort((a, b) => a.startedAt - b.startedAt);
    expect(reqs).toHaveLength(12);
    expect(fake.maxConcurrent('chat')).toBe(3);
    // never more than three: request k starts only after k-2 of those before it have ended
    const ends = reqs.map((r) => r.endedAt).sort((a, b) => a - b);
    for (let k = 3; k < reqs.length; k++) expect(reqs[k]!.startedAt).toBeGreaterThanOrEqual(ends[k - 3]!);
    const captions = await store.listCaptions('v1');
    expect(captions).toHaveLength(12);
    expect(captions[0]).toMatchObject({
      id: 'v1_frame_000_caption',
      frameId: 'v1_frame_000',
      caption: expect.stringMatching(/mostly red tones/),
    });
    expect(captions[0]!.entities).toEqual({ objects: ['red area'], text: [], controls: [], people_count: 0 });
    // images are downscaled before upload
    for (const r of reqs) {
      expect(r.imageCount).toBe(1);
      expect(r.responseFormat).toBe('frame_analysis');
      expect(r.model).toBe('gpt-4o');
    }
    expect(result.stages.vision!.usage).toMatchObject({ requests: 12 });
    expect(result.stages.vision!.usage.inputTokens).toBeGreaterThan(0);
  });

  it('downscales frames before sending them', async () => {
    const { store, dataDir } = await storeWithFrames(1);
    await runStages([visionStage({ maxImageSide: 512 })], store, dataDir);
    const caption = (await store.listCaptions('v1'))[0]!.caption;
    expect(caption).toMatch(/\(512x288\)/);
  });

  it('does not send duplicate frames', async () => {
    const { store, dataDir } = await storeWithFrames(6, [2, 4]);
    const result = await runStages([visionStage()], store, dataDir);
    expect(result.stages.vision!.counts).toMatchObject({ sent: 4, duplicatesSkipped: 2 });
    expect(fake.requestsFor('chat')).toHaveLength(4);
    expect((await store.listCaptions('v1')).map((c) => c.frameId)).toEqual([
      'v1_frame_000',
      'v1_frame_001',
      'v1_frame_003',
      'v1_frame_005',
    ]);
  });

  it.each([
    ['429 with Retry-After', { status: 429, retryAfter: 1 }],
    ['500', { status: 500 }],
    ['a timeout', { hang: true }],
    ['a dropped connection', { reset: true }],
  ])('retries after %s', async (_name, fault) => {
    const { store, dataDir } = await storeWithFrames(1);
    fake.inject('chat', fault);
    // only the hanging request needs a short timeout to be cut off
    const result = await runStages([visionStage()], store, dataDir, 'hang' in fault ? { openaiTimeoutMs: 3000 } : {});
    expect(result.status).toBe('done');
    const reqs = fake.requestsFor('chat');
    expect(reqs).toHaveLength(2);
    if ('retryAfter' in fault) expect(reqs[1]!.startedAt - reqs[0]!.startedAt).toBeGreaterThanOrEqual(950);
  });

  it('gives up after the retries with a retryable error', async () => {
    const { store, dataDir } = await storeWithFrames(1);
    fake.inject('chat', { status: 503, times: 10 });
    const result = await runStages([visionStage()], store, dataDir, { openaiMaxRetries: 1 });
    expect(result.status).toBe('failed');
    expect(result.error).toMatchObject({ code: 'VISION_FRAME_FAILED', retryable: true });
    expect(fake.requestsFor('chat')).toHaveLength(2);
  });

  it.each([
    ['400', { status: 400 }, 'PROVIDER_BAD_REQUEST'],
    ['404', { status: 404 }, 'PROVIDER_NOT_FOUND'],
  ])('does not retry a %s and fails non-retryably', async (_name, fault, code) => {
    const { store, dataDir } = await storeWithFrames(1);
    fake.inject('chat', fault);
    // only the hanging request needs a short timeout to be cut off
    const result = await runStages([visionStage()], store, dataDir, 'hang' in fault ? { openaiTimeoutMs: 3000 } : {});
    expect(result.status).toBe('failed');
    expect(result.error).toMatchObject({ code: 'VISION_FRAME_FAILED', retryable: false });
    expect((result.error!.cause as { code: string }).code).toBe(code);
    expect(fake.requestsFor('chat')).toHaveLength(1);
  });

  it('fails on a wrong API key without retrying and without repeating the key', async () => {
    const { store, dataDir } = await storeWithFrames(1);
    const wrongKey = 'sk-wrong-0123456789abcdefSECRET';
    const result = await runStages([visionStage()], store, dataDir, { openaiApiKey: wrongKey });
    expect(result.status).toBe('failed');
    expect((result.error!.cause as { code: string }).code).toBe('PROVIDER_AUTH');
    expect(result.error).toMatchObject({ retryable: false });
    expect(fake.requestsFor('chat')).toHaveLength(1);
    expect(fake.requestsFor('chat')[0]!.authorization).toBe('wrong');
    const everything = `${result.error!.message} ${(result.error!.cause as Error).message} ${JSON.stringify(result)}`;
    expect(everything).not.toContain(wrongKey);
    expect(everything).not.toContain('SECRET');
    expect(result.error!.message).toMatch(/Incorrect API key provided: \*\*\*/);
  });

  it.each([
    ['invalid JSON', 'json' as const],
    ['content that violates the schema', 'schema' as const],
  ])('treats %s as an error, storing nothing', async (_name, malformed) => {
    const { store, dataDir } = await storeWithFrames(1);
    fake.inject('chat', { malformed });
    const result = await runStages([visionStage()], store, dataDir);
    expect(result.status).toBe('failed');
    expect((result.error!.cause as { code: string }).code).toBe('PROVIDER_MALFORMED_REPLY');
    expect(await store.listCaptions('v1')).toEqual([]);
  });

  it('names the failing frame, keeps the captions already made, and a rerun sends only the rest', async () => {
    const { store, dataDir } = await storeWithFrames(8);
    fake.setLatency('chat', 50);
    // requests 1-3 succeed; after the third caption is saved the API refuses everything
    const faultAfter = 3;
    let seen = 0;
    const provider = visionStage();
    const counting: Stage = {
      ...provider,
      async run(ctx) {
        return provider.run({
          ...ctx,
          store: new Proxy(ctx.store, {
            get(target, prop, receiver) {
              if (prop === 'saveCaptions') {
                return async (...args: Parameters<MemoryStore['saveCaptions']>) => {
                  await target.saveCaptions(...args);
                  if (++seen === faultAfter) fake.inject('chat', { status: 400, times: 100 });
                };
              }
              return Reflect.get(target, prop, receiver);
            },
          }),
        });
      },
    };
    const first = await runStages([counting], store, dataDir, { visionMaxConcurrent: 1 });
    expect(first.status).toBe('failed');
    expect(first.error!.message).toMatch(/vision failed on frame v1_frame_003 \(frames\/v1\/scene_003\.jpg\)/);
    expect((await store.listCaptions('v1')).map((c) => c.frameId)).toEqual([
      'v1_frame_000',
      'v1_frame_001',
      'v1_frame_002',
    ]);
    expect(first.stages.vision!.usage.requests).toBe(3);

    fake.reset();
    const second = await runStages([visionStage()], store, dataDir, {}, false);
    expect(second.status).toBe('done');
    expect(fake.requestsFor('chat')).toHaveLength(5);
    expect(second.stages.vision!.counts).toMatchObject({ sent: 5, captions: 8 });
    expect(await store.listCaptions('v1')).toHaveLength(8);
  });
});

describe('embeddings', () => {
  it('embeds segments and captions in batches, 1536 dimensions, skipping empty texts', async () => {
    const { store, dataDir } = await storeWithFrames(3);
    await store.saveCaptions(
      'v1',
      [0, 1, 2].map((i) => ({
        id: `${frameId('v1', i)}_caption`,
        frameId: frameId('v1', i),
        videoId: 'v1',
        caption: `caption ${i}`,
        entities: { text: ['Log in'], objects: ['button'] },
      })),
    );
    const texts = Array.from({ length: 600 }, (_, i) =>
      i % 100 === 7 ? '   ' : `segment number ${i} about topic ${i % 13}`,
    );
    await store.replaceSegments(
      'v1',
      texts.map((text, i) => ({ id: segmentId('v1', i), videoId: 'v1', idx: i, tStart: i, tEnd: i + 1, text })),
    );
    const result = await runStages([embeddingsStage()], store, dataDir, { embeddingBatchSize: 256 });
    expect(result.status).toBe('done');
    const reqs = fake.requestsFor('embeddings');
    expect(reqs.map((r) => r.inputs!.length)).toEqual([256, 256, 85]);
    expect(reqs.every((r) => r.model === 'text-embedding-3-small')).toBe(true);
    // the SDK asks for base64 and decodes it; the fake answers in kind
    expect(reqs.every((r) => r.encodingFormat === 'base64')).toBe(true);
    const sent = reqs.flatMap((r) => r.inputs!);
    expect(sent.some((t) => t.trim() === '')).toBe(false);
    expect(sent).toContain('caption 1\nOn screen: Log in\nObjects: button');
    expect(store.getEmbedding('segment', segmentId('v1', 0))).toHaveLength(1536);
    expect(store.getEmbedding('segment', segmentId('v1', 7))).toBeUndefined();
    expect(store.getEmbedding('caption', 'v1_frame_002_caption')).toHaveLength(1536);
    expect(result.stages.embeddings!.counts).toMatchObject({ vectors: 597, requests: 3 });
    expect(result.stages.embeddings!.usage.inputTokens).toBeGreaterThan(0);
    // a rerun sends nothing that already has a vector
    fake.reset();
    const again = await runStages([embeddingsStage()], store, dataDir, {}, false);
    expect(again.stages.embeddings!.counts).toMatchObject({ vectors: 0, alreadyEmbedded: 597 });
    expect(fake.requestsFor('embeddings')).toHaveLength(0);
  });

  it('refuses vectors of the wrong size', async () => {
    const { store, dataDir } = await storeWithFrames(1);
    await store.replaceSegments('v1', [
      { id: segmentId('v1', 0), videoId: 'v1', idx: 0, tStart: 0, tEnd: 1, text: 'hello' },
    ]);
    fake.inject('embeddings', { malformed: 'schema' });
    const result = await runStages([embeddingsStage()], store, dataDir);
    expect(result.status).toBe('failed');
    expect(result.error).toMatchObject({ code: 'PROVIDER_MALFORMED_REPLY' });
    expect(result.error!.message).toMatch(/dimensions/);
  });
});

describe('speech track helper', () => {
  it('places sentences where it says', async () => {
    const track = await makeSpeechTrack(['One two three.', 'Four five six.'], { gapSec: 1 });
    expect(track.regions[1]!.start).toBeGreaterThan(track.regions[0]!.end + 0.9);
  });
});
