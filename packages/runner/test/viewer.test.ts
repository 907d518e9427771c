import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { loadConfig } from '@videoqa/core';
import { startApiServer } from '@videoqa/runner';
import { openDatabase, PgStore } from '@videoqa/storage-pg';
import { FakeOpenAIServer, freePort, makeVideo } from '@videoqa/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startCli, tempDir } from './helpers.ts';

/**
 * The web viewer in a real browser (Debian's chromium through playwright-core) against
 * `videoqa serve` (the built CLI) on a video processed here with the fake OpenAI server, so it
 * has a transcript, captions and embeddings.
 */
const SENTENCES = [
  'Welcome to the garden tour.',
  'Here the tomatoes grow in rows.',
  'The bees visit every flower.',
  'Thank you for visiting.',
];
const ARTIFACTS = fileURLToPath(new URL('../../../test-artifacts/viewer/', import.meta.url));
const CHROMIUM = '/usr/bin/chromium';
/** Seconds between where the player is and where a click sent it: a seek is exact, this only absorbs decoding granularity. */
const TOLERANCE = 0.35;

let fake: FakeOpenAIServer;
let video: Awaited<ReturnType<typeof makeVideo>>;
let upload: Awaited<ReturnType<typeof makeVideo>>;
let server: ReturnType<typeof startCli>;
let base: string;
let browser: Browser;
const pageErrors: string[] = [];

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  fake = await FakeOpenAIServer.start({ transcriptScript: SENTENCES });
  video = await makeVideo({
    shots: [
      { source: 'testsrc2', seconds: 4 },
      { source: 'smptebars', seconds: 4 },
      { source: 'mandelbrot', seconds: 4 },
    ],
    width: 640,
    height: 360,
    audio: { kind: 'speech', sentences: SENTENCES, gapSec: 1.5 },
  });
  upload = await makeVideo({
    shots: [
      { source: 'rgbtestsrc', seconds: 2 },
      { source: 'checker', seconds: 2 },
    ],
    width: 320,
    height: 240,
    audio: { kind: 'speech', sentences: ['A short upload.'], gapSec: 0.5 },
  });
  const env = { DATA_DIR: tempDir('vq-viewer-'), OPENAI_API_KEY: fake.apiKey, OPENAI_BASE_URL: fake.url };
  const processed = await runCli(['process', video.path, '--id', 'garden', '--json'], env);
  expect(processed.code, processed.stderr).toBe(0);
  const port = await freePort();
  server = startCli(['serve', '--port', String(port)], { ...env, WORKER_POLL_MS: '200' });
  await server.waitFor(/videoqa viewer on http:\/\/127\.0\.0\.1:\d+\//);
  base = `http://127.0.0.1:${port}`;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
      '--autoplay-policy=no-user-gesture-required',
    ],
  });
});

afterAll(async () => {
  await browser?.close();
  if (server) {
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
  }
  await fake?.close();
});

