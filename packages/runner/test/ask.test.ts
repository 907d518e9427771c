import { loadConfig, type ConfigInput } from '@videoqa/core';
import { startApiServer } from '@videoqa/runner';
import { openDatabase, PgStore, type Db } from '@videoqa/storage-pg';
import { createTestDatabase, FakeOpenAIServer, makeVideo, type GeneratedVideo } from '@videoqa/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runCli, tempDir } from './helpers.ts';

const SENTENCES = [
  'Welcome to the cooking show.',
  'Today we slice four red tomatoes.',
  'Then the soup simmers for twenty minutes.',
  'Thanks for watching and goodbye.',
];
/** The sentence that answers the question asked below, and where it is spoken. */
const GOLD = 2;
const QUESTION = 'How long does the soup simmer?';

let fake: FakeOpenAIServer;
let pgDb: { url: string; drop: () => Promise<void> };
let video: GeneratedVideo;
const pgliteDir = tempDir('vq-ask-');
const pgDir = tempDir('vq-ask-pg-');

const targets = () => [
  { name: 'PGlite', env: { DATA_DIR: pgliteDir } as Record<string, string> },
  { name: 'PostgreSQL', env: { DATA_DIR: pgDir, DATABASE_URL: pgDb.url } as Record<string, string> },
];
const aiEnv = () => ({ OPENAI_API_KEY: fake.apiKey, OPENAI_BASE_URL: fake.url });
/** Each CLI run starts a process and opens a database; on a loaded shared machine several take minutes (a bound, not a timing assertion). */
const CLI_TIMEOUT = 300_000;

beforeAll(async () => {
  fake = await FakeOpenAIServer.start({ transcriptScript: SENTENCES });
  pgDb = await createTestDatabase(inject('pgUrl'));
  video = await makeVideo({
    shots: [
      { source: 'testsrc2', seconds: 5 },
      { source: 'smptebars', seconds: 5 },
      { source: 'mandelbrot', seconds: 6 },
    ],
    width: 320,
    height: 240,
    audio: { kind: 'speech', sentences: SENTENCES, gapSec: 2 },
  });
  for (const t of targets()) {
    const res = await runCli(['process', video.path, '--id', 'talk', '--json'], { ...t.env, ...aiEnv() });
    expect(res.code, res.stderr).toBe(0);
  }
}, CLI_TIMEOUT);
afterAll(async () => {
  await fake.close();
  await pgDb.drop();
});

