import { existsSync, lstatSync, readFileSync, readdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { LATEST_SCHEMA_VERSION } from '@videoqa/storage-pg';
import { badInputs, createTestDatabase, FakeOpenAIServer, makeVideo } from '@videoqa/testing';
import { afterAll, beforeAll, describe, expect, inject, it, onTestFinished } from 'vitest';
import { runCli, tempDir } from './helpers.ts';

const SENTENCES = ['Welcome to the cooking show.', 'Today we slice red tomatoes.', 'Thanks for watching and goodbye.'];
let fake: FakeOpenAIServer;
let db: { url: string; drop: () => Promise<void> };
let video: Awaited<ReturnType<typeof makeVideo>>;

beforeAll(async () => {
  fake = await FakeOpenAIServer.start({ transcriptScript: SENTENCES });
  db = await createTestDatabase(inject('pgUrl'));
  video = await makeVideo({
    shots: [
      { source: 'testsrc2', seconds: 3 },
      { source: 'smptebars', seconds: 3 },
      { source: 'mandelbrot', seconds: 3 },
      { source: 'smptebars', seconds: 2 },
    ],
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
    const res = await runCli(['process', video.path, '--id', 'e2e', '--json'], {
      DATABASE_URL: db.url,
      DATA_DIR: dataDir,
      ...aiEnv(),
    });
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const summary = JSON.parse(res.stdout);
    expect(summary).toMatchObject({
      video_id: 'e2e',
      status: 'ready',
      pipeline: 'done',
      counts: { scenes: 4, frames: 4, duplicate_frames: 1, segments: 3, captions: 3 },
      srt_path: 'subs/e2e.srt',
    });
    expect(summary.duration_sec).toBeCloseTo(video.durationSec, 0);
    expect(summary.scenes.map((s: { t_start: number }) => s.t_start)).toEqual([0, 3, 6, 9]);
    expect(summary.segments.map((s: { text: string }) => s.text)).toEqual(SENTENCES);
    expect(Object.keys(summary.timings_ms).sort()).toEqual([
      'chapters',
      'embeddings',
      'frames',
      'normalize',
      'ocr',
      'scenes',
      'transcribe',
      'vision',
    ]);
    expect(summary.usage.chapters.requests).toBe(1);
    expect(summary.usage.vision.requests).toBe(3);
    expect(summary.usage.transcribe.audioSeconds).toBeGreaterThan(0);

    const [v] = await query('SELECT * FROM videos WHERE id = $1', ['e2e']);
    expect(v).toMatchObject({
      status: 'ready',
      normalized_path: 'processed/e2e/normalized.mp4',
      original_path: expect.stringMatching(/^uploads\/e2e_/),
    });
    const counts = (
      await query<{ t: string; n: number }>(
        `SELECT 'segments' AS t, count(*)::int AS n FROM transcript_segments WHERE video_id = 'e2e' AND embedding IS NOT NULL
       UNION ALL SELECT 'scenes', count(*)::int FROM scenes WHERE video_id = 'e2e'
       UNION ALL SELECT 'frames', count(*)::int FROM frames WHERE video_id = 'e2e'
       UNION ALL SELECT 'captions', count(*)::int FROM frame_captions WHERE video_id = 'e2e' AND embedding IS NOT NULL
       UNION ALL SELECT 'runs', count(*)::int FROM stage_runs WHERE video_id = 'e2e' AND status = 'done'
       UNION ALL SELECT 'summaries', count(*)::int FROM video_summaries WHERE video_id = 'e2e'`,
      )
    ).reduce<Record<string, number>>((o, r) => Object.assign(o, { [r.t]: r.n }), {});
    expect(counts).toEqual({ segments: 3, scenes: 4, frames: 4, captions: 3, runs: 8, summaries: 1 });
    const chapters = await query<{ t_start: number; t_end: number }>(
      `SELECT t_start, t_end FROM video_chapters WHERE video_id = 'e2e' ORDER BY idx`,
    );
    expect(chapters[0]!.t_start).toBe(0);
    expect(chapters.at(-1)!.t_end).toBeCloseTo(video.durationSec, 1);
    const [frame] = await query<{ id: string; duplicate_of: string }>(
      `SELECT id, duplicate_of FROM frames WHERE video_id = 'e2e' AND duplicate_of IS NOT NULL`,
    );
    expect(frame).toEqual({ id: 'e2e_frame_003', duplicate_of: 'e2e_frame_001' });
    expect(readFileSync(join(dataDir, 'subs/e2e.srt'), 'utf8')).toMatch(
      /^1\n00:00:0\d,\d{3} --> 00:00:0\d,\d{3}\nWelcome to the cooking show\.\n/,
    );
    expect(readdirSync(join(dataDir, 'frames/e2e')).sort()).toEqual([
      'scene_000.jpg',
      'scene_001.jpg',
      'scene_002.jpg',
      'scene_003.jpg',
    ]);

    // search finds the right segment first, by the words spoken
    const search = await runCli(['search', 'slicing tomatoes', '--json', '--video', 'e2e'], {
      DATABASE_URL: db.url,
      DATA_DIR: dataDir,
      ...aiEnv(),
    });
    expect(search.code).toBe(0);
    const hits = JSON.parse(search.stdout);
    expect(hits.mode).toBe('hybrid');
    expect(hits.results[0]).toMatchObject({
      video_id: 'e2e',
      kind: 'segment',
      id: 'e2e_segment_001',
      text: SENTENCES[1],
    });
  });

  it('runs the local stages without an API key, reports the AI stages as skipped, and exits 3', async () => {
    const dataDir = tempDir();
    const res = await runCli(['process', video.path, '--json', '--force'], { DATABASE_URL: db.url, DATA_DIR: dataDir });
    expect(res.code).toBe(3);
    const summary = JSON.parse(res.stdout);
    expect(summary.status).toBe('ready');
    for (const stage of ['transcribe', 'vision', 'chapters', 'embeddings'])
      expect(summary.stages[stage]).toMatchObject({
        status: 'skipped',
        reason: expect.stringMatching(/OPENAI_API_KEY is not set/),
      });
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
    const dataDir = tempDir();
    const res = await runCli(['process', await make()], { DATABASE_URL: db.url, DATA_DIR: dataDir });
    expect(res.code).toBe(4);
    // the documented format: one `videoqa: CODE: message` line on stderr, nothing on stdout
    const lines = res.stderr
      .trim()
      .split('\n')
      .filter((l) => /^videoqa: (INVALID_MEDIA|FILE_NOT_FOUND): /.test(l));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
    expect(res.stdout).toBe('');
    expect(res.stderr).not.toMatch(/\n\s+at /); // no stack trace unless LOG_LEVEL=debug
    // Refused input leaves nothing behind: no upload copy, no processed files (and no failed video row).
    const left = (sub: string) => (existsSync(join(dataDir, sub)) ? readdirSync(join(dataDir, sub)) : []);
    expect([...left('uploads'), ...left('processed'), ...left('frames')]).toEqual([]);
  });

  it('rejects invalid settings naming the variable, with exit code 2', async () => {
    const res = await runCli(['process', video.path], {
      DATABASE_URL: db.url,
      DATA_DIR: tempDir(),
      WORKER_CONCURRENCY: 'lots',
    });
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(
      /^videoqa: CONFIG_INVALID: Invalid configuration: WORKER_CONCURRENCY: must be a number \(got "lots"\)\n$/,
    );
    const stages = await runCli(['process', video.path, '--stages', 'scenes,nonsense'], { DATA_DIR: tempDir() });
    expect(stages.code).toBe(2);
    expect(stages.stderr).toMatch(/--stages: unknown stage "nonsense"/);
  });

  it('prints help and documents the exit codes', async () => {
    const res = await runCli(['--help'], {});
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/process .*<file>/);
    expect(res.stdout).toMatch(/Exit codes:/);
    const commands = [
      'process',
      'enqueue',
      'worker',
      'list',
      'show',
      'export',
      'search',
      'migrate',
      'retry',
      'status',
      'doctor',
    ];
    const helps = await Promise.all(commands.map((cmd) => runCli([cmd, '--help'], {})));
    helps.forEach((help, i) => {
      expect(help.code).toBe(0);
      expect(help.stdout).toMatch(new RegExp(`Usage: videoqa ${commands[i]}`));
    });
    expect((await runCli(['frobnicate'], {})).code).toBe(2);
  }, 300_000); // ten Node start-ups: slow on a loaded 2-core machine, and no timing is asserted
});

