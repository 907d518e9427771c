import { rmSync } from 'node:fs';
import { loadConfig, segmentId } from '@videoqa/core';
import { createVideoqa, startApiServer } from '@videoqa/runner';
import { openDatabase, PgStore } from '@videoqa/storage-pg';
import { createTestDatabase, FakeOpenAIServer } from '@videoqa/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runCli, tempDir } from './helpers.ts';

const SENTENCES: [number, number, string][] = [
  [0, 4, 'Welcome to the cooking show.'],
  [5, 9, 'Today we slice four red tomatoes.'],
  [35, 40, 'Then the soup simmers for twenty minutes.'],
];
const QUESTION = 'How long does the soup simmer?';
const CLI_TIMEOUT = 300_000;

let fake: FakeOpenAIServer;
let pgDb: { url: string; drop: () => Promise<void> };
beforeAll(async () => {
  fake = await FakeOpenAIServer.start();
  pgDb = await createTestDatabase(inject('pgUrl'));
});
afterAll(async () => {
  await fake.close();
  await pgDb.drop();
});

/**
 * The three front doors (library client, CLI, HTTP API) all go through ask(),
 * so each records its question; `videoqa status` shows the totals. On PGlite the
 * data directory is locked by one process at a time, so the doors take turns.
 */
describe.each(['PGlite', 'PostgreSQL'])('ask usage through the client, the CLI and HTTP on %s', (name) => {
  const dataDir = tempDir('vq-askusage-');
  const dbEnv = (): Record<string, string> =>
    name === 'PostgreSQL' ? { DATA_DIR: dataDir, DATABASE_URL: pgDb.url } : { DATA_DIR: dataDir };
  const aiEnv = () => ({ OPENAI_API_KEY: fake.apiKey, OPENAI_BASE_URL: fake.url });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it(
    'records one row per ask from each door and shows the totals in status',
    async () => {
      const vq = await createVideoqa({
        dataDir,
        databaseUrl: name === 'PostgreSQL' ? pgDb.url : null,
        config: { openaiApiKey: fake.apiKey, openaiBaseUrl: fake.url },
      });
      try {
        await vq.store.saveVideo({ id: 'talk', originalPath: 'uploads/talk_x.mp4', status: 'ready' });
        const segments = SENTENCES.map(([tStart, tEnd, text], i) => ({
          id: segmentId('talk', i),
          videoId: 'talk',
          idx: i,
          tStart,
          tEnd,
          text,
        }));
        await vq.store.replaceSegments('talk', segments);
        const byClient = await vq.ask('Which tomatoes are sliced today?');
        expect(byClient.found).toBe(true);
      } finally {
        await vq.close();
      }

      const byCli = await runCli(
        ['ask', QUESTION, '--video', 'talk', '--json'],
        { ...dbEnv(), ...aiEnv() },
        { timeoutMs: CLI_TIMEOUT },
      );
      expect(byCli.code, byCli.stderr).toBe(0);
      const cliUsage = JSON.parse(byCli.stdout).usage as { totalTokens: number };

      const config = loadConfig({
        env: {},
        overrides: {
          ...(name === 'PostgreSQL' ? { databaseUrl: pgDb.url } : {}),
          dataDir,
          openaiApiKey: fake.apiKey,
          openaiBaseUrl: fake.url,
          apiToken: 'secret-token-123',
        },
      });
      const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
      const api = await startApiServer({
        db,
        store: new PgStore(db),
        config,
        source: { name: 'postgres', enqueue: async () => Promise.reject(new Error('not used')) },
        port: 0,
      });
      try {
        const res = await fetch(`${api.url}/v1/ask`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: 'Bearer secret-token-123' },
          body: JSON.stringify({ question: QUESTION, video_id: 'talk' }),
        });
        expect(res.status).toBe(200);
        // Refused input is not an ask: nothing recorded for it.
        const bad = await fetch(`${api.url}/v1/ask`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: 'Bearer secret-token-123' },
          body: JSON.stringify({ question: '   ' }),
        });
        expect(bad.status).toBe(400);
      } finally {
        await api.close();
        await db.close();
      }

      // Without a key the passages are still printed (exit 3): recorded as an ask without a model.
      const noKey = await runCli(['ask', 'tomatoes', '--video', 'talk'], dbEnv(), { timeoutMs: CLI_TIMEOUT });
      expect(noKey.code).toBe(3);

      const status = await runCli(['status', '--json'], dbEnv(), { timeoutMs: CLI_TIMEOUT });
      expect(status.code, status.stderr).toBe(0);
      const asks = JSON.parse(status.stdout).asks;
      expect(asks).toMatchObject({
        asks: 4,
        distinct_questions: 3,
        requests: 3,
        outcomes: { answered: 3, not_found: 0, no_chat_provider: 1, no_passages: 0, prompt_leak: 0, failed: 0 },
        citations: 3,
        citations_dropped: 0,
      });
      expect(asks.total_tokens).toBeGreaterThan(cliUsage.totalTokens);

      const text = await runCli(['status'], dbEnv(), { timeoutMs: CLI_TIMEOUT });
      expect(text.stdout).toMatch(
        /^asks: 4 \(3 different\) — 3 answered, 0 not found, 1 without a model; 3 chat requests, \d+ tokens/m,
      );

      const one = await runCli(['status', 'talk'], dbEnv(), { timeoutMs: CLI_TIMEOUT });
      expect(one.code, one.stderr).toBe(0);
      // The client's question was about the whole library: only the CLI, HTTP and key-less asks named the video.
      expect(one.stdout).toMatch(
        /^ {2}asks about this video: 3 \(2 different\) — 2 answered, 0 not found, 1 without a model; 2 chat requests/m,
      );
    },
    4 * CLI_TIMEOUT,
  );
});
