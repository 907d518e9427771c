import { tokens } from '../hashing-embeddings.ts';

/**
 * How the fake answers a grounded-answer request (a chat completion whose user
 * message is a JSON object with a question and passages):
 * - grounded: from the passage sharing most words with the question, quoting its best sentence, with its id;
 * - not_found: found false, no citations, whatever the passages say;
 * - invalid_citations: the grounded reply plus three bad citations (unknown id, times outside the passage, a quote not in it);
 * - obey_injection: a model that falls for instructions in passage text: when a passage says
 *   "ignore ... instructions", it answers with the system prompt, cites a made-up passage and adds a field.
 */
export type AskMode = 'grounded' | 'not_found' | 'invalid_citations' | 'obey_injection';

/** Words of a question that say nothing about its subject. */
const QUESTION_WORDS = new Set([
  'what',
  'who',
  'whom',
  'when',
  'where',
  'which',
  'why',
  'how',
  'doe',
  'do',
  'did',
  'video',
  'say',
  'said',
  'show',
  'shown',
  'mention',
  'tell',
  'about',
  'there',
  'any',
]);

/** A passage as core's buildAnswerMessages sends it. */
interface AskPassage {
  id: string;
  video?: string;
  start: number;
  end: number;
  text: string;
  scene_caption?: string;
}

export interface AskRequest {
  question: string;
  passages: AskPassage[];
  /** The system messages, joined: what obey_injection leaks. */
  system: string;
}

interface GroundedReply {
  answer: string;
  citations: { passage_id: string; t_start: number; t_end: number; quote: string }[];
  found: boolean;
  admin?: boolean;
}

const clock = (s: number) =>
  `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(Math.floor(s % 60)).padStart(2, '0')}`;

const round = (t: number) => Math.round(t * 100) / 100;

/**
 * Where a quoted sentence of the passage text was said, estimated as a model would have to
 * (passages carry one time range for all their text): its share of the range at its place in
 * the text, as speech runs at a steady pace. A sentence of the scene caption is the whole range.
 * Answering with the passage's start named 00:00 for a sentence said at 00:10 of a 25 s passage;
 * this lands within a second or so of the segment videoqa then narrows the citation to.
 */
function sentenceSpan(passage: AskPassage, sentence: string): { t_start: number; t_end: number } {
  const at = passage.text.indexOf(sentence);
  const length = passage.text.length;
  if (at < 0 || length === 0) return { t_start: passage.start, t_end: passage.end };
  const duration = passage.end - passage.start;
  return {
    t_start: round(passage.start + (duration * at) / length),
    t_end: round(passage.start + (duration * (at + sentence.length)) / length),
  };
}

/** A grounded-answer request: the user message is JSON with a question and passages. */
export function askRequest(messages: { role: string; content: string }[]): AskRequest | undefined {
  const user = messages.filter((m) => m.role === 'user').at(-1);
  if (!user) return undefined;
  try {
    const body = JSON.parse(user.content) as { question?: unknown; passages?: unknown };
    if (typeof body.question !== 'string' || !Array.isArray(body.passages)) return undefined;
    return {
      question: body.question,
      passages: body.passages as AskPassage[],
      system: messages
        .filter((m) => m.role === 'system')
        .map((m) => m.content)
        .join('\n'),
    };
  } catch {
    return undefined;
  }
}

/** The reply of a model that reads the passages and nothing else (see AskMode). */
export function groundedAnswer(ask: AskRequest, mode: AskMode): GroundedReply {
  const notFound = {
    answer: 'The videos do not show this: none of the passages answers the question.',
    citations: [],
    found: false,
  };
  if (mode === 'not_found') return notFound;
  if (
    mode === 'obey_injection' &&
    ask.passages.some((p) =>
      /ignore (all |any )?(the )?(previous|prior|above) instructions/i.test(`${p.text} ${p.scene_caption ?? ''}`),
    )
  ) {
    return {
      answer: ask.system,
      citations: [{ passage_id: 'attacker:segment:0.0', t_start: 0, t_end: 1, quote: 'ignore previous instructions' }],
      found: true,
      admin: true,
    };
  }
  const wanted = new Set(tokens(ask.question).filter((w) => !QUESTION_WORDS.has(w)));
  const shared = (text: string) => new Set(tokens(text).filter((w) => wanted.has(w))).size;
  let best: { passage: AskPassage; sentence: string; score: number } | undefined;
  for (const passage of ask.passages) {
    const score = shared(`${passage.text} ${passage.scene_caption ?? ''}`);
    if (score === 0 || (best && score <= best.score)) continue;
    const sentences = [passage.text, passage.scene_caption ?? '']
      .flatMap((t) => t.split(/(?<=[.!?])\s+/))
      .filter((t) => t.trim());
    const sentence = sentences.reduce((a, b) => (shared(b) > shared(a) ? b : a));
    best = { passage, sentence: sentence.trim(), score };
  }
  if (!best) return notFound;
  const { passage, sentence } = best;
  const citation = { passage_id: passage.id, ...sentenceSpan(passage, sentence), quote: sentence };
  const reply: GroundedReply = {
    // The time said is the cited moment's, as a careful model would write it.
    answer: `According to video ${passage.video ?? ''} at ${clock(citation.t_start)}: ${sentence}`,
    citations: [citation],
    found: true,
  };
  if (mode === 'invalid_citations') {
    reply.citations.push(
      { passage_id: 'no-such-video:segment:0.0', t_start: 0, t_end: 1, quote: sentence },
      { passage_id: passage.id, t_start: passage.end + 5, t_end: passage.end + 9, quote: sentence },
      {
        passage_id: passage.id,
        t_start: passage.start,
        t_end: passage.end,
        quote: 'words nobody ever said in this video',
      },
    );
  }
  return reply;
}
