import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createVideoqa, type Videoqa } from '@videoqa/runner';
import { createTestDatabase, FakeOpenAIServer, makeVideo } from '@videoqa/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { tempDir } from './helpers.ts';

const SENTENCES = ['Welcome to the garden tour.', 'Here the tomatoes grow in rows.', 'Thank you for visiting.'];
let fake: FakeOpenAIServer;
let video: Awaited<ReturnType<typeof makeVideo>>;
let pgDb: { url: string; drop: () => Promise<void> };
beforeAll(async () => {
  fake = await FakeOpenAIServer.start({ transcriptScript: SENTENCES });
  pgDb = await createTestDatabase(inject('pgUrl'));
  video = await makeVideo({
    shots: [
      { source: 'testsrc2', seconds: 3 },
      { source: 'smptebars', seconds: 3 },
    ],
    width: 640,
    height: 360,
    audio: { kind: 'speech', sentences: SENTENCES, gapSec: 1 },
  });
});
afterAll(async () => {
  await fake.close();
  await pgDb.drop();
});

describe.each(['pglite', 'postgres'] as const)('createVideoqa on %s', (kind) => {
  let vq: Videoqa;
  let dataDir: string;
  beforeAll(async () => {
    dataDir = tempDir('vq-client-');
    vq = await createVideoqa({
      dataDir,
      databaseUrl: kind === 'postgres' ? pgDb.url : null, // null: the embedded database, whatever DATABASE_URL says
      config: { openaiApiKey: fake.apiKey, openaiBaseUrl: fake.url },
    });
  });
  afterAll(async () => vq.close());

  it('processes a file under its one data root, then searches (hybrid without wiring), lists, gets and exports it', async () => {
    const result = await vq.process(video.path, { videoId: 'garden' }).orThrow();
    expect(result.status).toBe('done');
    // the media and (on PGlite) the database follow dataDir
    expect(readFileSync(join(dataDir, 'processed/garden/normalized.mp4')).length).toBeGreaterThan(1000);
    expect(vq.config.dataDir).toBe(dataDir);
    if (kind === 'pglite') expect(readFileSync(join(dataDir, 'db/videoqa.lock'), 'utf8')).toBe(String(process.pid));

    const answer = await vq.ask('Where do the tomatoes grow?', { videoId: 'garden' });
    expect(answer.found).toBe(true);
    expect(answer.citations[0]).toMatchObject({
      passageId: expect.stringMatching(/^garden:/),
      videoId: 'garden',
      quote: expect.stringMatching(/tomatoes grow in rows/),
    });
    await expect(vq.ask('  ')).rejects.toMatchObject({ code: 'QUESTION_EMPTY' });

    const hits = await vq.search('tomatoes grow');
    expect(hits[0]).toMatchObject({ videoId: 'garden', kind: 'segment', text: SENTENCES[1] });
    expect(hits[0]!.ranks.vector).toBeGreaterThan(0); // hybrid: the embeddings provider came from the config

    const list = await vq.list();
    expect(list).toEqual([
      expect.objectContaining({
        id: 'garden',
        status: 'ready',
        counts: { segments: 3, scenes: 2, frames: 2, captions: 2 },
      }),
    ]);
    expect(await vq.list({ status: 'failed' })).toEqual([]);

    const doc = (await vq.get('garden'))!;
    expect(doc).toMatchObject({
      schema_version: 1,
      video: { id: 'garden', status: 'ready', srt_path: 'subs/garden.srt' },
    });
    expect(doc.scenes.map((s) => s.t_start)).toEqual([0, 3]);
    expect(doc.scenes[0]!.frames[0]).toMatchObject({
      path: expect.stringMatching(/^frames\/garden\//),
      caption: expect.any(String),
    });
    expect(doc.segments.map((s) => s.text)).toEqual(SENTENCES);
    expect(Object.keys(doc.usage).sort()).toEqual(['chapters', 'embeddings', 'ocr', 'transcribe', 'vision']);
    expect(doc.chapters[0]).toMatchObject({ t_start: 0 });
    expect(doc.summary?.text).toEqual(expect.any(String));
    expect(await vq.get('nope')).toBeNull();

    const srt = await vq.export('garden', 'srt');
    expect(srt).toBe(readFileSync(join(dataDir, 'subs/garden.srt'), 'utf8'));
    const vtt = await vq.export('garden', 'vtt');
    expect(vtt).toMatch(/^WEBVTT\n\n1\n00:00:\d\d\.\d{3} --> 00:00:\d\d\.\d{3}\nWelcome to the garden tour\.\n/);
    const md = await vq.export('garden', 'md');
    expect(md).toMatch(/^# Video garden\n/);
    expect(md).toMatch(/## Scene 2 · 00:03–00:06/);
    expect(md).toMatch(/!\[frame at 00:0\d\]\(frames\/garden\/scene_000/);
    expect(md).toContain(`**00:0`);
    expect(JSON.parse(await vq.export('garden', 'json'))).toEqual(doc);
    await expect(vq.export('nope', 'json')).rejects.toMatchObject({ code: 'VIDEO_NOT_FOUND' });
  });

  it('enqueues a job, and refuses a second one for the same video while the first waits', async () => {
    const job = await vq.enqueue(video.path, { videoId: 'queued' });
    expect(job).toMatchObject({ videoId: 'queued', status: 'pending', kind: 'process' });
    await expect(vq.enqueue(video.path, { videoId: 'queued' })).rejects.toMatchObject({ code: 'VIDEO_BUSY' });
  });

  it('a failed run rejects through orThrow, and close() is idempotent', async () => {
    const err = await vq
      .process(join(dataDir, 'missing.mp4'))
      .orThrow()
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'FILE_NOT_FOUND' });
  });
});
