import { describe, expect, it } from 'vitest';
import { ChaptersInvalidError, cleanTags, cleanTitle, MAX_TITLE_CHARS, repairDraft } from './repair.ts';
import { groupForMerge, planWindows } from './windows.ts';

const ctx = {
  rangeStart: 0,
  rangeEnd: 600,
  minChapterSec: 120,
  sceneStarts: [0, 130, 250, 410],
  segmentStarts: [0, 50, 118, 240, 300, 405, 500],
};
const ch = (t_start: number, t_end: number, title = `Title ${t_start}`) => ({
  t_start,
  t_end,
  title,
  summary: `About ${t_start}.`,
});
const draft = (chapters: ReturnType<typeof ch>[]) => ({
  chapters,
  summary: 'A video.',
  key_points: [{ text: 'Point', t_start: 10, t_end: 20 }],
  tags: ['Bread', 'bread ', '#Baking'],
});

describe('repairDraft', () => {
  it('snaps starts to the nearest scene start, else a segment start, and closes every gap and overlap', () => {
    const r = repairDraft(draft([ch(3, 100), ch(125, 260), ch(245, 300), ch(320, 600)]), ctx);
    // 3 → 0 (the first starts the range); 125 → scene 130; 245 → scene 250; 320 has no scene
    // within 30 s → segment 300. The 50 s chapter 250–300 is then merged into 130–250.
    expect(r.chapters.map((c) => [c.tStart, c.tEnd])).toEqual([
      [0, 130],
      [130, 300],
      [300, 600],
    ]);
    expect(r.chapters.map((c) => c.title)).toEqual(['Title 3', 'Title 125', 'Title 320']);
    expect(r.tags).toEqual(['bread', 'baking']);
  });

  it('merges chapters shorter than the minimum into their shorter neighbour, keeping the longer title', () => {
    const r = repairDraft(
      draft([ch(0, 130, 'Intro'), ch(130, 250, 'Main'), ch(250, 300, 'Tiny'), ch(300, 600, 'End')]),
      { ...ctx, sceneStarts: [], segmentStarts: [] },
    );
    expect(r.chapters.map((c) => c.title)).toEqual(['Intro', 'Main', 'End']);
    expect(r.chapters.map((c) => c.tStart)).toEqual([0, 130, 300]);
    for (const c of r.chapters) expect(c.tEnd - c.tStart).toBeGreaterThanOrEqual(120);
    expect(r.repairs.join()).toMatch(/merged/);
  });

  it('drops chapters and key points outside the range, clamps the rest', () => {
    const d = {
      ...draft([ch(-50, -1, 'Before'), ch(0, 300), ch(300, 900), ch(700, 800, 'After')]),
      key_points: [
        { text: 'late', t_start: 590, t_end: 700 },
        { text: 'gone', t_start: 650, t_end: 660 },
        { text: '', t_start: 1, t_end: 2 },
      ],
    };
    const r = repairDraft(d, ctx);
    expect(r.chapters.map((c) => c.title)).not.toContain('Before');
    expect(r.chapters.map((c) => c.title)).not.toContain('After');
    expect(r.keyPoints).toEqual([{ text: 'late', tStart: 590, tEnd: 600 }]);
  });

  it('rejects what cannot be repaired, with a clear message', () => {
    expect(() => repairDraft(draft([ch(700, 800)]), ctx)).toThrow(ChaptersInvalidError);
    expect(() => repairDraft(draft([ch(700, 800)]), ctx)).toThrow(/none of the 1 chapter\(s\) lies inside 0–600 s/);
    expect(() => repairDraft(draft([ch(0, 300), ch(300, 600, ' ')]), ctx)).toThrow(/chapter 2 of 2 has no title/);
    expect(() => repairDraft({ ...draft([ch(0, 600)]), summary: ' ' }, ctx)).toThrow(/summary is empty/);
  });

  it('cleans titles and tags', () => {
    expect(cleanTitle('  00:00 - "Getting started."  ')).toBe('Getting started');
    expect(cleanTitle('Chapter 3: Baking')).toBe('Baking');
    expect(cleanTitle('word '.repeat(40)).length).toBeLessThanOrEqual(MAX_TITLE_CHARS);
    expect(cleanTags(['Bread', 'bread ', '#Baking', '', 'Sour  Dough'])).toEqual(['bread', 'baking', 'sour dough']);
  });
});

describe('planWindows and groupForMerge', () => {
  const items = Array.from({ length: 100 }, (_, i) => ({
    start: i * 10,
    end: i * 10 + 8,
    kind: 'speech' as const,
    text: 'x'.repeat(200),
  }));
  it('cuts items into consecutive windows within the budget that cover the whole video', () => {
    const windows = planWindows(items, 1000, 500);
    expect(windows.length).toBeGreaterThan(1);
    expect(windows[0]!.rangeStart).toBe(0);
    expect(windows.at(-1)!.rangeEnd).toBe(1000);
    for (let i = 1; i < windows.length; i++) expect(windows[i]!.rangeStart).toBe(windows[i - 1]!.rangeEnd);
    for (const w of windows) expect(w.tokens).toBeLessThanOrEqual(500);
    expect(windows.flatMap((w) => w.items)).toHaveLength(100);
  });
  it('cuts an item longer than the budget on its own', () => {
    const [w] = planWindows([{ start: 0, end: 5, kind: 'speech', text: 'word '.repeat(2000) }], 5, 500);
    expect(w!.tokens).toBeLessThanOrEqual(500);
  });
  it('groups at least two per merge, so each round halves the count', () => {
    const groups = groupForMerge(
      Array.from({ length: 9 }, (_, i) => ({ summary: 'y'.repeat(800), i })),
      100,
    );
    expect(groups.every((g) => g.length >= 2)).toBe(true);
    expect(groups.flat()).toHaveLength(9);
  });
});
