import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import OpenAI, { toFile } from 'openai';
import { transcriptionStages } from '@videoqa/stages';
import { FakeOpenAIServer, makeSpeechTrack, makeVideoWithAudio, TWO_VOICES } from '@videoqa/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runOn } from './helpers.ts';

const SENTENCES = [
  'Good morning and welcome to the podcast.',
  'Thank you, it is great to be here.',
  'Tell us about your new garden.',
  'It has tomatoes, beans and roses.',
  'How often do you water the roses?',
  'Every morning before the sun is high.',
  'That sounds like a lot of work.',
  'It is, but the flowers are worth it.',
];
/** Sentence i is spoken by voice i % 2: the conversation alternates A, B, A, B... */
const EXPECTED = SENTENCES.map((_, i) => (i % 2 === 0 ? 'A' : 'B'));
// Long gaps: a chunk cut in the middle of one leaves the 2 s overlap silent, so the next chunk starts with its own first speaker.
const GAP = 4.5;

let fake: FakeOpenAIServer;
beforeAll(async () => {
  fake = await FakeOpenAIServer.start({ transcriptScript: SENTENCES });
});
afterAll(async () => fake.close());

const diarized = () => ({
  openaiApiKey: fake.apiKey,
  openaiBaseUrl: fake.url,
  openaiTimeoutMs: 60_000,
  openaiMaxRetries: 0,
  transcriptionModel: 'gpt-4o-transcribe-diarize',
});

describe('speaker labels (gpt-4o-transcribe-diarize, diarized_json, through the openai SDK)', () => {
  it('labels two generated voices as two speakers, in segments, SRT and the stage output', async () => {
    fake.reset();
    const track = await makeSpeechTrack(SENTENCES.slice(0, 4), { voices: TWO_VOICES, gapSec: 1.5 });
    const video = await makeVideoWithAudio(track.path);
    const { result, store, dataDir } = await runOn(video, transcriptionStages(), { config: diarized() });
    expect(result.status).toBe('done');
    const segments = await store.listSegments('v1');
    expect(segments.map((s) => s.text)).toEqual(SENTENCES.slice(0, 4));
    expect(segments.map((s) => s.speaker)).toEqual(['A', 'B', 'A', 'B']);
    expect(result.stages.transcribe!.data).toMatchObject({ speakers: ['A', 'B'] });
    const srt = readFileSync(join(dataDir, 'subs/v1.srt'), 'utf8');
    expect(srt.split('\n\n').map((cue) => cue.split('\n')[2])).toEqual(
      SENTENCES.slice(0, 4).map((s, i) => `[Speaker ${EXPECTED[i]}] ${s}`),
    );
    const [req] = fake.requestsFor('transcriptions');
    expect(req).toMatchObject({
      model: 'gpt-4o-transcribe-diarize',
      responseFormat: 'diarized_json',
      chunkingStrategy: 'auto',
      knownSpeakerNames: [],
    });
  }, 120_000);

  it("keeps each speaker's label across chunk boundaries by sending clips of the voices heard so far", async () => {
    fake.reset();
    const track = await makeSpeechTrack(SENTENCES, { voices: TWO_VOICES, gapSec: GAP });
    // Cut in the silence before sentence 3 (speaker B): the second chunk opens with B, whom the
    // model would call "A" if it were not told who it heard before.
    const chunkSec = track.regions[3]!.start - GAP / 2;
    const { transcribeStage, normalizeStage } = await import('@videoqa/stages');
    const video = await makeVideoWithAudio(track.path);
    const { result, store } = await runOn(
      video,
      [normalizeStage({ allowAudioOnly: true, analyzeScenes: false }), transcribeStage({ chunkSec })],
      { config: diarized() },
    );
    expect(result.status).toBe('done');
    const segments = await store.listSegments('v1');
    expect(segments).toHaveLength(SENTENCES.length);
    expect(segments.map((s) => s.speaker)).toEqual(EXPECTED);
    segments.forEach((s, i) => {
      expect(Math.abs(s.tStart - track.regions[i]!.start)).toBeLessThan(0.15);
    });
    const reqs = fake.requestsFor('transcriptions').sort((a, b) => a.startedAt - b.startedAt);
    expect(reqs.length).toBeGreaterThanOrEqual(2);
    expect(reqs[0]!.knownSpeakerNames).toEqual([]);
    for (const r of reqs.slice(1)) expect(r.knownSpeakerNames).toEqual(['Speaker A', 'Speaker B']);
    for (const r of reqs) expect(r.status).toBe(200);
  }, 180_000);

  it('whisper-1 leaves speaker empty', async () => {
    fake.reset();
    const track = await makeSpeechTrack(SENTENCES.slice(0, 2), { voices: TWO_VOICES, gapSec: 1.5 });
    const { result, store } = await runOn(await makeVideoWithAudio(track.path), transcriptionStages(), {
      config: { ...diarized(), transcriptionModel: 'whisper-1' },
    });
    expect(result.status).toBe('done');
    expect((await store.listSegments('v1')).map((s) => s.speaker ?? null)).toEqual([null, null]);
    expect(result.stages.transcribe!.data).toMatchObject({ speakers: [] });
  }, 120_000);
});

describe('the fake enforces the diarize request rules the openai SDK documents', () => {
  let long: Buffer;
  let client: OpenAI;
  beforeAll(async () => {
    const track = await makeSpeechTrack(SENTENCES, { voices: TWO_VOICES, gapSec: GAP });
    expect(track.durationSec).toBeGreaterThan(30);
    long = readFileSync(track.path);
    client = new OpenAI({ apiKey: fake.apiKey, baseURL: fake.url, maxRetries: 0 });
  }, 120_000);
  const create = async (params: Record<string, unknown>) =>
    client.audio.transcriptions
      .create({
        file: await toFile(long, 'a.wav'),
        model: 'gpt-4o-transcribe-diarize',
        response_format: 'diarized_json',
        ...params,
      } as never)
      .then(
        () => null,
        (e: { status?: number; message: string }) => e,
      );

  it('refuses audio over 30 s without chunking_strategy', async () => {
    expect(await create({})).toMatchObject({
      status: 400,
      message: expect.stringMatching(/chunking_strategy is required/),
    });
    expect(await create({ chunking_strategy: 'auto' })).toBeNull();
  });
  it('refuses a prompt and timestamp granularities', async () => {
    expect(await create({ chunking_strategy: 'auto', prompt: 'A podcast.' })).toMatchObject({
      status: 400,
      message: expect.stringMatching(/prompt is not supported/),
    });
    expect(await create({ chunking_strategy: 'auto', timestamp_granularities: ['segment'] })).toMatchObject({
      status: 400,
    });
  });
  it('refuses diarized_json on other models and reference clips outside 2-10 s', async () => {
    expect(await create({ model: 'whisper-1' })).toMatchObject({
      status: 400,
      message: expect.stringMatching(/diarized_json/),
    });
    const ref = `data:audio/wav;base64,${long.toString('base64')}`;
    expect(
      await create({ chunking_strategy: 'auto', known_speaker_names: ['x'], known_speaker_references: [ref] }),
    ).toMatchObject({ status: 400, message: expect.stringMatching(/between 2 and 10 seconds/) });
  });
});
