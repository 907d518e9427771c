import { openDatabase } from '@videoqa/storage-pg';
import { createTestDatabase, FakeOpenAIServer, makeVideo, type GeneratedVideo } from '@videoqa/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runCli, tempDir } from './helpers.ts';

/**
 * Bring your own models: capabilities split across two servers. The OpenAI-like fake
 * (strict schemas, key required) answers chat; the local-like fake (no auth, no
 * json_schema, no verbose_json, no base64, 768-dimension embeddings) does speech,
 * vision and embeddings. Then the embedding size is changed and `reembed` rebuilds.
 */
const SENTENCES = [
  'Welcome to the cooking show.',
  'Today we slice four red tomatoes.',
  'Then the soup simmers for twenty minutes.',
];
const CLI_TIMEOUT = 300_000;

let openai: FakeOpenAIServer;
let local: FakeOpenAIServer;
let pgDb: { url: string; drop: () => Promise<void> };
let video: GeneratedVideo;
const pgliteDir = tempDir('vq-byom-');
const pgDir = tempDir('vq-byom-pg-');

const targets: Record<string, () => Record<string, string>> = {
  PGlite: () => ({ DATA_DIR: pgliteDir }),
  PostgreSQL: () => ({ DATA_DIR: pgDir, DATABASE_URL: pgDb.url }),
};
/** Shared settings on the OpenAI-like server; speech, vision and embeddings on the local one, without keys. */
const splitEnv = () => ({
  OPENAI_API_KEY: openai.apiKey,
  OPENAI_BASE_URL: openai.url,
  OPENAI_TRANSCRIPTION_BASE_URL: local.url,
  OPENAI_TRANSCRIPTION_MODEL: 'whisper-large-v3',
  OPENAI_VISION_BASE_URL: local.url,
  OPENAI_VISION_MODEL: 'llava',
  OPENAI_EMBEDDING_BASE_URL: local.url,
  OPENAI_EMBEDDING_MODEL: 'nomic-embed-text',
  OPENAI_EMBEDDING_DIMENSIONS: '768',
  OCR_ENABLED: 'false',
});

beforeAll(async () => {
  openai = await FakeOpenAIServer.start({ transcriptScript: SENTENCES });
  // The local server knows the OpenAI key (it accepts any): a request carrying it would be recorded as authorization 'ok'.
  local = await FakeOpenAIServer.start({ local: true, apiKey: openai.apiKey, transcriptScript: SENTENCES });
  pgDb = await createTestDatabase(inject('pgUrl'));
  video = await makeVideo({
    shots: [
      { source: 'testsrc2', seconds: 4 },
      { source: 'smptebars', seconds: 4 },
      { source: 'mandelbrot', seconds: 4 },
    ],
    width: 320,
    height: 240,
    audio: { kind: 'speech', sentences: SENTENCES, gapSec: 1.5 },
  });
}, CLI_TIMEOUT);
afterAll(async () => {
  await openai?.close();
  await local?.close();
  await pgDb?.drop();
});

async function vectorFacts(
  env: Record<string, string>,
): Promise<{ type: string; lengths: number[]; sample: number[] }> {
  const db = await openDatabase({ databaseUrl: env.DATABASE_URL, dataDir: env.DATA_DIR, migrate: false });
  try {
    const type = (
      await db.query<{ t: string }>(
        `SELECT format_type(atttypid, atttypmod) AS t FROM pg_attribute WHERE attrelid = 'transcript_segments'::regclass AND attname = 'embedding'`,
      )
    ).rows[0]!.t;
    const rows = await db.query<{ e: string }>(
      `SELECT embedding::text AS e FROM transcript_segments WHERE embedding IS NOT NULL ORDER BY id`,
    );
    const vectors = rows.rows.map((r) =>
      r.e
        .replace(/[[\]{}]/g, '')
        .split(',')
        .map(Number),
    );
    return { type, lengths: vectors.map((v) => v.length), sample: vectors[0] ?? [] };
  } finally {
    await db.close();
  }
}

