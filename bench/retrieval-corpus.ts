// The retrieval benchmark's corpus, generated deterministically (a seeded PRNG): 12 videos
// of synthetic transcript segments and scene captions with on-screen text, and questions
// with the time range that answers each (the gold moment).

import { seededRandom } from '@videoqa/testing';

export interface CorpusVideo {
  id: string;
  segments: { tStart: number; tEnd: number; text: string }[];
  scenes: { tStart: number; tEnd: number; caption: string; onScreen: string[] }[];
}

export interface CorpusQuestion {
  question: string;
  videoId: string;
  /** Where the answer is said (a segment) or shown (a scene). */
  gold: { tStart: number; tEnd: number };
  kind: 'spoken' | 'on-screen';
}

const prng = seededRandom;

/** Per topic: things, what they do (verb, its question form), units, and a slide title. */
const TOPICS: { id: string; things: string[]; acts: [string, string][]; units: string[]; slides: string[] }[] = [
  {
    id: 'cooking',
    things: ['copper kettle', 'tomato sauce', 'bread dough', 'onion soup', 'rice pot', 'chicken stock'],
    acts: [
      ['simmers', 'simmer'],
      ['rests', 'rest'],
      ['bakes', 'bake'],
      ['cools', 'cool'],
    ],
    units: ['minutes', 'hours'],
    slides: ['Knife skills', 'Spice rack', 'Oven settings'],
  },
  {
    id: 'cars',
    things: ['red coupe', 'diesel truck', 'electric hatchback', 'vintage roadster', 'rally car', 'delivery van'],
    acts: [
      ['accelerates', 'accelerate'],
      ['brakes', 'brake'],
      ['charges', 'charge'],
      ['idles', 'idle'],
    ],
    units: ['seconds', 'minutes'],
    slides: ['Engine bay', 'Tyre pressure', 'Fuel economy'],
  },
  {
    id: 'astronomy',
    things: ['space telescope', 'lunar probe', 'weather satellite', 'Mars rover', 'comet tracker', 'radio dish'],
    acts: [
      ['orbits', 'orbit'],
      ['scans', 'scan'],
      ['transmits', 'transmit'],
      ['rotates', 'rotate'],
    ],
    units: ['days', 'hours'],
    slides: ['Star chart', 'Launch window', 'Orbital map'],
  },
  {
    id: 'gardening',
    things: ['tomato seedling', 'rose bush', 'apple tree', 'herb planter', 'lawn sprinkler', 'compost heap'],
    acts: [
      ['sprouts', 'sprout'],
      ['blooms', 'bloom'],
      ['waters', 'water'],
      ['ripens', 'ripen'],
    ],
    units: ['days', 'weeks'],
    slides: ['Soil types', 'Pruning guide', 'Watering calendar'],
  },
  {
    id: 'finance',
    things: ['savings account', 'bond fund', 'index portfolio', 'pension plan', 'mortgage offer', 'credit card'],
    acts: [
      ['matures', 'mature'],
      ['compounds', 'compound'],
      ['resets', 'reset'],
      ['renews', 'renew'],
    ],
    units: ['months', 'years'],
    slides: ['Interest rates', 'Budget sheet', 'Tax brackets'],
  },
  {
    id: 'hiking',
    things: ['mountain trail', 'river crossing', 'forest loop', 'summit ridge', 'canyon path', 'glacier route'],
    acts: [
      ['climbs', 'climb'],
      ['winds', 'wind'],
      ['descends', 'descend'],
      ['crosses', 'cross'],
    ],
    units: ['kilometres', 'hours'],
    slides: ['Trail map', 'Packing list', 'Weather forecast'],
  },
  {
    id: 'chemistry',
    things: ['copper sulfate', 'sodium solution', 'acid titration', 'crystal sample', 'ethanol burner', 'salt bridge'],
    acts: [
      ['dissolves', 'dissolve'],
      ['reacts', 'react'],
      ['evaporates', 'evaporate'],
      ['crystallises', 'crystallise'],
    ],
    units: ['seconds', 'minutes'],
    slides: ['Periodic table', 'Safety rules', 'Reaction diagram'],
  },
  {
    id: 'music',
    things: ['grand piano', 'bass guitar', 'drum solo', 'violin section', 'choir rehearsal', 'brass band'],
    acts: [
      ['plays', 'play'],
      ['tunes', 'tune'],
      ['rehearses', 'rehearse'],
      ['echoes', 'echo'],
    ],
    units: ['minutes', 'bars'],
    slides: ['Chord chart', 'Stage plan', 'Set list'],
  },
  {
    id: 'football',
    things: ['home striker', 'away goalkeeper', 'penalty kick', 'corner routine', 'youth squad', 'team captain'],
    acts: [
      ['sprints', 'sprint'],
      ['trains', 'train'],
      ['scores', 'score'],
      ['defends', 'defend'],
    ],
    units: ['minutes', 'metres'],
    slides: ['Formation board', 'League table', 'Match stats'],
  },
  {
    id: 'programming',
    things: ['test suite', 'build pipeline', 'database query', 'web server', 'cache layer', 'deploy script'],
    acts: [
      ['runs', 'run'],
      ['compiles', 'compile'],
      ['restarts', 'restart'],
      ['times', 'time'],
    ],
    units: ['seconds', 'milliseconds'],
    slides: ['Login button', 'Error console', 'Settings page'],
  },
  {
    id: 'history',
    things: ['roman aqueduct', 'castle siege', 'trade caravan', 'printing press', 'steam engine', 'harbour wall'],
    acts: [
      ['lasts', 'last'],
      ['spans', 'span'],
      ['endures', 'endure'],
      ['stretches', 'stretch'],
    ],
    units: ['years', 'centuries'],
    slides: ['Timeline', 'Old map', 'Museum label'],
  },
  {
    id: 'medicine',
    things: ['flu vaccine', 'blood test', 'heart monitor', 'knee brace', 'eye drops', 'asthma inhaler'],
    acts: [
      ['works', 'work'],
      ['heals', 'heal'],
      ['lasts', 'last'],
      ['acts', 'act'],
    ],
    units: ['hours', 'days'],
    slides: ['Dosage chart', 'Anatomy poster', 'Clinic hours'],
  },
];

