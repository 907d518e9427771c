// The whole pipeline through the CLI (`videoqa process --json`, embedded database) on generated
// 1- and 5-minute 1080p30 videos with speech, against the fake OpenAI server at realistic latencies.
// Three runs per length, each on a new DATA_DIR: normalize alone (`--stages normalize`); the
// pipeline issue 17's target is written for (normalize, transcribe, scenes, frames, vision,
// embeddings: OCR and chapters off), giving the ratio total / (normalize alone + frames +
// ceil(frames / C) x vision latency + one embeddings round trip), which is 1.0 when transcription
// is fully hidden; and every stage on (the default), for the table beside the seed's.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FakeOpenAIServer, makeVideo, type Shot, type ShotSource } from '@videoqa/testing';
import { measure, round, writeResult } from './lib.ts';
import { SENTENCES as LONG_SENTENCES } from './long-media.ts';

const cli = fileURLToPath(new URL('../packages/runner/dist/cli.js', import.meta.url));
// Round-trip times chosen to resemble the real API: Whisper ~3 s per request, GPT-4o vision ~2 s, embeddings ~0.4 s.
const LATENCY = { transcriptions: 3000, chat: 2000, embeddings: 400 };
const fake = await FakeOpenAIServer.start({ latencyMs: LATENCY });
const SEED = {
  1: { normalize: 5, transcribe: 10, scenes: 2, frames: 3, vision: 8, embeddings: 5, total: 33 },
  5: { normalize: 15, transcribe: 30, scenes: 5, frames: 10, vision: 30, embeddings: 20, total: 120 },
} as const;
const SOURCES: ShotSource[] = [
  'testsrc2',
  'smptebars',
  'rgbtestsrc',
  'gradients',
  'pan',
  'spin',
  'blue',
  'checker',
  'red',
  'stripes',
];
// The long-video benchmark's first six sentences (the same words, so the cached videos stay valid).
const SENTENCES = LONG_SENTENCES.slice(0, 6);

const results: Record<string, unknown> = { latencyMs: LATENCY };
for (const minutes of [1, 5] as const) {
  const shots: Shot[] = Array.from({ length: minutes * 6 }, (_, i) => ({
    source: SOURCES[i % SOURCES.length]!,
    seconds: 10,
  }));
  const sentences = Array.from({ length: minutes * 10 }, (_, i) => SENTENCES[i % SENTENCES.length]!);
  console.log(`generating a ${minutes}-minute 1080p30 video with speech...`);
  const video = await makeVideo({
    shots,
    width: 1920,
    height: 1080,
    fps: 30,
    audio: { kind: 'speech', sentences, gapSec: 2.5 },
  });
  const run = async (args: string[], extraEnv: NodeJS.ProcessEnv = {}) => {
    const m = await measure(process.execPath, [cli, 'process', video.path, '--json', ...args], {
      ...process.env,
      DATA_DIR: mkdtempSync(join(tmpdir(), 'vq-bench-e2e-')),
      DATABASE_URL: '',
      OPENAI_API_KEY: fake.apiKey,
      OPENAI_BASE_URL: fake.url,
      ...extraEnv,
    });
    const summary = JSON.parse(m.stdout);
    const stageSec = Object.fromEntries(
      Object.entries(summary.timings_ms as Record<string, number>).map(([k, v]) => [k, round(v / 1000, 2)]),
    );
    return { m, summary, stageSec, totalSec: round(summary.total_ms / 1000, 2) };
  };
  const alone = await run(['--stages', 'normalize']);
  const target = await run([], { OCR_ENABLED: 'false', CHAPTERS_ENABLED: 'false' });
  const visionFrames = target.summary.counts.frames - target.summary.counts.duplicate_frames;
  const visionC = 5; // VISION_MAX_CONCURRENT's default
  const bound =
    alone.stageSec.normalize! +
    target.stageSec.frames! +
    Math.ceil(visionFrames / visionC) * (LATENCY.chat / 1000) +
    LATENCY.embeddings / 1000;
  const full = await run([]);
  results[`${minutes}min`] = {
    videoSeconds: round(video.durationSec, 1),
    stagesSeconds: full.stageSec,
    pipelineSeconds: full.totalSec,
    commandSeconds: full.m.seconds,
    peakRssMiB: full.m.peakRssMiB,
    counts: full.summary.counts,
    seedTableSeconds: SEED[minutes],
    transcriptionHidden: {
      normalizeAloneSeconds: alone.stageSec.normalize,
      pipelineWithoutOcrAndChapters: { stagesSeconds: target.stageSec, totalSeconds: target.totalSec },
      visionFrames,
      visionConcurrency: visionC,
      boundSeconds: round(bound, 2),
      ratio: round(target.totalSec / bound, 3),
      target: '<= 1.05',
    },
  };
  console.log(JSON.stringify(results[`${minutes}min`]));
}
await fake.close();
writeResult('e2e', results);
