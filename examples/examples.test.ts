import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { segmentId } from '@videoqa/core';
import { openDatabase, PgStore } from '@videoqa/storage-pg';
import { createTestDatabase, FakeOpenAIServer, makeVideo } from '@videoqa/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

const here = fileURLToPath(new URL('.', import.meta.url));
const env = (extra: Record<string, string> = {}) => ({ PATH: process.env.PATH, HOME: process.env.HOME, ...extra });

function run(
  script: string,
  args: string[],
  extraEnv: Record<string, string> = {},
): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(here, script), ...args], { env: env(extraEnv), cwd: join(here, '..') });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (code) => resolve({ code, out }));
  });
}
const lastJson = (out: string) =>
  JSON.parse(
    out
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('{') || l.startsWith('['))
      .pop()!,
  );

let video: Awaited<ReturnType<typeof makeVideo>>;
let db: { url: string; drop: () => Promise<void> };
beforeAll(async () => {
  video = await makeVideo({
    shots: [
      { source: 'testsrc2', seconds: 2 },
      { source: 'smptebars', seconds: 2 },
    ],
    width: 320,
    height: 240,
    audio: { kind: 'tone' },
  });
  db = await createTestDatabase(inject('pgUrl'));
});
afterAll(async () => db.drop());

describe("README's library snippet", () => {
  it('runs as written against a real file, on the embedded database', async () => {
    const readme = readFileSync(join(here, '../README.md'), 'utf8');
    const snippet = /<!-- readme:library -->\n```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(snippet).toBeDefined();
    const dir = mkdtempSync(join(tmpdir(), 'vq-readme-'));
    const script = join(here, `.readme-snippet-${process.pid}.ts`); // inside examples/, so its imports resolve
    writeFileSync(script, snippet!);
    try {
      const res = await new Promise<{ code: number | null; out: string }>((resolve) => {
        const child = spawn(process.execPath, [script, video.path], { env: env(), cwd: dir });
        let out = '';
        child.stdout.on('data', (d) => (out += d));
        child.stderr.on('data', (d) => (out += d));
        child.on('close', (code) => resolve({ code, out }));
      });
      expect(res.code, res.out).toBe(0);
      expect(res.out).toMatch(/^\S+ 1 videos\n/);
      expect(existsSync(join(dir, 'data/db'))).toBe(true); // the database followed dataDir
      expect(existsSync(join(dir, 'data/processed'))).toBe(true);
    } finally {
      rmSync(script, { force: true });
    }
  }, 300_000);
});

describe('examples (each runs with the one command in its header)', () => {
  it('process-file.ts processes a video in memory', async () => {
    const res = await run('process-file.ts', [video.path, '--data-dir', mkdtempSync(join(tmpdir(), 'vq-ex-'))]);
    expect(res.code, res.out).toBe(0);
    const out = lastJson(res.out);
    expect(out).toMatchObject({ frames: 2, segments: 0 });
    expect(out.scenes).toHaveLength(2);
    expect(out.scenes[1][0]).toBe(2);
    expect(out.scenes[1][1]).toBeCloseTo(4, 1);
    expect(res.out).toMatch(/transcribe: skipped \(OPENAI_API_KEY is not set/);
  });

  it('custom-stage.ts runs a user stage between normalize and transcribe', async () => {
    const res = await run('custom-stage.ts', [video.path, '--data-dir', mkdtempSync(join(tmpdir(), 'vq-ex-'))]);
    expect(res.code, res.out).toBe(0);
    const out = lastJson(res.out);
    expect(out.order.indexOf('loudness')).toBeGreaterThan(out.order.indexOf('normalize'));
    expect(out.order.indexOf('loudness')).toBeLessThan(out.order.indexOf('transcribe'));
    expect(out.loudness.lufs).toBeLessThan(0);
  });

  it('search.ts finds processed content', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'vq-ex-'));
    const cli = fileURLToPath(new URL('../packages/runner/dist/cli.js', import.meta.url));
    await new Promise((resolve) =>
      spawn(process.execPath, [cli, 'process', video.path, '--id', 'ex1'], {
        env: env({ DATA_DIR: dataDir, DATABASE_URL: db.url }),
      }).on('close', resolve),
    );
    // No API key: nothing is transcribed, so search by text finds nothing yet, and says so without failing.
    const res = await run('search.ts', ['test pattern'], { DATA_DIR: dataDir, DATABASE_URL: db.url });
    expect(res.code, res.out).toBe(0);
    expect(lastJson(res.out)).toEqual([]);
  });

  it('ask.ts answers from the stored transcript and cites the moment', async () => {
    const fake = await FakeOpenAIServer.start();
    // A database of its own: the other examples count the videos in theirs.
    const own = await createTestDatabase(inject('pgUrl'));
    const store = await openDatabase({ databaseUrl: own.url });
    try {
      const pg = new PgStore(store);
      await pg.saveVideo({ id: 'ask1', originalPath: 'uploads/ask1_x.mp4', status: 'ready' });
      const lines = ['Welcome to the show.', 'The soup simmers for twenty minutes.', 'Goodbye.'];
      await pg.replaceSegments(
        'ask1',
        lines.map((text, i) => ({
          id: segmentId('ask1', i),
          videoId: 'ask1',
          idx: i,
          tStart: i * 5,
          tEnd: i * 5 + 4,
          text,
        })),
      );
    } finally {
      await store.close();
    }
    try {
      const res = await run('ask.ts', ['how long does the soup simmer?', '--video', 'ask1'], {
        DATABASE_URL: own.url,
        OPENAI_API_KEY: fake.apiKey,
        OPENAI_BASE_URL: fake.url,
      });
      expect(res.code, res.out).toBe(0);
      expect(res.out).toContain('5.0-9.0s ask1 "The soup simmers for twenty minutes."');
      expect(lastJson(res.out)).toMatchObject({ found: true, dropped: 0, usage: { requests: 1 } });
    } finally {
      await fake.close();
      await own.drop();
    }
  });

  it('embed-worker.ts runs the worker inside an app and stops with it', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'vq-ex-'));
    mkdirSync(join(dataDir, 'uploads'));
    copyFileSync(video.path, join(dataDir, 'uploads', 'app1_clip.mp4'));
    const port = 21_000 + Math.floor(Math.random() * 2000);
    const child = spawn(process.execPath, [join(here, 'embed-worker.ts'), '--port', String(port)], {
      env: env({ DATA_DIR: dataDir, DATABASE_URL: db.url, WORKER_POLL_MS: '100' }),
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      let ready = false;
      for (let i = 0; i < 200 && !ready; i++) {
        await new Promise((r) => setTimeout(r, 100));
        ready = /app listening/.test(out);
      }
      expect(ready, out).toBe(true);
      const res = await fetch(`http://127.0.0.1:${port}/videos?id=app1&path=uploads/app1_clip.mp4`, { method: 'POST' });
      expect(res.status).toBe(201);
      let stats = { videos: { ready: 0 } };
      for (let i = 0; i < 300 && stats.videos.ready === 0; i++) {
        await new Promise((r) => setTimeout(r, 100));
        stats = (await (await fetch(`http://127.0.0.1:${port}/`)).json()) as typeof stats;
      }
      expect(stats.videos.ready, out).toBe(1);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(out).toMatch(/READY: job/);
  });
});