describe.each(Object.keys(targets))('capabilities split across two servers on %s', (name) => {
  const env = () => targets[name]!();

  it(
    'processes, searches and asks with speech, vision and embeddings on the local server, degrading where it lacks features',
    async () => {
      openai.reset();
      local.reset();
      const res = await runCli(['process', video.path, '--id', 'cook', '--json'], { ...env(), ...splitEnv() });
      expect(res.code, res.stderr).toBe(0);
      const summary = JSON.parse(res.stdout);
      for (const stage of ['transcribe', 'vision', 'embeddings']) expect(summary.stages[stage].status).toBe('done');
      expect(summary.stages.vision.fallbacks).toEqual([
        expect.objectContaining({ capability: 'vision', to: 'json_object + schema validation (one repair retry)' }),
      ]);
      expect(summary.stages.scenes.fallbacks).toBeUndefined();
      expect(summary.counts.segments).toBe(SENTENCES.length);
      expect(summary.counts.captions).toBeGreaterThan(0);
      // Segment times came from silence detection: each segment overlaps the sentence it holds.
      summary.segments.forEach((s: { t_start: number; t_end: number; text: string }, i: number) => {
        expect(s.text).toBe(SENTENCES[i]);
        expect(s.t_start).toBeLessThan(video.speech!.regions[i]!.end);
        expect(s.t_end).toBeGreaterThan(video.speech!.regions[i]!.start);
      });
      // Nothing but chat may reach the OpenAI-like server (here the chapters stage, which runs on
      // the chat capability); the local one saw each refusal once.
      expect(openai.requests.map((r) => [r.route, r.responseFormat])).toEqual([['chat', 'video_chapters']]);
      expect(local.requestsFor('transcriptions').map((r) => [r.responseFormat, r.status])).toEqual([
        ['verbose_json', 400],
        ['json', 200],
      ]);
      expect(local.requestsFor('chat').filter((r) => r.status === 400)).toHaveLength(1);
      expect(
        local
          .requestsFor('chat')
          .filter((r) => r.status === 200)
          .every((r) => r.responseFormat === 'json_object'),
      ).toBe(true);
      expect(local.requestsFor('embeddings').map((r) => [r.encodingFormat ?? null, r.status])).toEqual([
        [null, 400],
        ['float', 200],
      ]);
      // The shared OpenAI key never went to the local server.
      expect(local.requests.map((r) => r.authorization)).not.toContain('ok');
      expect(local.requests.length).toBeGreaterThan(0);

      // Each fallback is recorded with its stage run.
      const status = JSON.parse((await runCli(['status', 'cook', '--json'], { ...env(), ...splitEnv() })).stdout);
      const fallbacksOf = (stage: string) =>
        status.stages.find((s: { stage: string }) => s.stage === stage).output.data.fallbacks;
      expect(fallbacksOf('transcribe')).toEqual([
        expect.objectContaining({ capability: 'transcription', from: 'response_format: verbose_json' }),
      ]);
      expect(fallbacksOf('vision')).toEqual([
        expect.objectContaining({ capability: 'vision', from: 'response_format: json_schema' }),
      ]);
      expect(fallbacksOf('embeddings')).toEqual([
        expect.objectContaining({ capability: 'embeddings', from: 'encoding_format: base64' }),
      ]);

      const facts = await vectorFacts(env());
      expect(facts.type).toBe(name === 'PGlite' ? 'vector(768)' : 'real[]');
      expect(facts.lengths).toEqual([768, 768, 768]);

      const search = await runCli(['search', 'red tomatoes', '--json'], { ...env(), ...splitEnv() });
      expect(search.code, search.stderr).toBe(0);
      const hits = JSON.parse(search.stdout);
      expect(hits.mode).toBe('hybrid');
      expect(hits.results[0]).toMatchObject({ video_id: 'cook', kind: 'segment', text: SENTENCES[1] });

      openai.reset();
      const ask = await runCli(['ask', 'How long does the soup simmer?', '--json'], { ...env(), ...splitEnv() });
      expect(ask.code, ask.stderr).toBe(0);
      const answer = JSON.parse(ask.stdout);
      expect(answer).toMatchObject({
        found: true,
        citations: [expect.objectContaining({ video_id: 'cook', quote: expect.stringContaining('soup simmers') })],
      });
      expect(openai.requestsFor('chat')).toMatchObject([
        { responseFormat: 'grounded_answer', status: 200, authorization: 'ok' },
      ]);
      expect(openai.requestsFor('embeddings')).toEqual([]);
      // Text mode names each fallback on stderr once (the question's embedding went to the local server).
      const textAsk = await runCli(['ask', 'How long does the soup simmer?'], { ...env(), ...splitEnv() });
      expect(textAsk.code, textAsk.stderr).toBe(0);
      expect(textAsk.stderr).toBe(
        'note: the embeddings server refused encoding_format: base64; used encoding_format: float\n',
      );

      // Chat on the local server too: json_schema refused, json_object streamed and checked.
      local.reset();
      const localAsk = await runCli(['ask', 'How long does the soup simmer?', '--json'], {
        ...env(),
        ...splitEnv(),
        OPENAI_CHAT_BASE_URL: local.url,
        OPENAI_CHAT_MODEL: 'llama3.1',
      });
      expect(localAsk.code, localAsk.stderr).toBe(0);
      expect(JSON.parse(localAsk.stdout)).toMatchObject({
        found: true,
        citations: [expect.objectContaining({ quote: expect.stringContaining('soup simmers') })],
        fallbacks: [
          expect.objectContaining({ capability: 'chat', from: 'response_format: json_schema' }),
          expect.objectContaining({ capability: 'embeddings', from: 'encoding_format: base64' }),
        ],
      });
      expect(local.requestsFor('chat').map((r) => [r.responseFormat ?? null, r.status, r.stream ?? false])).toEqual([
        [null, 400, false],
        ['json_object', 200, true],
      ]);
    },
    CLI_TIMEOUT,
  );

  it(
    'refuses another embedding size with the reembed hint; reembed rebuilds the vectors and search works again',
    async () => {
      // Embeddings now on the OpenAI-like server at its 1536 dimensions: the schema holds 768.
      const moved = {
        ...splitEnv(),
        OPENAI_EMBEDDING_BASE_URL: openai.url,
        OPENAI_EMBEDDING_API_KEY: openai.apiKey,
        OPENAI_EMBEDDING_MODEL: 'text-embedding-3-small',
        OPENAI_EMBEDDING_DIMENSIONS: '1536',
      };
      const before = await vectorFacts(env());
      const refused = await runCli(['search', 'red tomatoes'], { ...env(), ...moved });
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(
        /^videoqa: EMBEDDING_DIMENSIONS_MISMATCH: OPENAI_EMBEDDING_DIMENSIONS is 1536, but this database stores 768-dimension embeddings; run `videoqa reembed`[^\n]*\n$/,
      );

      // A configured size the model does not return is named before any vector is dropped.
      const wrongSize = await runCli(['reembed'], { ...env(), ...splitEnv(), OPENAI_EMBEDDING_DIMENSIONS: '1536' });
      expect(wrongSize.code).toBe(2);
      expect(wrongSize.stderr).toMatch(
        /^videoqa: CONFIG_INVALID: .*OPENAI_EMBEDDING_DIMENSIONS: is 1536, but nomic-embed-text returns 768-dimension vectors: set OPENAI_EMBEDDING_DIMENSIONS=768\n$/,
      );
      expect(await vectorFacts(env())).toEqual(before);

      const oneVideo = await runCli(['reembed', '--video', 'cook'], { ...env(), ...moved });
      expect(oneVideo.code).toBe(2);
      expect(oneVideo.stderr).toMatch(
        /^videoqa: CONFIG_INVALID: .*--video: the embedding size changes from 768 to 1536/,
      );

      openai.reset();
      const re = await runCli(['reembed', '--json'], { ...env(), ...moved });
      expect(re.code, re.stderr).toBe(0);
      expect(JSON.parse(re.stdout)).toMatchObject({
        dimensions: 1536,
        previous_dimensions: 768,
        videos: [{ video_id: 'cook', vectors: expect.any(Number) }],
        failed: 0,
      });
      // No video was processed again: only embeddings requests went out.
      expect(new Set(openai.requests.map((r) => r.route))).toEqual(new Set(['embeddings']));
      const after = await vectorFacts(env());
      expect(after.type).toBe(name === 'PGlite' ? 'vector(1536)' : 'real[]');
      expect(after.lengths).toEqual([1536, 1536, 1536]);
      expect(after.sample.slice(0, 768)).not.toEqual(before.sample);

      const search = await runCli(['search', 'red tomatoes', '--json'], { ...env(), ...moved });
      expect(search.code, search.stderr).toBe(0);
      expect(JSON.parse(search.stdout).results[0]).toMatchObject({ video_id: 'cook', text: SENTENCES[1] });

      // Same size, one video: its vectors are rebuilt in place.
      const same = await runCli(['reembed', '--video', 'cook'], { ...env(), ...moved });
      expect(same.code, same.stderr).toBe(0);
      expect(same.stdout).toMatch(/re-embedded 1 video\(s\) with text-embedding-3-small \(1536 dimensions\)/);
    },
    CLI_TIMEOUT,
  );

  it(
    'doctor reports each capability from one real request to its own server, and the embedding size against the schema',
    async () => {
      openai.reset();
      local.reset();
      // The split configuration again (768 dimensions), while the schema now holds 1536 after reembed.
      const res = await runCli(['doctor', '--json'], { ...env(), ...splitEnv() });
      expect(res.code).toBe(1);
      const checks = JSON.parse(res.stdout).checks as {
        name: string;
        ok: boolean;
        warning?: boolean;
        detail: string;
        fix?: string;
      }[];
      const check = (n: string) => checks.find((c) => c.name === n)!;
      expect(check('transcription')).toMatchObject({
        ok: true,
        warning: true,
        detail: expect.stringContaining(`whisper-large-v3 at ${local.url} (no key): a 1 s test tone was transcribed`),
      });
      expect(check('transcription').detail).toMatch(
        /refused response_format: verbose_json: using plain text \+ segment times from silence detection/,
      );
      expect(check('vision')).toMatchObject({
        ok: true,
        warning: true,
        detail: expect.stringMatching(
          /^llava at .* a 64×64 test image was described .*refused response_format: json_schema/,
        ),
      });
      expect(check('embeddings')).toMatchObject({
        ok: true,
        detail: expect.stringMatching(/nomic-embed-text at .*: one word embedded: 768 dimensions/),
      });
      expect(check('embedding size')).toMatchObject({
        ok: false,
        detail: 'nomic-embed-text returns 768 dimensions, the database stores 1536',
        fix: expect.stringMatching(/^run: videoqa reembed/),
      });
      expect(check('chat')).toMatchObject({
        ok: true,
        detail: expect.stringContaining(`gpt-4o-mini at ${openai.url}: a one-passage question was answered`),
      });
      expect(check('chat').warning).toBeUndefined();
      // Cheap real calls, one per capability, each to its own server; never GET /models.
      expect(openai.requests.map((r) => r.route)).toEqual(['chat']);
      expect(new Set(local.requests.map((r) => r.route))).toEqual(new Set(['transcriptions', 'chat', 'embeddings']));
      expect(local.requestsFor('models')).toEqual([]);

      // A configured size the model does not return is named with the value to set.
      const wrongSize = await runCli(['doctor', '--json'], {
        ...env(),
        ...splitEnv(),
        OPENAI_EMBEDDING_DIMENSIONS: '1536',
      });
      expect(
        (JSON.parse(wrongSize.stdout).checks as typeof checks).find((c) => c.name === 'embedding size'),
      ).toMatchObject({
        ok: false,
        detail: 'nomic-embed-text returns 768 dimensions, OPENAI_EMBEDDING_DIMENSIONS is 1536',
        fix: 'set OPENAI_EMBEDDING_DIMENSIONS=768, then run: videoqa reembed',
      });
    },
    CLI_TIMEOUT,
  );
});
