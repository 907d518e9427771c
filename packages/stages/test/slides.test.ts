import { framesStage, normalizeStage, scenesStage, type ScenesData } from '@videoqa/stages';
import { hammingDistance } from '@videoqa/stages/internals';
import { makeSlideDeck, scoreBoundaries, slideFixtures } from '@videoqa/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { runOn } from './helpers.ts';

// Precision/recall per file, printed once at the end (the same table the local-stages benchmark writes).
const table: Record<string, { expected: number; found: number; precision: number; recall: number; f1: number }> = {};
afterAll(() => console.log(`scene boundaries on slide/screen media (±2 frames):\n${JSON.stringify(table, null, 1)}`));

describe('scenes on slides and screen recordings (settled-content detector)', () => {
  for (const [name, make] of Object.entries(slideFixtures)) {
    it(`${name}: every content change found within ±2 frames, nothing else`, async () => {
      const media = await make();
      const { result, store } = await runOn(media.path, [normalizeStage(), scenesStage()]);
      expect(result.status).toBe('done');
      const data = result.stages.scenes!.data as ScenesData;
      const s = scoreBoundaries(media.cuts, data.cuts);
      table[name] = {
        expected: media.cuts.length,
        found: data.cuts.length,
        precision: s.precision,
        recall: s.recall,
        f1: s.f1,
      };
      expect({ name, found: data.cuts, precision: s.precision, recall: s.recall }).toEqual({
        name,
        found: data.cuts,
        precision: 1,
        recall: 1,
      });
      // The colour-histogram detector alone sees none of these changes: the new detector is what finds them.
      if (name.startsWith('deck')) expect(data.hsvCuts.length).toBeLessThan(media.cuts.length);
      expect(await store.listScenes('v1')).toHaveLength(media.cuts.length + 1);
    });
  }
});

describe('keyframes of slides (de-duplication confirmed on the pictures)', () => {
  const A = {
    title: 'Quarterly review',
    bullets: ['Revenue grew in every region', 'Churn fell to four percent', 'Hiring is on plan'],
  };
  const B = {
    title: 'Product roadmap',
    bullets: ['Search across all meetings', 'Offline transcription', 'Faster uploads'],
  };
  const C = { title: 'Next steps', bullets: ['Ship the beta in March', 'Interview ten customers', 'Review pricing'] };

  it('gives every slide of one layout its own keyframe, and still finds a returning slide (A B C A)', async () => {
    const deck = await makeSlideDeck({ slides: [A, B, C, A], cursor: true });
    const { result, store } = await runOn(deck.path, [normalizeStage(), scenesStage(), framesStage()]);
    expect(result.status).toBe('done');
    const frames = await store.listFrames('v1');
    expect(frames.map((f) => f.duplicateOf)).toEqual([null, null, null, 'v1_frame_000']);
    // The 64-bit pHashes alone are within the duplicate distance for some of these different slides.
    const close = frames
      .slice(0, 3)
      .flatMap((f, i) => frames.slice(i + 1, 3).filter((g) => hammingDistance(f.phash, g.phash) <= 10));
    expect(close.length).toBeGreaterThan(0);
  });

  it('keeps the final state of each revealed slide as its own keyframe', async () => {
    const media = await slideFixtures['reveal-bullets']!();
    const { store } = await runOn(media.path, [normalizeStage(), scenesStage(), framesStage()]);
    const frames = await store.listFrames('v1');
    expect(frames).toHaveLength(media.steps.length);
    const finals = media.steps.flatMap((s, i) =>
      i === media.steps.length - 1 || media.steps[i + 1]!.slide !== s.slide ? [i] : [],
    );
    for (const i of finals) expect(frames[i]!.duplicateOf).toBeNull();
  });
});