describe('videoqa process: inputs and ids that used to mislead', () => {
  it('refuses a missing file before it opens a database', async () => {
    const dataDir = tempDir();
    const res = await runCli(['process', join(dataDir, 'typo.mp4')], { DATA_DIR: dataDir });
    expect(res.code).toBe(4);
    expect(res.stderr).toMatch(/^videoqa: FILE_NOT_FOUND: Input file not found: .*typo\.mp4 — check the path/);
    // The worker's convention (a video row's original_path under DATA_DIR) is no hint for a path typed here.
    expect(res.stderr).not.toMatch(/original_path/);
    expect(existsSync(join(dataDir, 'db'))).toBe(false);
  });

  it('processes a symlink to a video: the real file is imported, no link left in uploads', async () => {
    const dataDir = tempDir();
    const linkDir = tempDir();
    symlinkSync(video.path, join(linkDir, 'linked clip.mp4'));
    const res = await runCli(
      ['process', join(linkDir, 'linked clip.mp4'), '--id', 'sym', '--stages', 'normalize', '--json'],
      { DATABASE_URL: db.url, DATA_DIR: dataDir },
    );
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout)).toMatchObject({ video_id: 'sym', original_path: 'uploads/sym_linked clip.mp4' });
    expect(lstatSync(join(dataDir, 'uploads/sym_linked clip.mp4')).isSymbolicLink()).toBe(false);
  });

  it('--id of an existing video with another file is refused; the same file resumes; --no-resume reprocesses', async () => {
    const dataDir = tempDir();
    const env = { DATABASE_URL: db.url, DATA_DIR: dataDir };
    const other = await makeVideo({ shots: [{ source: 'smptebars', seconds: 2 }], width: 320, height: 240 });
    expect((await runCli(['process', video.path, '--id', 'reused', '--stages', 'normalize'], env)).code).toBe(0);
    const refused = await runCli(['process', other.path, '--id', 'reused', '--stages', 'normalize'], env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(
      /^videoqa: CONFIG_INVALID: .*--id: video reused was made from uploads\/reused_.*, not from this file: use another --id \(or none\), or add --no-resume/,
    );
    const resumed = await runCli(['process', video.path, '--id', 'reused', '--stages', 'normalize', '--json'], env);
    expect(resumed.code).toBe(0);
    expect(JSON.parse(resumed.stdout).stages.normalize.status).toBe('resumed');
    const rerun = await runCli(
      ['process', other.path, '--id', 'reused', '--stages', 'normalize', '--no-resume', '--json'],
      env,
    );
    expect(rerun.code).toBe(0);
    expect(JSON.parse(rerun.stdout).duration_sec).toBeCloseTo(other.durationSec, 0);
  });

  it('an unreachable provider ends in one clear line and exit 1, never an uncaught exception', async () => {
    const short = await makeVideo({
      shots: [{ source: 'testsrc2', seconds: 2 }],
      width: 320,
      height: 240,
      audio: { kind: 'tone' },
    });
    const env = {
      DATABASE_URL: db.url,
      OPENAI_API_KEY: 'sk-unreachable-0123456789',
      OPENAI_BASE_URL: 'http://127.0.0.1:9/v1',
      OPENAI_MAX_RETRIES: '1',
    };
    // three at once: the crash it replaces came in about half the runs
    const runs = await Promise.all(
      [1, 2, 3].map(() => runCli(['process', short.path, '--force'], { ...env, DATA_DIR: tempDir() })),
    );
    for (const res of runs) {
      expect(res.code).toBe(1);
      expect(res.stderr).not.toMatch(/ERR_INVALID_STATE|Uncaught|\n\s+at /);
      expect(res.stderr.split('\n').filter((l) => l.startsWith('videoqa: '))).toEqual([
        expect.stringMatching(/^videoqa: PROVIDER_NETWORK_ERROR: .*Connection error/),
      ]);
      expect(res.stdout + res.stderr).not.toContain('sk-unreachable-0123456789');
    }
  }, 300_000);

  it('the same file processed twice is reported as the video it already is; --force makes a new one', async () => {
    const dataDir = tempDir();
    const own = await createTestDatabase(inject('pgUrl'));
    onTestFinished(() => own.drop());
    const env = { DATABASE_URL: own.url, DATA_DIR: dataDir };
    const first = await runCli(['process', video.path, '--stages', 'normalize', '--json'], env);
    expect(first.code).toBe(0);
    const id = JSON.parse(first.stdout).video_id;
    const again = await runCli(['process', video.path, '--stages', 'normalize'], env);
    expect(again.code).toBe(0);
    expect(again.stdout).toBe(
      `✔ this file is already video ${id} (ready): videoqa show ${id}\n  to resume it (say, once OPENAI_API_KEY is set) add --id ${id}; to process it again as a new video, add --force\n`,
    );
    expect(JSON.parse((await runCli(['process', video.path, '--json'], env)).stdout)).toEqual({
      video_id: id,
      status: 'ready',
      already_processed: true,
    });
    expect(readdirSync(join(dataDir, 'uploads'))).toHaveLength(1); // nothing imported twice
    const forced = await runCli(['process', video.path, '--stages', 'normalize', '--force', '--json'], env);
    expect(forced.code).toBe(0);
    expect(JSON.parse(forced.stdout).video_id).not.toBe(id);
    expect(JSON.parse((await runCli(['list', '--json'], env)).stdout).videos).toHaveLength(2);
  });

  it('search refuses a bad --limit and an empty query with exit 2 naming them', async () => {
    const env = { DATA_DIR: tempDir() };
    for (const limit of ['abc', '0', '-1', '1.5', '100000']) {
      const res = await runCli(['search', 'tomatoes', '--limit', limit], env);
      expect(res.code, limit).toBe(2);
      expect(res.stderr).toMatch(/^videoqa: CONFIG_INVALID: .*--limit: must be a whole number from 1 to 1000/);
    }
    const empty = await runCli(['search', '   '], env);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(/^videoqa: QUERY_EMPTY: The search query is empty — search for words/);
  });
});