const NUMBERS = [
  'three',
  'four',
  'five',
  'six',
  'seven',
  'eight',
  'nine',
  'ten',
  'twelve',
  'fifteen',
  'twenty',
  'thirty',
];
/** Talk that mentions the topic's things without the facts asked about: the distractors. */
const FILLER = [
  (t: string) => `Let us talk a little more about the ${t} before we move on.`,
  (t: string) => `Many people ask me whether the ${t} is worth the trouble.`,
  (t: string) => `I remember the first time I saw a ${t} up close.`,
  (t: string) => `Keep an eye on the ${t} while I explain the next part.`,
  (t: string) => `A good ${t} makes everything else easier.`,
  () => 'Thanks for sticking with me, this part matters.',
  () => 'Now we take a short break and look at the details.',
];

/** Talk that repeats a question's words (thing and verb) without its answer: the hard distractors. */
const NEAR_MISS = [
  (t: string, v: string) => `Some say the ${t} ${v} too slowly, but that is a myth.`,
  (t: string, v: string) => `Watch closely how the ${t} ${v} in this next shot.`,
  (t: string, v: string) => `Whether the ${t} ${v} well depends on the season.`,
];
/** Ways to ask for a fact, from close to the spoken words to far from them. */
const ASK = [
  (thing: string, base: string) => `How long does the ${thing} ${base}?`,
  (thing: string, base: string) => `For how much time does the ${thing} ${base}?`,
  (thing: string) => `What duration is given for the ${thing}?`,
  (thing: string, base: string) => `${thing}: how long to ${base}?`,
];

/** Twelve videos, five spoken facts and one on-screen slide asked about in each: 72 questions. */
export function makeCorpus(seed = 12): { videos: CorpusVideo[]; questions: CorpusQuestion[] } {
  const rand = prng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!;
  const videos: CorpusVideo[] = [];
  const questions: CorpusQuestion[] = [];
  for (const topic of TOPICS) {
    const id = `bench-${topic.id}`;
    const segments: CorpusVideo['segments'] = [];
    let t = 0;
    const say = (text: string) => {
      const len = 3 + Math.round(rand() * 40) / 10;
      segments.push({ tStart: Math.round(t * 10) / 10, tEnd: Math.round((t + len) * 10) / 10, text });
      t += len + 0.5 + Math.round(rand() * 15) / 10;
    };
    topic.things.slice(0, 5).forEach((thing, i) => {
      const [verb, base] = topic.acts[i % topic.acts.length]!;
      for (let k = 0; k < 3; k++) {
        // Half the talk is near misses: a thing of this topic with a verb of this topic, often the very pair asked about.
        if (rand() < 0.5)
          say(pick(NEAR_MISS)(rand() < 0.4 ? thing : pick(topic.things), rand() < 0.5 ? verb : pick(topic.acts)[0]));
        else say(pick(FILLER)(pick(topic.things)));
      }
      const amount = `${pick(NUMBERS)} ${pick(topic.units)}`;
      say(`The ${thing} ${verb} for ${amount}, which surprised everyone.`);
      const fact = segments.at(-1)!;
      questions.push({
        question: pick(ASK)(thing, base),
        videoId: id,
        gold: { tStart: fact.tStart, tEnd: fact.tEnd },
        kind: 'spoken',
      });
    });
    for (let k = 0; k < 4; k++) say(pick(FILLER)(pick(topic.things)));
    const duration = Math.ceil(t);
    const sceneLen = duration / topic.slides.length;
    const scenes = topic.slides.map((title, i) => ({
      tStart: Math.round(i * sceneLen * 10) / 10,
      tEnd: Math.round((i + 1) * sceneLen * 10) / 10,
      caption: `A presenter stands beside a screen showing a slide about ${topic.id}`,
      onScreen: [title, `${topic.id} part ${i + 1}`],
    }));
    const shown = scenes[Math.floor(rand() * scenes.length)]!;
    questions.push({
      question: `When is the ${shown.onScreen[0]!.toLowerCase()} slide shown?`,
      videoId: id,
      gold: { tStart: shown.tStart, tEnd: shown.tEnd },
      kind: 'on-screen',
    });
    videos.push({ id, segments, scenes });
  }
  return { videos, questions };
}
