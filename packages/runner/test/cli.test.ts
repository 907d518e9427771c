import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { LATEST_SCHEMA_VERSION } from '@videoqa/storage-pg';
import { badInputs, createTestDatabase, FakeOpenAIServer, makeVideo } from '@videoqa/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runCli, tempDir } from './helpers.ts';

const SENTENCES = ['Welcome to the cooking show.', 'Today we slice red tomatoes.', 'Thanks for watching and goodbye.'];
let fake: FakeOpenAIServer;
let db: { url: string; drop: () => Promise<void> };
let video: Awaited<ReturnType<typeof makeVideo>>;

beforeAll(async () => {
  fake = await FakeOpenAIServer.start({ transcriptScript: SENTENCES });
  db = await createTestDatabase(inject('pgUrl'));
  video = await makeVideo({
    shots: [{ source: 'testsrc2', seconds: 3 }, { source: 'smptebars', seconds: 3 }, { source: 'mandelbrot', seconds: 3 }, { source: 'smptebars', seconds: 2 }],
    width: 640,
    height: 360,
    audio: { kind: 'speech', sentences: SENTENCES, gapSec: 1.5 },
  });
});
afterAll(async () => {
  await fake.close();
  await db.drop();
});

const aiEnv = () => ({ OPENAI_API_KEY: fake.apiKey, OPENAI_BASE_URL: fake.url });

async function query<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
  const c = new pg.Client({ connectionString: db.url });
  await c.connect();
  try {
    return (await c.query(sql, params)).rows as T[];
  } finally {
    await c.end();
  }
}