describe('videoqa list, show, export', () => {
  it('lists the library, shows one video readably, and exports it as json, srt, vtt and md', async () => {
    const dataDir = tempDir();
    const own = await createTestDatabase(inject('pgUrl')); // an empty library of its own
    const env = { DATA_DIR: dataDir, DATABASE_URL: own.url, ...aiEnv() };
    onTestFinished(() => own.drop());
    expect((await runCli(['list'], env)).stdout).toBe('no videos yet: add one with videoqa process <file>\n');
    expect((await runCli(['process', video.path, '--id', 'shown'], env)).code).toBe(0);

    const list = await runCli(['list'], env);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(
      /^shown {2}ready {6} {3}00:1\d {2}3 segments, 4 scenes, 4 frames, 3 captions {2}\d{4}-\d\d-\d\d \d\d:\d\d {2}\S+\.mp4\n$/,
    );
    const listJson = JSON.parse((await runCli(['list', '--json', '--status', 'ready'], env)).stdout);
    expect(listJson.videos).toEqual([
      expect.objectContaining({
        id: 'shown',
        status: 'ready',
        counts: { segments: 3, scenes: 4, frames: 4, captions: 3 },
        error: null,
      }),
    ]);
    expect((await runCli(['list', '--status', 'done'], env)).code).toBe(2);

    const show = await runCli(['show', 'shown'], env);
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(/^video shown: ready, 00:1\d/);
    expect(show.stdout).toMatch(/stages:\n {2}normalize +done/);
    expect(show.stdout).toMatch(/scenes \(4\):\n +1 {2}00:00–00:03\n +frames\/shown\/scene_000\w*\.jpg\n +“/);
    expect(show.stdout).toMatch(/transcript \(3 segments\):\n {2}00:0\d {2}Welcome to the cooking show\./);
    const unknown = await runCli(['show', 'nope'], env);
    expect(unknown.code).toBe(4);
    expect(unknown.stderr).toMatch(/^videoqa: VIDEO_NOT_FOUND: /);

    const json = JSON.parse((await runCli(['export', 'shown'], env)).stdout);
    expect(json).toMatchObject({ schema_version: 1, video: { id: 'shown', status: 'ready' } });
    expect(JSON.parse((await runCli(['show', 'shown', '--json'], env)).stdout)).toEqual(json);
    const srt = await runCli(['export', 'shown', '--format', 'srt'], env);
    expect(srt.stdout).toBe(readFileSync(join(dataDir, 'subs/shown.srt'), 'utf8'));
    expect((await runCli(['export', 'shown', '--format', 'vtt'], env)).stdout).toMatch(
      /^WEBVTT\n\n1\n00:00:0\d\.\d{3} --> /,
    );
    const out = join(dataDir, 'report.md');
    const md = await runCli(['export', 'shown', '--format', 'md', '--out', out], env);
    expect(md.stderr).toBe(`wrote md export of video shown to ${out}\n`);
    expect(readFileSync(out, 'utf8')).toMatch(/^# Video shown\n[\s\S]*## Scene 4 · /);
    const bad = await runCli(['export', 'shown', '--format', 'pdf'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--format: must be one of json, srt, vtt, md/);
  }, 300_000);
});

describe('videoqa enqueue, status, retry, migrate, doctor', () => {
  it('enqueues a job and reports its status; retry refuses a job that has not failed', async () => {
    const dataDir = tempDir();
    const env = { DATABASE_URL: db.url, DATA_DIR: dataDir };
    expect((await runCli(['migrate'], env)).stdout).toMatch(
      new RegExp(`schema already up to date; version ${LATEST_SCHEMA_VERSION}`),
    );
    const enq = await runCli(['enqueue', video.path, '--id', 'queued-1', '--kind', 'transcribe', '--json'], env);
    expect(enq.code).toBe(0);
    const job = JSON.parse(enq.stdout);
    expect(job).toMatchObject({ video_id: 'queued-1', kind: 'transcribe', queue: 'postgres' });
    expect(existsSync(join(dataDir, job.original_path))).toBe(true);
    const status = await runCli(['status', job.job_id, '--json'], env);
    // snake_case like every JSON the CLI prints
    expect(JSON.parse(status.stdout)).toMatchObject({
      id: job.job_id,
      status: 'pending',
      kind: 'transcribe',
      video_id: 'queued-1',
      max_attempts: null,
      created_at: expect.stringMatching(/^\d{4}-/),
    });
    const retry = await runCli(['retry', job.job_id], env);
    expect(retry.code).toBe(1);
    expect(retry.stderr).toMatch(/INVALID_STATE: Job .* is pending; only failed jobs can be retried/);
    await query(`UPDATE jobs SET status = 'failed', error = 'boom', attempts = 3 WHERE id = $1`, [job.job_id]);
    expect((await runCli(['retry', job.job_id], env)).stdout).toMatch(/is pending again/);
    expect(
      (await query<{ attempts: number }>('SELECT attempts FROM jobs WHERE id = $1', [job.job_id]))[0]!.attempts,
    ).toBe(0);
    const unknown = await runCli(['status', 'no-such-thing'], env);
    expect(unknown.code).toBe(4);
    expect(unknown.stderr).toMatch(/VIDEO_NOT_FOUND/);
  });

  it('doctor checks everything and names each fix; the key never shows', async () => {
    const env = { DATABASE_URL: db.url, DATA_DIR: tempDir(), ...aiEnv() };
    const ok = await runCli(['doctor', '--json'], env);
    expect(ok.code).toBe(0);
    const checks = JSON.parse(ok.stdout).checks as { name: string; ok: boolean }[];
    expect(checks.map((c) => c.name)).toEqual([
      'configuration',
      'ffmpeg',
      'ffprobe',
      'DATA_DIR',
      'database',
      'schema',
      'pgvector',
      'OCR language eng',
      'transcription',
      'vision',
      'embeddings',
      'embedding size',
      'chat',
    ]);
    expect(checks.every((c) => c.ok)).toBe(true);

    const wrongKey = 'sk-doctor-wrong-key-1234567890';
    const bad = await runCli(['doctor'], {
      ...env,
      OPENAI_API_KEY: wrongKey,
      FFMPEG_PATH: '/nonexistent/ffmpeg',
      DATABASE_URL: 'postgres://postgres:hunter2@127.0.0.1:1/nothing',
    });
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(
      /✖ ffmpeg: FFmpeg not found\n\s+fix: install it \(apt-get install ffmpeg\) or set FFMPEG_PATH/,
    );
    expect(bad.stdout).toMatch(/✖ database: .*\n\s+fix: Database connection failed: check DATABASE_URL/);
    for (const capability of ['transcription', 'vision', 'embeddings', 'chat'])
      expect(bad.stdout).toMatch(new RegExp(`✖ ${capability}: .*401.*\\n\\s+fix: verify OPENAI_API_KEY is valid`));
    expect(bad.stdout + bad.stderr).not.toContain(wrongKey);
    // Capabilities are proven by a cheap real request each, never by GET /models (many compatible servers lack it).
    fake.reset();
    const probed = await runCli(['doctor', '--json'], env);
    expect(probed.code).toBe(0);
    expect(fake.requestsFor('models')).toEqual([]);
    expect(new Set(fake.requests.map((r) => r.route))).toEqual(new Set(['transcriptions', 'chat', 'embeddings']));
    expect(bad.stdout + bad.stderr).not.toContain('hunter2');
  });
});
