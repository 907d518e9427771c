import type { ChapterSourceItem } from '@videoqa/core';

/** About four characters per token for English text: the estimate ask uses too. */
export const estimateTokens = (text: string): number => Math.ceil(text.length / 4);
/** JSON keys, times and punctuation around each item's text. */
const ITEM_OVERHEAD_TOKENS = 14;

export const itemTokens = (item: ChapterSourceItem): number => estimateTokens(item.text) + ITEM_OVERHEAD_TOKENS;
export const jsonTokens = (value: unknown): number => estimateTokens(JSON.stringify(value));

export interface ChapterWindow {
  rangeStart: number;
  rangeEnd: number;
  items: ChapterSourceItem[];
  tokens: number;
}

/**
 * Cuts the video's timed items (in time order) into consecutive windows whose text fits
 * `budget` estimated tokens, so each request has a bounded prompt however long the video.
 * Windows cover [0, durationSec] without gaps: each ends where the next one's first item
 * starts. An item longer than the budget on its own is cut to fit.
 */
export function planWindows(items: readonly ChapterSourceItem[], durationSec: number, budget: number): ChapterWindow[] {
  const windows: ChapterWindow[] = [];
  let current: ChapterWindow | undefined;
  for (const raw of items) {
    let item = raw;
    if (itemTokens(item) > budget)
      item = {
        ...item,
        text: item.text.slice(0, Math.max(0, (budget - ITEM_OVERHEAD_TOKENS) * 4)).replace(/\s+\S*$/, ''),
      };
    const cost = itemTokens(item);
    if (!current || current.tokens + cost > budget) {
      if (current) current.rangeEnd = Math.max(current.rangeStart, item.start);
      current = { rangeStart: windows.length === 0 ? 0 : item.start, rangeEnd: durationSec, items: [], tokens: 0 };
      windows.push(current);
    }
    current.items.push(item);
    current.tokens += cost;
  }
  // A window that starts where its predecessor starts (items at one instant) adds nothing to cover.
  return windows.filter((w, i) => i === 0 || w.rangeEnd > w.rangeStart);
}

/**
 * Groups summaries of consecutive windows for merge requests: as many per group as fit
 * the budget, at least two, so each round at least halves the count and the number of
 * requests stays linear in the video's length.
 */
export function groupForMerge<T>(drafts: readonly T[], budget: number): T[][] {
  const groups: T[][] = [];
  let current: T[] = [];
  let tokens = 0;
  for (const d of drafts) {
    const cost = jsonTokens(d);
    if (current.length >= 2 && tokens + cost > budget) {
      groups.push(current);
      current = [];
      tokens = 0;
    }
    current.push(d);
    tokens += cost;
  }
  if (current.length > 0) {
    // A lone last draft joins the previous group rather than needing a request of its own.
    if (current.length === 1 && groups.length > 0) groups.at(-1)!.push(current[0]!);
    else groups.push(current);
  }
  return groups;
}