describe('videoqa process', () => {
  it('processes a video with speech and cuts on PostgreSQL: every table filled, SRT and frames written', async () => {
    const dataDir = tempDir();
    const res = await runCli(['process', video.path, '--id', 'e2e', '--json'], { DATABASE_URL: db.url, DATA_DIR: dataDir, ...aiEnv() });
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const summary = JSON.parse(res.stdout);
    expect(summary).toMatchObject({ video_id: 'e2e', status: 'ready', pipeline: 'done', counts: { scenes: 4, frames: 4, duplicate_frames: 1, segments: 3, captions: 3 }, srt_path: 'subs/e2e.srt' });
    expect(summary.duration_sec).toBeCloseTo(video.durationSec, 0);
    expect(summary.scenes.map((s: { t_start: number }) => s.t_start)).toEqual([0, 3, 6, 9]);
    expect(summary.segments.map((s: { text: string }) => s.text)).toEqual(SENTENCES);
    expect(Object.keys(summary.timings_ms).sort()).toEqual(['embeddings', 'frames', 'normalize', 'ocr', 'scenes', 'transcribe', 'vision']);
    expect(summary.usage.vision.requests).toBe(3);
    expect(summary.usage.transcribe.audioSeconds).toBeGreaterThan(0);

    const [v] = await query('SELECT * FROM videos WHERE id = $1', ['e2e']);
    expect(v).toMatchObject({ status: 'ready', normalized_path: 'processed/e2e/normalized.mp4', original_path: expect.stringMatching(/^uploads\/e2e_/) });
    const counts = (await query<{ t: string; n: number }>(
      `SELECT 'segments' AS t, count(*)::int AS n FROM transcript_segments WHERE video_id = 'e2e' AND embedding IS NOT NULL
       UNION ALL SELECT 'scenes', count(*)::int FROM scenes WHERE video_id = 'e2e'
       UNION ALL SELECT 'frames', count(*)::int FROM frames WHERE video_id = 'e2e'
       UNION ALL SELECT 'captions', count(*)::int FROM frame_captions WHERE video_id = 'e2e' AND embedding IS NOT NULL
       UNION ALL SELECT 'runs', count(*)::int FROM stage_runs WHERE video_id = 'e2e' AND status = 'done'`,
    )).reduce<Record<string, number>>((o, r) => ({ ...o, [r.t]: r.n }), {});
    expect(counts).toEqual({ segments: 3, scenes: 4, frames: 4, captions: 3, runs: 7 });
    const [frame] = await query<{ id: string; duplicate_of: string }>(`SELECT id, duplicate_of FROM frames WHERE video_id = 'e2e' AND duplicate_of IS NOT NULL`);
    expect(frame).toEqual({ id: 'e2e_frame_003', duplicate_of: 'e2e_frame_001' });
    expect(readFileSync(join(dataDir, 'subs/e2e.srt'), 'utf8')).toMatch(/^1\n00:00:0\d,\d{3} --> 00:00:0\d,\d{3}\nWelcome to the cooking show\.\n/);
    expect(readdirSync(join(dataDir, 'frames/e2e')).sort()).toEqual(['scene_000.jpg', 'scene_001.jpg', 'scene_002.jpg', 'scene_003.jpg']);

    // search finds the right segment first, by the words spoken
    const search = await runCli(['search', 'slicing tomatoes', '--json', '--video', 'e2e'], { DATABASE_URL: db.url, DATA_DIR: dataDir, ...aiEnv() });
    expect(search.code).toBe(0);
    const hits = JSON.parse(search.stdout);
    expect(hits.mode).toBe('hybrid');
    expect(hits.results[0]).toMatchObject({ video_id: 'e2e', kind: 'segment', id: 'e2e_segment_001', text: SENTENCES[1] });
  });

  it('runs the local stages without an API key, reports the AI stages as skipped, and exits 3', async () => {
    const dataDir = tempDir();
    const res = await runCli(['process', video.path, '--json'], { DATABASE_URL: db.url, DATA_DIR: dataDir });
    expect(res.code).toBe(3);
    const summary = JSON.parse(res.stdout);
    expect(summary.status).toBe('ready');
    for (const stage of ['transcribe', 'vision', 'embeddings']) expect(summary.stages[stage]).toMatchObject({ status: 'skipped', reason: expect.stringMatching(/OPENAI_API_KEY is not set/) });
    expect(summary.counts).toMatchObject({ scenes: 4, frames: 4, segments: 0, captions: 0 });
  });

  it('uses an embedded database under DATA_DIR when DATABASE_URL is not set, and shows progress', async () => {
    const dataDir = tempDir();
    const res = await runCli(['process', video.path, '--stages', 'normalize,scenes'], { DATA_DIR: dataDir });
    expect(res.code).toBe(0);
    expect(existsSync(join(dataDir, 'db/PG_VERSION'))).toBe(true);
    expect(res.stdout).toMatch(/✔ video .* ready/);
    expect(res.stderr).toMatch(/normalize: done in/);
    expect(res.stderr).toMatch(/scenes: done in .*4 scenes/);
    expect(res.stderr).not.toMatch(/frames: /);
    const status = await runCli(['status', '--json'], { DATA_DIR: dataDir });
    expect(JSON.parse(status.stdout).videos.ready).toBe(1);
  });

  it.each([
    ['an empty file', () => badInputs.empty(), /INVALID_MEDIA: .*the file is empty/],
    ['a text file', () => badInputs.textFile(), /INVALID_MEDIA: .*not a video file/],
    ['a missing file', async () => '/nonexistent/video.mp4', /FILE_NOT_FOUND: Input file not found/],
  ])('refuses %s with one clear line and exit code 4', async (_n, make, message) => {
    const res = await runCli(['process', await make()], { DATABASE_URL: db.url, DATA_DIR: tempDir() });
    expect(res.code).toBe(4);
    const lines = `${res.stdout}${res.stderr}`.trim().split('\n').filter((l) => /INVALID_MEDIA|FILE_NOT_FOUND|✖/.test(l));
    expect(lines.join('\n')).toMatch(message);
    expect(res.stderr).not.toMatch(/\n\s+at /); // no stack trace unless LOG_LEVEL=debug
  });

  it('rejects invalid settings naming the variable, with exit code 2', async () => {
    const res = await runCli(['process', video.path], { DATABASE_URL: db.url, DATA_DIR: tempDir(), WORKER_CONCURRENCY: 'lots' });
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/^videoqa: CONFIG_INVALID: Invalid configuration: WORKER_CONCURRENCY: must be a number \(got "lots"\)\n$/);
    const stages = await runCli(['process', video.path, '--stages', 'scenes,nonsense'], { DATA_DIR: tempDir() });
    expect(stages.code).toBe(2);
    expect(stages.stderr).toMatch(/--stages: unknown stage "nonsense"/);
  });

  it('prints help and documents the exit codes', async () => {
    const res = await runCli(['--help'], {});
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/process .*<file>/);
    expect(res.stdout).toMatch(/Exit codes:/);
    for (const cmd of ['process', 'enqueue', 'worker', 'search', 'migrate', 'retry', 'status', 'doctor']) {
      const help = await runCli([cmd, '--help'], {});
      expect(help.code).toBe(0);
      expect(help.stdout).toMatch(new RegExp(`Usage: videoqa ${cmd}`));
    }
    expect((await runCli(['frobnicate'], {})).code).toBe(2);
  });
});

