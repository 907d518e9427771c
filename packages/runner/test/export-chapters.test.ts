import { chapterId, segmentId } from '@videoqa/core';
import { exportVideo, buildVideoExport } from '@videoqa/runner';
import { PgStore } from '@videoqa/storage-pg';
import { openTestDb, type TestDb } from '@videoqa/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

// The export reads the store the CLI and HTTP API read: PgStore on the embedded database.
let t: TestDb;
let store: PgStore;
beforeAll(async () => {
  t = await openTestDb('pglite', inject('pgUrl'));
  store = new PgStore(t.db);
  await store.saveVideo({ id: 'talk', originalPath: 'uploads/talk_a.mp4', durationSec: 3725, status: 'ready' });
  await store.replaceSegments('talk', [
    {
      id: segmentId('talk', 0),
      videoId: 'talk',
      idx: 0,
      tStart: 0.5,
      tEnd: 2.4,
      text: 'Welcome to the show.',
      speaker: 'A',
    },
    {
      id: segmentId('talk', 1),
      videoId: 'talk',
      idx: 1,
      tStart: 3,
      tEnd: 5.2,
      text: 'Thanks <b>for</b> having me & all.',
      speaker: 'B',
    },
    { id: segmentId('talk', 2), videoId: 'talk', idx: 2, tStart: 6, tEnd: 7, text: 'No speaker here.' },
  ]);
  await store.replaceChapters(
    'talk',
    [
      {
        id: chapterId('talk', 0),
        videoId: 'talk',
        idx: 0,
        tStart: 0,
        tEnd: 95,
        title: 'Introductions',
        summary: 'The host welcomes the guest.',
      },
      {
        id: chapterId('talk', 1),
        videoId: 'talk',
        idx: 1,
        tStart: 95,
        tEnd: 3700,
        title: 'The main interview',
        summary: 'They talk.',
      },
      {
        id: chapterId('talk', 2),
        videoId: 'talk',
        idx: 2,
        tStart: 3700,
        tEnd: 3725,
        title: 'Goodbye',
        summary: 'The end.',
      },
    ],
    {
      videoId: 'talk',
      summary: 'A host interviews a guest.',
      keyPoints: [{ text: 'The guest is welcomed', tStart: 0.5, tEnd: 5.2 }],
      tags: ['interview', 'talk show'],
      model: 'gpt-4o-mini',
    },
  );
});
afterAll(async () => t.close());

describe('export with chapters, summary and speakers', () => {
  it('puts YouTube-style chapter lines, the summary and speakers in the JSON export', async () => {
    const doc = await buildVideoExport(store, 'talk');
    expect(doc.chapter_lines).toEqual(['00:00 Introductions', '01:35 The main interview', '1:01:40 Goodbye']);
    expect(doc.chapters.map((c) => [c.t_start, c.t_end])).toEqual([
      [0, 95],
      [95, 3700],
      [3700, 3725],
    ]);
    expect(doc.summary).toEqual({
      text: 'A host interviews a guest.',
      key_points: [{ text: 'The guest is welcomed', t_start: 0.5, t_end: 5.2 }],
      tags: ['interview', 'talk show'],
      model: 'gpt-4o-mini',
    });
    expect(doc.segments.map((s) => s.speaker)).toEqual(['A', 'B', null]);
    const json = JSON.parse(await exportVideo(store, 'talk', 'json')) as typeof doc;
    expect(json.chapter_lines).toEqual(doc.chapter_lines);
  });

  it('writes the chapter lines as a block in Markdown, with the summary and speakers', async () => {
    const md = await exportVideo(store, 'talk', 'md');
    expect(md).toContain('## Chapters\n\n```text\n00:00 Introductions\n01:35 The main interview\n1:01:40 Goodbye\n```');
    expect(md).toContain('## Summary\n\nA host interviews a guest.');
    expect(md).toContain('- **00:00–00:05** The guest is welcomed');
    expect(md).toContain('Tags: interview, talk show');
    expect(md).toContain('**00:00** Speaker A: Welcome to the show.');
    expect(md).toContain('**00:06** No speaker here.');
  });

  it('labels speakers in SRT as [Speaker A] and in VTT with voice tags, escaping cue text', async () => {
    const srt = await exportVideo(store, 'talk', 'srt');
    expect(srt.split('\n\n').map((cue) => cue.split('\n')[2])).toEqual([
      '[Speaker A] Welcome to the show.',
      '[Speaker B] Thanks <b>for</b> having me & all.',
      'No speaker here.',
    ]);
    const vtt = await exportVideo(store, 'talk', 'vtt');
    expect(vtt.startsWith('WEBVTT\n\n')).toBe(true);
    const cues = vtt.slice('WEBVTT\n\n'.length).trim().split('\n\n');
    expect(cues.map((c) => c.split('\n')[2])).toEqual([
      '<v Speaker A>Welcome to the show.',
      '<v Speaker B>Thanks &lt;b&gt;for&lt;/b&gt; having me &amp; all.',
      'No speaker here.',
    ]);
    expect(cues[0]!.split('\n')[1]).toBe('00:00:00.500 --> 00:00:02.400');
  });
});
