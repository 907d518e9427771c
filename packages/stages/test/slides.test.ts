import { normalizeStage, scenesStage, type ScenesData } from '@videoqa/stages';
import { scoreBoundaries, slideFixtures } from '@videoqa/testing';
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
      table[name] = { expected: media.cuts.length, found: data.cuts.length, precision: s.precision, recall: s.recall, f1: s.f1 };
      expect({ name, found: data.cuts, precision: s.precision, recall: s.recall }).toEqual({ name, found: data.cuts, precision: 1, recall: 1 });
      // The colour-histogram detector alone sees none of these changes: the new detector is what finds them.
      if (name.startsWith('deck')) expect(data.hsvCuts.length).toBeLessThan(media.cuts.length);
      expect(await store.listScenes('v1')).toHaveLength(media.cuts.length + 1);
    });
  }
});