describe.each(['PGlite', 'PostgreSQL'])('videoqa ask on %s', (name) => {
  const env = () => targets().find((t) => t.name === name)!.env;

  it(
    'streams a grounded answer, then the cited moment, covering where the answer is spoken',
    async () => {
      fake.reset();
      const res = await runCli(['ask', QUESTION, '--video', 'talk'], { ...env(), ...aiEnv() });
      expect(res.stderr).toBe('');
      expect(res.code).toBe(0);
      const [answer, , citation] = res.stdout.split('\n');
      expect(answer).toContain('the soup simmers for twenty minutes');
      expect(citation).toMatch(/^\d\d:\d\d–\d\d:\d\d {2}talk {2}"Then the soup simmers for twenty minutes\.?"$/);
      expect(fake.requestsFor('chat')).toMatchObject([
        { stream: true, responseFormat: 'grounded_answer', status: 200 },
      ]);

      const json = await runCli(['ask', QUESTION, '--video', 'talk', '--json'], { ...env(), ...aiEnv() });
      expect(json.code).toBe(0);
      const out = JSON.parse(json.stdout);
      expect(Object.keys(out)).toEqual(
        expect.arrayContaining(['question', 'answer', 'found', 'citations', 'passages', 'usage']),
      );
      expect(out.found).toBe(true);
      const gold = video.speech!.regions[GOLD]!;
      const c = out.citations[0];
      expect(c.video_id).toBe('talk');
      // The whole video is one 30 s passage, yet the citation is narrowed to the sentence quoted:
      // its range overlaps where it is spoken and no other sentence (transcript times are the fake's detected speech).
      expect(c.t_start).toBeLessThan(gold.end);
      expect(c.t_end).toBeGreaterThan(gold.start);
      expect(c.t_start).toBeGreaterThan(video.speech!.regions[GOLD - 1]!.end);
      expect(c.t_end).toBeLessThan(video.speech!.regions[GOLD + 1]!.start);
      expect(out.passages[0]).toMatchObject({
        video_id: 'talk',
        kind: 'segment',
        id: expect.stringMatching(/^talk:segment:\d+\.\d$/),
      });
      expect(out.usage).toMatchObject({ requests: 1, embeddingRequests: 1 });
      expect(out.usage.totalTokens).toBeGreaterThan(0);
    },
    CLI_TIMEOUT,
  );

  it(
    'answers from the whole library without --video, and says found: false for what is not there',
    async () => {
      const all = JSON.parse(
        (await runCli(['ask', 'Which tomatoes are sliced today?', '--json', '--limit', '3'], { ...env(), ...aiEnv() }))
          .stdout,
      );
      expect(all.found).toBe(true);
      expect(all.passages.length).toBeLessThanOrEqual(3);
      expect(all.citations[0]).toMatchObject({ video_id: 'talk', quote: expect.stringContaining('four red tomatoes') });
      const missing = await runCli(['ask', 'What is the capital of Peru?'], { ...env(), ...aiEnv() });
      expect(missing.code).toBe(0);
      expect(missing.stdout).toMatch(/do not show/);
      expect(missing.stdout).toContain('nearest passages:');
    },
    CLI_TIMEOUT,
  );

  it(
    'prints the top passages and exits 3 without an API key',
    async () => {
      const res = await runCli(['ask', 'Which tomatoes are sliced?', '--video', 'talk'], env());
      expect(res.code).toBe(3);
      expect(res.stderr).toMatch(/OPENAI_API_KEY is not set/);
      expect(res.stdout.split('\n')[0]).toMatch(/^\d\d:\d\d–\d\d:\d\d {2}talk {2}.*four red tomatoes/);
      const json = await runCli(['ask', 'Which tomatoes are sliced?', '--json'], env());
      expect(json.code).toBe(3);
      expect(JSON.parse(json.stdout)).toMatchObject({
        answer: null,
        found: false,
        citations: [],
        skipped: 'no_chat_provider',
        passages: [expect.objectContaining({ video_id: 'talk' })],
      });
    },
    CLI_TIMEOUT,
  );

  it(
    'refuses bad input with one line and the usage or input exit code, sending nothing',
    async () => {
      fake.reset();
      const cases: [string[], number, string][] = [
        [['ask', ''], 2, 'QUESTION_EMPTY'],
        [['ask', '  \t '], 2, 'QUESTION_EMPTY'],
        [['ask', 'why '.repeat(600)], 2, 'QUESTION_TOO_LONG'],
        [['ask', QUESTION, '--limit', '0'], 2, 'CONFIG_INVALID'],
        [['ask', QUESTION, '--video', 'nope'], 4, 'VIDEO_NOT_FOUND'],
      ];
      for (const [args, code, name] of cases) {
        const res = await runCli(args, { ...env(), ...aiEnv() });
        expect(res.code, args.join(' ')).toBe(code);
        expect(res.stderr).toMatch(new RegExp(`^videoqa: ${name}: [^\\n]+\\n$`));
        expect(res.stdout).toBe('');
      }
      expect(fake.requests).toEqual([]);
    },
    CLI_TIMEOUT,
  );
});

