// AI stages against the fake OpenAI server at fixed latencies: vision wall time against
// ceil(N/C)·L, and transcription wall time for 5 and 30 minutes of audio.
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { frameId, MemoryStore, runPipeline, sceneId, type Stage } from '@videoqa/core';
import { transcriptionStages, visionStage } from '@videoqa/stages';
import { FakeOpenAIServer, makeToneWav, toneRegions } from '@videoqa/testing';
import { round, writeResult } from './lib.ts';

const fake = await FakeOpenAIServer.start();
const ai = { openaiApiKey: fake.apiKey, openaiBaseUrl: fake.url };
const results: Record<string, unknown> = {};

async function framesStore(n: number) {
  const dataDir = mkdtempSync(join(tmpdir(), 'vq-bench-ai-'));
  const store = new MemoryStore();
  await store.saveVideo({ id: 'v', originalPath: 'uploads/v.mp4' });
  await store.replaceScenes(
    'v',
    Array.from({ length: n }, (_, i) => ({ id: sceneId('v', i), videoId: 'v', idx: i, tStart: i, tEnd: i + 1 })),
  );
  mkdirSync(join(dataDir, 'frames/v'), { recursive: true });
  for (let i = 0; i < n; i++) {
    await sharp({
      create: {
        width: 1280,
        height: 720,
        channels: 3,
        background: { r: (i * 37) % 256, g: (i * 91) % 256, b: (i * 53) % 256 },
      },
    })
      .jpeg()
      .toFile(join(dataDir, `frames/v/f${i}.jpg`));
  }
  await store.replaceFrames(
    'v',
    Array.from({ length: n }, (_, i) => ({
      id: frameId('v', i),
      videoId: 'v',
      sceneId: sceneId('v', i),
      idx: i,
      t: i + 0.5,
      path: `frames/v/f${i}.jpg`,
      phash: '0000000000000000',
      duplicateOf: null,
    })),
  );
  return { dataDir, store };
}

// Vision: N frames, latency L per request, C requests at a time.
const L = 500;
fake.setLatency('chat', L);
const vision: Record<string, unknown>[] = [];
for (const [n, c] of [
  [40, 1],
  [40, 5],
  [40, 10],
  [100, 5],
] as const) {
  const { dataDir, store } = await framesStore(n);
  fake.reset();
  const stage: Stage = { ...visionStage(), after: [] };
  const t0 = performance.now();
  const r = await runPipeline({
    video: { id: 'v', originalPath: 'uploads/v.mp4' },
    stages: [stage],
    store,
    config: { dataDir, ...ai, visionMaxConcurrent: c },
  });
  const seconds = (performance.now() - t0) / 1000;
  if (r.status !== 'done') throw r.error;
  const ideal = (Math.ceil(n / c) * L) / 1000;
  vision.push({
    frames: n,
    concurrency: c,
    latencyMs: L,
    seconds: round(seconds, 2),
    idealSeconds: ideal,
    overheadPct: round(((seconds - ideal) / ideal) * 100, 1),
    peakInFlight: fake.maxConcurrent('chat'),
  });
  console.log(JSON.stringify(vision.at(-1)));
}
results.vision = vision;

// Transcription: tone bursts standing in for speech, latency per request fixed.
const T = 2000;
fake.setLatency('chat', 0);
fake.setLatency('transcriptions', T);
const transcription: Record<string, unknown>[] = [];
for (const minutes of [5, 30]) {
  const duration = minutes * 60;
  const wav = await makeToneWav(duration, toneRegions(duration));
  fake.reset();
  const store = new MemoryStore();
  const r = await runPipeline({
    video: wav,
    videoId: `a${minutes}`,
    stages: transcriptionStages(),
    store,
    config: { dataDir: mkdtempSync(join(tmpdir(), 'vq-bench-ai-')), ...ai },
  });
  if (r.status !== 'done') throw r.error;
  const reqs = fake.requestsFor('transcriptions');
  transcription.push({
    audioMinutes: minutes,
    latencyPerRequestMs: T,
    normalizeSeconds: round(r.stages.normalize!.durationMs / 1000, 2),
    transcribeSeconds: round(r.stages.transcribe!.durationMs / 1000, 2),
    requests: reqs.length,
    largestUploadMiB: round(Math.max(...reqs.map((q) => q.fileBytes ?? 0)) / 1024 ** 2, 2),
    peakInFlight: fake.maxConcurrent('transcriptions'),
    segments: (await store.listSegments(`a${minutes}`)).length,
  });
  console.log(JSON.stringify(transcription.at(-1)));
}
results.transcription = transcription;
await fake.close();
writeResult('ai-stages', results);
