import { MemoryStore, OcrError, runPipeline, type VisionProvider, type VisionRequest } from '@videoqa/core';
import {
  closeOcr,
  defaultStages,
  framesStage,
  normalizeStage,
  ocrStage,
  scenesStage,
  visionStage,
} from '@videoqa/stages';
import { keptText } from '@videoqa/stages/internals';
import { PgStore, searchContent } from '@videoqa/storage-pg';
import { hashingEmbeddingsProvider, makeSlideDeck, openTestDb, type GeneratedSlides } from '@videoqa/testing';
import type { Page } from 'tesseract.js';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runOn, tempDataDir } from './helpers.ts';

// One OCR worker pool for the whole file (the stage shares it per process); closed at the end.
afterAll(() => closeOcr());

const SLIDES = [
  { title: 'Quarterly review', bullets: ['Revenue grew in every region', 'Churn fell to four percent'] },
  { title: 'Product roadmap', bullets: ['Search across all meetings', 'Offline transcription'] },
  { title: 'Risks and mitigations', bullets: ['Vendor lock-in', 'Latency budget'] },
  { title: 'Hiring plan', bullets: ['Two engineers in March', 'One designer in May'] },
];
const words = (s: string): string[] => s.toLowerCase().match(/[a-z0-9]+/g) ?? [];

/** A vision provider that records what it was sent. */
function recordingVision(): VisionProvider & { requests: VisionRequest[] } {
  const requests: VisionRequest[] = [];
  return {
    name: 'recording',
    requests,
    async describeFrame(req) {
      requests.push(req);
      return {
        caption: 'A presentation slide',
        entities: { objects: ['slide'], text: [], controls: [], people_count: 0 },
      };
    },
  };
}

let deck: GeneratedSlides;
beforeAll(async () => {
  deck = await makeSlideDeck({ slides: SLIDES, theme: 'dark' });
});