describe('videoqa enqueue, status, retry, migrate, doctor', () => {
  it('enqueues a job and reports its status; retry refuses a job that has not failed', async () => {
    const dataDir = tempDir();
    const env = { DATABASE_URL: db.url, DATA_DIR: dataDir };
    expect((await runCli(['migrate'], env)).stdout).toMatch(new RegExp(`schema already up to date; version ${LATEST_SCHEMA_VERSION}`));
    const enq = await runCli(['enqueue', video.path, '--id', 'queued-1', '--kind', 'transcribe', '--json'], env);
    expect(enq.code).toBe(0);
    const job = JSON.parse(enq.stdout);
    expect(job).toMatchObject({ video_id: 'queued-1', kind: 'transcribe', queue: 'postgres' });
    expect(existsSync(join(dataDir, job.original_path))).toBe(true);
    const status = await runCli(['status', job.job_id, '--json'], env);
    expect(JSON.parse(status.stdout)).toMatchObject({ id: job.job_id, status: 'pending', kind: 'transcribe', videoId: 'queued-1' });
    const retry = await runCli(['retry', job.job_id], env);
    expect(retry.code).toBe(1);
    expect(retry.stderr).toMatch(/INVALID_STATE: Job .* is pending; only failed jobs can be retried/);
    await query(`UPDATE jobs SET status = 'failed', error = 'boom', attempts = 3 WHERE id = $1`, [job.job_id]);
    expect((await runCli(['retry', job.job_id], env)).stdout).toMatch(/is pending again/);
    expect((await query<{ attempts: number }>('SELECT attempts FROM jobs WHERE id = $1', [job.job_id]))[0]!.attempts).toBe(0);
    const unknown = await runCli(['status', 'no-such-thing'], env);
    expect(unknown.code).toBe(4);
    expect(unknown.stderr).toMatch(/VIDEO_NOT_FOUND/);
  });

  it('doctor checks everything and names each fix; the key never shows', async () => {
    const env = { DATABASE_URL: db.url, DATA_DIR: tempDir(), ...aiEnv() };
    const ok = await runCli(['doctor', '--json'], env);
    expect(ok.code).toBe(0);
    const checks = JSON.parse(ok.stdout).checks as { name: string; ok: boolean }[];
    expect(checks.map((c) => c.name)).toEqual(['configuration', 'ffmpeg', 'ffprobe', 'DATA_DIR', 'database', 'schema', 'pgvector', 'OCR language eng', 'OpenAI API key']);
    expect(checks.every((c) => c.ok)).toBe(true);

    const wrongKey = 'sk-doctor-wrong-key-1234567890';
    const bad = await runCli(['doctor'], { ...env, OPENAI_API_KEY: wrongKey, FFMPEG_PATH: '/nonexistent/ffmpeg', DATABASE_URL: 'postgres://postgres:hunter2@127.0.0.1:1/nothing' });
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/✖ ffmpeg: FFmpeg not found\n\s+fix: install it \(apt-get install ffmpeg\) or set FFMPEG_PATH/);
    expect(bad.stdout).toMatch(/✖ database: .*\n\s+fix: Database connection failed: check DATABASE_URL/);
    expect(bad.stdout).toMatch(/✖ OpenAI API key: OpenAI API error: .*401.*\n\s+fix: verify OPENAI_API_KEY/);
    expect(bad.stdout + bad.stderr).not.toContain(wrongKey);
    expect(bad.stdout + bad.stderr).not.toContain('hunter2');
  });
});