describe.each(['PGlite', 'PostgreSQL'])('POST /v1/ask on %s', (name) => {
  let db: Db;
  let url: string;
  let close: () => Promise<void>;
  let overrides: Partial<ConfigInput>;
  beforeAll(async () => {
    const t = targets().find((x) => x.name === name)!;
    overrides = {
      ...(t.env.DATABASE_URL ? { databaseUrl: t.env.DATABASE_URL } : {}),
      dataDir: t.env.DATA_DIR,
      openaiApiKey: fake.apiKey,
      openaiBaseUrl: fake.url,
      apiToken: 'secret-token-123',
    };
    const config = loadConfig({ env: {}, overrides });
    db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
    await new PgStore(db).saveVideo({ id: 'busy', originalPath: 'uploads/busy_x.mp4', status: 'processing' });
    const api = await startApiServer({
      db,
      store: new PgStore(db),
      config,
      source: { name: 'postgres', enqueue: async () => Promise.reject(new Error('not used')) },
      port: 0,
    });
    url = api.url;
    close = api.close;
  });
  afterAll(async () => {
    await close();
    await db.close();
  });
  const post = (body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${url}/v1/ask`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer secret-token-123', ...headers },
      body: JSON.stringify(body),
    });

  it('answers as JSON with checked citations', async () => {
    const res = await post({ question: QUESTION, video_id: 'talk' });
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      found: boolean;
      citations: { video_id: string; quote: string }[];
      passages: unknown[];
      usage: { requests: number };
    };
    expect(body).toMatchObject({ found: true, usage: { requests: 1 } });
    expect(body.citations[0]).toMatchObject({
      video_id: 'talk',
      quote: expect.stringContaining('simmers for twenty minutes'),
    });
    // A server with every feature: nothing fell back, and the field is absent (as in ask --json).
    expect(body).not.toHaveProperty('fallbacks');
  });

  it('names what a chat server lacked and what was used instead, as ask --json does', async () => {
    // Chat on a local-style server: json_schema is refused, json_object with the schema in the prompt is used.
    const local = await FakeOpenAIServer.start({ local: true });
    const localConfig = loadConfig({
      env: {},
      overrides: { ...overrides, chatBaseUrl: local.url, chatModel: 'llama3.1' },
    });
    const api = await startApiServer({
      db,
      store: new PgStore(db),
      config: localConfig,
      source: { name: 'postgres', enqueue: async () => Promise.reject(new Error('not used')) },
      port: 0,
    });
    try {
      for (let i = 0; i < 2; i++) {
        const res = await fetch(`${api.url}/v1/ask`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: 'Bearer secret-token-123' },
          body: JSON.stringify({ question: QUESTION, video_id: 'talk' }),
        });
        expect(res.status).toBe(200);
        // The second request goes straight to json_object; the fallback is still named, once.
        expect(await res.json()).toMatchObject({
          found: true,
          fallbacks: [
            {
              capability: 'chat',
              from: 'response_format: json_schema',
              to: expect.stringContaining('json_object'),
              reason: expect.any(String),
            },
          ],
        });
      }
    } finally {
      await api.close();
      await local.close();
    }
  });

  it('streams token events, then one result event, with Accept: text/event-stream', async () => {
    const res = await post({ question: QUESTION }, { accept: 'text/event-stream' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events = (await res.text())
      .split('\n\n')
      .filter(Boolean)
      .map((block) => ({
        event: /^event: (.+)$/m.exec(block)?.[1],
        data: JSON.parse(/^data: (.+)$/m.exec(block)![1]!),
      }));
    const tokens = events.filter((e) => e.event === 'token');
    expect(tokens.length).toBeGreaterThan(2);
    expect(events.map((e) => e.event).filter((e) => e !== 'token')).toEqual(['result']);
    expect(events.at(-1)!.event).toBe('result');
    const result = events.at(-1)!.data as { answer: string; found: boolean };
    expect(tokens.map((t) => t.data.text).join('')).toBe(result.answer);
    expect(result.found).toBe(true);
  });

  it('refuses bad input with a 4xx and a code, before any stream opens, and needs the token', async () => {
    fake.reset();
    const cases: [unknown, number, string][] = [
      [{ question: '' }, 400, 'QUESTION_EMPTY'],
      [{ question: '   ' }, 400, 'QUESTION_EMPTY'],
      [{ question: 'x'.repeat(2001) }, 400, 'QUESTION_TOO_LONG'],
      [{ question: QUESTION, video_id: 'nope' }, 404, 'VIDEO_NOT_FOUND'],
      [{ question: QUESTION, video_id: 'busy' }, 409, 'VIDEO_NOT_READY'],
      [{ question: 42 }, 400, 'INVALID_REQUEST'],
      [{ question: QUESTION, limit: 0 }, 400, 'INVALID_REQUEST'],
    ];
    for (const [body, status, code] of cases) {
      const res = await post(body, { accept: 'text/event-stream' });
      expect(res.status, JSON.stringify(body).slice(0, 60)).toBe(status);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe(code);
    }
    const anonymous = await fetch(`${url}/v1/ask`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ question: QUESTION }),
    });
    expect(anonymous.status).toBe(401);
    expect(fake.requests).toEqual([]);
  });
});