describe('ocr stage', () => {
  it('reads every slide of a deck, each from its own keyframe, and gives vision the text as a hint', async () => {
    const vision = recordingVision();
    const stages = [normalizeStage(), scenesStage(), framesStage(), ocrStage(), visionStage({ provider: vision })];
    const { result, store } = await runOn(deck.path, stages);
    expect(result.status).toBe('done');
    const frames = await store.listFrames('v1');
    expect(frames.filter((f) => !f.duplicateOf)).toHaveLength(SLIDES.length);
    const ocr = await store.listOcr('v1');
    expect(ocr.map((o) => o.frameId)).toEqual(frames.map((f) => f.id));
    SLIDES.forEach((slide, i) => {
      const read = words(ocr[i]!.text);
      // Every word of the title and most words of the bullets, from this slide's frame.
      for (const w of words(slide.title)) expect(read).toContain(w);
      const bulletWords = slide.bullets.flatMap(words);
      expect(bulletWords.filter((w) => read.includes(w)).length).toBeGreaterThanOrEqual(bulletWords.length - 1);
      expect(ocr[i]).toMatchObject({ language: 'eng', id: `${frames[i]!.id}_ocr` });
      expect(ocr[i]!.confidence).toBeGreaterThanOrEqual(60);
    });
    expect(result.stages.ocr!.counts).toMatchObject({ frames: 4, withText: 4 });
    expect(result.stages.ocr!.usage).toMatchObject({ frames: 4 });
    // vision ran after ocr and got each frame's own text.
    expect(vision.requests).toHaveLength(4);
    for (const req of vision.requests)
      expect(SLIDES.some((s) => words(req.ocrText ?? '').includes(words(s.title)[0]!))).toBe(true);
  });

  it('replaces its rows on a rerun', async () => {
    const dataDir = tempDataDir();
    const store = new MemoryStore();
    const stages = [normalizeStage(), scenesStage(), framesStage(), ocrStage()];
    await runPipeline({ video: deck.path, videoId: 'v1', stages, store, config: { dataDir } });
    const first = await store.listOcr('v1');
    const again = await runPipeline({
      video: { id: 'v1', originalPath: '' },
      stages,
      store,
      config: { dataDir },
      only: ['ocr'],
      resume: false,
    });
    expect(again.status).toBe('done');
    expect(await store.listOcr('v1')).toEqual(first);
  });

  it('is skipped when OCR_ENABLED is false, and is one of the default stages', async () => {
    const { result, store } = await runOn(deck.path, [normalizeStage(), scenesStage(), framesStage(), ocrStage()], {
      config: { ocrEnabled: false },
    });
    expect(result.stages.ocr!.status).toBe('skipped');
    expect(await store.listOcr('v1')).toEqual([]);
    expect(defaultStages().map((s) => s.name)).toEqual([
      'normalize',
      'transcribe',
      'scenes',
      'frames',
      'ocr',
      'vision',
      'chapters',
      'embeddings',
    ]);
  });

  it('names the package to install when a language is missing, and does not retry', async () => {
    const { result } = await runOn(deck.path, [normalizeStage(), scenesStage(), framesStage(), ocrStage()], {
      config: { ocrLanguages: ['zzz'] },
    });
    expect(result.status).toBe('failed');
    const err = result.stages.ocr!.error as unknown;
    expect(err).toBeInstanceOf(OcrError);
    expect(err).toMatchObject({ code: 'OCR_LANGUAGE_MISSING', retryable: false });
    expect((err as Error).message).toMatch(/@tesseract\.js-data\/zzz/);
  });

  it('drops low-confidence words and symbol-only words', () => {
    const word = (text: string, confidence: number) => ({ text, confidence });
    const page = {
      blocks: [
        {
          paragraphs: [
            {
              lines: [
                { words: [word('Quarterly', 95), word('review', 91), word('~', 90)] },
                { words: [word('x7#', 20)] },
              ],
            },
          ],
        },
      ],
    } as unknown as Page;
    expect(keptText(page, 60)).toEqual({ text: 'Quarterly review', confidence: 93, words: 2 });
    expect(keptText(page, 10).text).toBe('Quarterly review\nx7#');
  });
});

describe.each(['pglite', 'postgres'] as const)('a deck processed end to end into %s', (kind) => {
  it('finds each slide by its text, through full-text and vector search', async () => {
    const t = await openTestDb(kind, inject('pgUrl'));
    try {
      const store = new PgStore(t.db);
      const embeddings = hashingEmbeddingsProvider();
      // The default stages: transcribe skips (no audio, no key), vision and embeddings use local providers.
      const stages = defaultStages({ providers: { vision: recordingVision(), embeddings } });
      const result = await runPipeline({
        video: deck.path,
        videoId: `deck-${kind}`,
        stages,
        store,
        config: { dataDir: tempDataDir(), openaiApiKey: undefined },
      });
      expect(result.status).toBe('done');
      const frames = await store.listFrames(`deck-${kind}`);
      expect(frames.filter((f) => !f.duplicateOf)).toHaveLength(SLIDES.length);
      expect(result.stages.embeddings!.data).toMatchObject({ ocr: SLIDES.length });
      for (const [i, slide] of SLIDES.entries()) {
        for (const opts of [{}, { embeddings }]) {
          const hits = await searchContent(t.db, slide.title, { ...opts, kinds: ['ocr'], limit: 3 });
          expect(hits[0]).toMatchObject({ kind: 'ocr', videoId: `deck-${kind}`, frame: { id: frames[i]!.id } });
          expect(words(hits[0]!.text)).toEqual(expect.arrayContaining(words(slide.title)));
        }
      }
      // OCR hits come with everything else by default.
      expect((await searchContent(t.db, 'hiring engineers March')).some((h) => h.kind === 'ocr')).toBe(true);
    } finally {
      await t.close();
    }
  }, 180_000); // the whole default pipeline, database included: like the other end-to-end tests, more than the 60 s default
});
