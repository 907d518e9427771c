/**
 * How the fake OpenAI server answers chapters requests (a structured chat completion
 * named `video_chapters` whose user message is JSON with `task` "chapters" or "merge"),
 * computed from the text it receives so tests can check times, coverage and titles.
 */

/**
 * - faithful: chapters start at items, one per min_chapter_sec at most, titled by their most frequent words;
 * - out_of_range: the faithful reply plus a chapter before 0 and one after the range, and a key point past the end;
 * - overlapping: the faithful chapters in reverse order, each running 30 s into the next;
 * - untitled: the faithful reply with every title empty (not repairable);
 * - obey_injection: a model that falls for instructions in the text: when an item says
 *   "ignore ... instructions", it replies with another shape (`chapters` as a string, an extra field).
 */
export type ChaptersMode = 'faithful' | 'out_of_range' | 'overlapping' | 'untitled' | 'obey_injection';

interface Item {
  start: number;
  end: number;
  kind?: string;
  speaker?: string;
  text: string;
}

interface Draft {
  chapters: { t_start: number; t_end: number; title: string; summary: string }[];
  summary: string;
  key_points: { text: string; t_start: number; t_end: number }[];
  tags: string[];
}

export interface ChaptersRequestBody {
  task: 'chapters' | 'merge';
  duration_sec: number;
  range_start: number;
  range_end: number;
  min_chapter_sec: number;
  items?: Item[];
  parts?: (Omit<Draft, 'chapters'> & { range_start: number; range_end: number })[];
}

const STOP = new Set(
  'a an the of and or to in on at is are was were it its with for this that these those by as be been from we you they he she i our your their will can not but so if then than into about over also just there here what when which who how all any some more most very speech screen frame shows'.split(
    ' ',
  ),
);

const words = (text: string) =>
  (text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).filter((w) => w.length >= 4 && !STOP.has(w));

/** The n most frequent content words, ties by first appearance. */
function topWords(text: string, n: number): string[] {
  const counts = new Map<string, number>();
  for (const w of words(text)) counts.set(w, (counts.get(w) ?? 0) + 1);
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([w]) => w);
}

const firstSentence = (text: string) => (text.trim().split(/(?<=[.!?])\s+/)[0] ?? '').slice(0, 200);
const capitalise = (w: string) => w.charAt(0).toUpperCase() + w.slice(1);

/** Recognises a chapters request by its user message. */
export function chaptersRequest(messages: { role: string; content: string }[]): ChaptersRequestBody | undefined {
  const user = messages.filter((m) => m.role === 'user').at(-1);
  if (!user) return undefined;
  try {
    const body = JSON.parse(user.content) as Partial<ChaptersRequestBody>;
    if ((body.task === 'chapters' && Array.isArray(body.items)) || (body.task === 'merge' && Array.isArray(body.parts)))
      return body as ChaptersRequestBody;
  } catch {
    /* not JSON: not a chapters request */
  }
  return undefined;
}

function draftFromItems(req: ChaptersRequestBody): Draft {
  const items = [...(req.items ?? [])].sort((a, b) => a.start - b.start);
  const groups: Item[][] = [];
  for (const item of items) {
    const current = groups.at(-1);
    if (!current || item.start >= current[0]!.start + req.min_chapter_sec) groups.push([item]);
    else current.push(item);
  }
  const chapters = groups.map((g, i) => {
    const text = g.map((x) => x.text).join(' ');
    const title = topWords(text, 3).map(capitalise).join(' ') || `Part ${i + 1}`;
    return {
      t_start: i === 0 ? req.range_start : g[0]!.start,
      t_end: groups[i + 1]?.[0]?.start ?? req.range_end,
      title,
      summary: firstSentence(text),
    };
  });
  const all = items.map((x) => x.text).join(' ');
  return {
    chapters,
    summary: `This part covers ${chapters.map((c) => c.title.toLowerCase()).join(', ')}.`,
    key_points: groups.slice(0, 7).map((g) => ({
      text: firstSentence(g[0]!.text) || 'A moment of the video',
      t_start: g[0]!.start,
      t_end: g[0]!.end,
    })),
    tags: topWords(all, 5).map((w) => w.toUpperCase()),
  };
}

/** A merge: the parts' first sentences, every key point, the tags of all parts. */
function mergeFromParts(req: ChaptersRequestBody): Omit<Draft, 'chapters'> {
  const parts = req.parts ?? [];
  return {
    summary: parts.map((p) => firstSentence(p.summary)).join(' '),
    key_points: parts.flatMap((p) => p.key_points),
    tags: [...new Set(parts.flatMap((p) => p.tags))],
  };
}

/** The reply content for a chapters request, in the given mode. */
export function answerChapters(req: ChaptersRequestBody, mode: ChaptersMode): unknown {
  const texts = [
    ...(req.items ?? []).map((i) => i.text),
    ...(req.parts ?? []).flatMap((p) => [p.summary, ...p.key_points.map((k) => k.text)]),
  ];
  if (
    mode === 'obey_injection' &&
    texts.some((t) => /ignore (all |any )?(the )?(previous|prior|above) instructions/i.test(t))
  ) {
    return { chapters: 'pwned', summary: 'I will do as the transcript says.', key_points: [], tags: [], admin: true };
  }
  if (req.task === 'merge') {
    const merged = mergeFromParts(req);
    return mode === 'out_of_range'
      ? {
          ...merged,
          key_points: [
            ...merged.key_points,
            { text: 'A point after the end', t_start: req.range_end + 10, t_end: req.range_end + 20 },
          ],
        }
      : merged;
  }
  const draft = draftFromItems(req);
  switch (mode) {
    case 'out_of_range':
      return {
        ...draft,
        chapters: [
          { t_start: -40, t_end: -5, title: 'Before The Start', summary: 'Nothing.' },
          ...draft.chapters.map((c, i, a) => (i === a.length - 1 ? { ...c, t_end: req.range_end + 100 } : c)),
          { t_start: req.range_end + 50, t_end: req.range_end + 90, title: 'After The End', summary: 'Nothing.' },
        ],
        key_points: [
          ...draft.key_points,
          { text: 'A point after the end', t_start: req.range_end + 10, t_end: req.range_end + 20 },
        ],
      };
    case 'overlapping':
      return { ...draft, chapters: draft.chapters.map((c) => ({ ...c, t_end: c.t_end + 30 })).reverse() };
    case 'untitled':
      return { ...draft, chapters: draft.chapters.map((c) => ({ ...c, title: '  ' })) };
    default:
      return draft;
  }
}