async function openPage(path: string, viewport = { width: 1280, height: 720 }): Promise<Page> {
  const page = await browser.newPage({ viewport });
  // Script errors and CSP violations show up here; the pages must have none.
  page.on('pageerror', (err) => pageErrors.push(`${path}: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') pageErrors.push(`${path}: ${msg.text()}`);
  });
  await page.goto(`${base}${path}`);
  return page;
}

/** The part of HTMLVideoElement used here (the test is compiled without the DOM library; page functions run in the browser). */
interface Player {
  currentTime: number;
  muted: boolean;
  play(): Promise<void>;
  pause(): void;
}
/** The browser globals the page functions use (declared here: the test compiles without the DOM library). */
interface Node {
  getAttribute(name: string): string | null;
  complete: boolean;
  naturalWidth: number;
}
declare const document: {
  getElementById(id: string): { seeking: boolean; currentTime: number };
  querySelectorAll(selector: string): Node[] & Iterable<Node>;
  documentElement: { scrollWidth: number };
};

const currentTime = (page: Page) => page.$eval('#player', (v) => (v as unknown as Player).currentTime);

/** Waits until the player is paused near `t` (the click's seek has landed). */
async function expectPlayerAt(page: Page, t: number): Promise<void> {
  await page.waitForFunction(
    ([target, tol]) => {
      const v = document.getElementById('player');
      return !v.seeking && Math.abs(v.currentTime - target!) <= tol!;
    },
    [t, TOLERANCE],
  );
  expect(Math.abs((await currentTime(page)) - t)).toBeLessThanOrEqual(TOLERANCE);
}

const pause = (page: Page) => page.$eval('#player', (v) => (v as unknown as Player).pause());

describe('web viewer in chromium', () => {
  it('the library lists the processed video with its status, and links to it', async () => {
    const page = await openPage('/');
    const row = page.locator('tr[data-video="garden"]');
    await row.waitFor();
    expect(await row.locator('.status').textContent()).toBe('ready');
    expect(await row.textContent()).toContain('4 segments, 3 scenes');
    await page.screenshot({ path: `${ARTIFACTS}library-1280.png` });
    await row.locator('a').click();
    await page.waitForURL(`${base}/videos/garden`);
    await page.locator('#transcript li[data-segment]').first().waitFor();
    await page.close();
  });

  it('the video page plays, and keyframes, transcript lines, search hits and citations seek the player', async () => {
    const page = await openPage('/videos/garden');
    await page.locator('#transcript li[data-segment]').nth(3).waitFor();
    expect(await page.locator('#transcript li[data-segment]').allTextContents()).toEqual(
      SENTENCES.map((s) => expect.stringContaining(s)),
    );
    // Each scene with its caption (the fake vision model describes every frame).
    expect(await page.locator('#scenes > li').count()).toBe(3);
    expect(await page.locator('#scenes > li p').count()).toBeGreaterThanOrEqual(3);
    const keyframes = page.locator('#keyframes button');
    expect(await keyframes.count()).toBe(3);
    // The keyframe images load from /frames (naturalWidth > 0 only for a decoded JPEG).
    await page.waitForFunction(() =>
      [...document.querySelectorAll('#keyframes img')].every((i) => i.complete && i.naturalWidth > 0),
    );

    // Play: the media streams with Range requests and time advances.
    await page.$eval('#player', (v) => {
      (v as unknown as Player).muted = true;
      return (v as unknown as Player).play();
    });
    await page.waitForFunction(() => document.getElementById('player').currentTime > 0.5);
    await pause(page);

    // A keyframe click seeks to its moment, and marks it current.
    const third = keyframes.nth(2);
    const frameT = Number(await third.getAttribute('data-t'));
    expect(frameT).toBeGreaterThan(7);
    await third.click();
    await expectPlayerAt(page, frameT);
    await page.waitForFunction(
      () => document.querySelectorAll('#keyframes button')[2]!.getAttribute('aria-current') === 'true',
    );

    // By keyboard too: focus the first keyframe and press Enter.
    await keyframes.nth(0).focus();
    await page.keyboard.press('Enter');
    await expectPlayerAt(page, Number(await keyframes.nth(0).getAttribute('data-t')));

    // A transcript line seeks to where it is spoken and is highlighted.
    const line = page.locator('#transcript li[data-segment]').nth(2);
    const lineT = Number(await line.locator('button').getAttribute('data-t'));
    await line.locator('button').click();
    await expectPlayerAt(page, lineT);
    await page.waitForFunction(
      () => document.querySelectorAll('#transcript li[data-segment]')[2]!.getAttribute('aria-current') === 'true',
    );
    expect(await page.locator('#transcript li[aria-current="true"]').count()).toBe(1);
    await page.screenshot({ path: `${ARTIFACTS}video-1280.png` });

    // Search: the hit for the sentence about bees, and a click jumps to it.
    await page.locator('#search-input').fill('bees flower');
    await page.locator('#search-form button').click();
    const hit = page.locator('#search-hits button').first();
    await hit.waitFor();
    expect(await hit.textContent()).toContain(SENTENCES[2]);
    await page.locator('#transcript li[data-segment]').nth(0).locator('button').click();
    await expectPlayerAt(
      page,
      Number(await page.locator('#transcript li[data-segment] button').first().getAttribute('data-t')),
    );
    await hit.click();
    await expectPlayerAt(page, Number(await hit.getAttribute('data-t')));
    expect(Number(await hit.getAttribute('data-t'))).toBe(lineT);

    // Ask: the answer with a clickable citation of where it is said.
    await page.locator('#ask-input').fill('Where do the tomatoes grow?');
    await page.locator('#ask-form button').click();
    const citation = page.locator('#ask-result .citations button').first();
    await citation.waitFor();
    expect(await page.locator('#ask-result .answer').textContent()).toMatch(/tomatoes grow in rows/);
    expect(await citation.textContent()).toContain('tomatoes grow in rows');
    await citation.click();
    await expectPlayerAt(page, Number(await citation.getAttribute('data-t')));
    await page.screenshot({ path: `${ARTIFACTS}video-ask-1280.png`, fullPage: true });
    await page.close();
  });

  it('is readable at phone width (390 px): nothing wider than the screen, the player on top', async () => {
    const page = await openPage('/videos/garden', { width: 390, height: 844 });
    await page.locator('#transcript li[data-segment]').first().waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    const player = await page.locator('#player').boundingBox();
    const transcript = await page.locator('#transcript').boundingBox();
    expect(player!.width).toBeLessThanOrEqual(390);
    expect(transcript!.y).toBeGreaterThan(player!.y); // stacked, not side by side
    await page.screenshot({ path: `${ARTIFACTS}video-390.png`, fullPage: true });
    const library = await openPage('/', { width: 390, height: 844 });
    await library.locator('tr[data-video="garden"]').waitFor();
    expect(await library.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await library.screenshot({ path: `${ARTIFACTS}library-390.png` });
    await library.close();
    await page.close();
  });

  it('uploads a file through the library page and shows it reach ready from the live event stream', async () => {
    const page = await openPage('/');
    await page.locator('tr[data-video="garden"]').waitFor();
    await page.locator('body[data-live="connected"]').waitFor();
    await page.locator('#file-input').setInputFiles(upload.path);
    const link = page.locator('#upload-status a');
    await link.waitFor();
    expect(await page.locator('#upload-status').textContent()).toMatch(/queued as job \S+ for video/);
    const videoId = (await link.textContent())!;
    // No reload: the row appears and turns ready through /v1/events.
    await page.locator(`tr[data-video="${videoId}"] .status`, { hasText: 'ready' }).waitFor({ timeout: 240_000 });
    await page.screenshot({ path: `${ARTIFACTS}library-after-upload-1280.png` });
    await link.click();
    await page.locator('#transcript li[data-segment]').first().waitFor();
    expect(await page.locator('#video-title').textContent()).toBe(upload.path.split('/').pop());
    expect(await page.locator('#video-status').textContent()).toBe('ready');
    await page.waitForFunction(() =>
      [...document.querySelectorAll('#keyframes img')].every((i) => i.complete && i.naturalWidth > 0),
    );
    expect(await page.locator('#keyframes button').count()).toBe(2);
    await page.close();
  });

  it('asks for the API token when the server has one, then loads the library and its live stream with it', async () => {
    const db = await openDatabase({ inMemory: true });
    const store = new PgStore(db);
    await store.saveVideo({ id: 'locked', originalPath: 'uploads/locked_secret.mp4', status: 'pending' });
    const config = loadConfig({
      env: {},
      overrides: { dataDir: tempDir('vq-viewer-token-'), apiToken: 'viewer-token-0123456789' },
    });
    const api = await startApiServer({
      db,
      store,
      config,
      source: { name: 'postgres', enqueue: () => Promise.reject(new Error('unused')) },
      port: 0,
      viewer: true,
    });
    // Its own page, without the error collector: the first, token-less request is a 401 by design.
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    try {
      await page.goto(`${api.url}/`);
      const input = page.getByLabel('Token', { exact: true });
      await input.waitFor();
      expect(await page.locator('tr[data-video]').count()).toBe(0);
      await input.fill('viewer-token-0123456789');
      await input.press('Enter');
      await page.locator('tr[data-video="locked"]').waitFor();
      // EventSource cannot send headers: the stream opened with ?access_token=.
      await page.locator('body[data-live="connected"]').waitFor();
      expect(api.eventClients).toBe(1);
    } finally {
      await page.close();
      await api.close();
      await db.close();
    }
  });

  it('had no script errors or CSP violations on any page', () => {
    expect(pageErrors).toEqual([]);
  });
});
