import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig, silentLogger } from '@videoqa/core';
import { deleteVideo, startApiServer, type ApiServer } from '@videoqa/runner';
import { claimJob, enqueueJob, openDatabase, PgStore, type Db } from '@videoqa/storage-pg';
import { createTestDatabase } from '@videoqa/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runCli, tempDir } from './helpers.ts';

let dbInfo: { url: string; drop: () => Promise<void> };
let db: Db;
let dataDir: string;
beforeAll(async () => {
  dbInfo = await createTestDatabase(inject('pgUrl'));
  db = await openDatabase({ databaseUrl: dbInfo.url });
  dataDir = tempDir('vq-lifecycle-cli-');
});
afterAll(async () => {
  await db.close();
  await dbInfo.drop();
});

/** A ready video with files of known sizes in each place the layout has (no pipeline needed to count bytes). */
async function seed(id: string): Promise<void> {
  const write = (rel: string, bytes: number) => {
    mkdirSync(join(dataDir, rel, '..'), { recursive: true });
    writeFileSync(join(dataDir, rel), Buffer.alloc(bytes, 7));
  };
  write(`uploads/${id}_talk.mp4`, 1000);
  write(`processed/${id}/normalized.mp4`, 2000);
  write(`processed/${id}/audio.wav`, 300);
  write(`processed/${id}/scene-scores.bin`, 40);
  write(`frames/${id}/scene_000.jpg`, 50);
  write(`frames/${id}/scene_001.jpg`, 60);
  write(`subs/${id}.srt`, 10);
  await db.query(`INSERT INTO videos (id, original_path, status) VALUES ($1, $2, 'ready')`, [
    id,
    `uploads/${id}_talk.mp4`,
  ]);
  await new PgStore(db).replaceSegments(id, [
    { id: `${id}_segment_000`, videoId: id, idx: 0, tStart: 0, tEnd: 1, text: 'hello' },
  ]);
}

const env = () => ({ DATABASE_URL: dbInfo.url, DATA_DIR: dataDir });

describe('lifecycle CLI commands', () => {
  it('du reports exact bytes per kind (--json) and a readable table', async () => {
    await seed('cli-du');
    const json = await runCli(['du', '--video', 'cli-du', '--json'], env());
    expect(json.code).toBe(0);
    const u = JSON.parse(json.stdout);
    expect(u.videos[0]).toMatchObject({
      video_id: 'cli-du',
      status: 'ready',
      bytes: { upload: 1000, normalized: 2000, audio: 300, other: 40, frames: 110, subtitles: 10 },
      database_rows: { videos: { rows: 1 }, transcript_segments: { rows: 1 } },
    });
    expect(u.videos[0].total).toBe(3460 + u.videos[0].bytes.database);
    expect(u.method).toMatch(/pg_column_size/);
    const text = await runCli(['du'], env());
    expect(text.stdout).toMatch(
      /^video\s+upload\s+normalized\s+audio\s+frames\s+subtitles\s+other\s+database\s+total\n/,
    );
    expect(text.stdout).toMatch(/\ncli-du\s+1000 B\s+2.0 KiB\s+300 B\s+110 B\s+10 B\s+40 B\s+\d/);
    expect(text.stdout).toMatch(/database on disk \(tables, indexes, free space\): /);
    const missing = await runCli(['du', '--video', 'nope'], env());
    expect(missing).toMatchObject({ code: 4, stdout: '' });
    expect(missing.stderr).toMatch(/^videoqa: VIDEO_NOT_FOUND: Unknown video id "nope"/);
  });

  it('gc applies retention: nothing while young, the upload once it is due, and says when retention is off', async () => {
    await seed('cli-gc');
    expect((await runCli(['gc'], env())).stdout).toMatch(/^retention is off: set RETAIN_UPLOADS_DAYS/);
    expect((await runCli(['gc', '--uploads-days', '7'], env())).stdout).toBe('nothing is due for removal\n');
    await db.query(`UPDATE videos SET ready_at = now() - interval '8 days'`);
    const r = await runCli(['gc', '--json'], { ...env(), RETAIN_UPLOADS_DAYS: '7' });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).removed).toEqual(
      expect.arrayContaining([{ video_id: 'cli-gc', kind: 'upload', files: ['uploads/cli-gc_talk.mp4'], bytes: 1000 }]),
    );
    expect(existsSync(join(dataDir, 'uploads/cli-gc_talk.mp4'))).toBe(false);
    expect(existsSync(join(dataDir, 'processed/cli-gc/normalized.mp4'))).toBe(true);
    const show = await runCli(['show', 'cli-gc'], env());
    expect(show.stdout).toMatch(/source {5}uploads\/cli-gc_talk.mp4 \(removed \d{4}-.+ by retention\)/);
    const bad = await runCli(['gc', '--uploads-days', 'soon'], env());
    expect(bad).toMatchObject({ code: 2 });
    expect(bad.stderr).toMatch(
      /^videoqa: CONFIG_INVALID: Invalid configuration: --uploads-days: must be a number of days, 0 or more \(got "soon"\)\n$/,
    );
  });

  it('delete: removed, then "already gone"; refused while a job runs; cancel names unknown jobs', async () => {
    await seed('cli-del');
    const first = await runCli(['delete', 'cli-del'], env());
    expect(first).toMatchObject({ code: 0, stderr: '' });
    expect(first.stdout).toBe('deleted video cli-del: 2 rows, 4 files or directories (3.4 KiB freed)\n');
    expect(existsSync(join(dataDir, 'processed/cli-del'))).toBe(false);
    const second = await runCli(['delete', 'cli-del'], env());
    expect(second).toMatchObject({ code: 0, stdout: 'video cli-del: already gone, nothing in the database\n' });

    await seed('cli-busy');
    await enqueueJob(db, { videoId: 'cli-busy', jobId: 'cli-busy-job' });
    await claimJob(db, { workerId: 'elsewhere', leaseMs: 600_000, defaultMaxAttempts: 3 });
    const busy = await runCli(['delete', 'cli-busy'], env());
    expect(busy).toMatchObject({ code: 1, stdout: '' });
    expect(busy.stderr).toBe(
      'videoqa: VIDEO_BUSY: Video "cli-busy" already has job cli-busy-job running — wait until that job is done or failed, or use another video id\n',
    );
    expect(existsSync(join(dataDir, 'uploads/cli-busy_talk.mp4'))).toBe(true);

    const unknown = await runCli(['cancel', 'nope'], env());
    expect(unknown).toMatchObject({ code: 4, stderr: 'videoqa: JOB_NOT_FOUND: Unknown job id "nope"\n' });
    const badId = await runCli(['delete', '../x'], env());
    expect(badId.code).toBe(4);
    expect(badId.stderr).toMatch(/^videoqa: INVALID_ID: /);
  });
});

describe('lifecycle HTTP routes', () => {
  let api: ApiServer;
  const token = 'lifecycle-token-123';
  beforeAll(async () => {
    const config = loadConfig({ env: {}, overrides: { dataDir, databaseUrl: dbInfo.url, apiToken: token } });
    api = await startApiServer({
      db,
      store: new PgStore(db),
      config,
      source: { name: 'postgres', enqueue: (o) => enqueueJob(db, o) },
      log: silentLogger,
      port: 0,
    });
  });
  afterAll(async () => api.close());
  const call = async (method: string, path: string, auth = true) => {
    const res = await fetch(`${api.url}${path}`, { method, headers: auth ? { authorization: `Bearer ${token}` } : {} });
    // biome-ignore lint/suspicious/noExplicitAny: the test reads arbitrary fields of the JSON reply
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };

  it('DELETE /v1/videos/:id removes it (200), then says it is gone (200, deleted false); VIDEO_BUSY is 409', async () => {
    await seed('http-del');
    expect(await call('DELETE', '/v1/videos/http-del', false)).toMatchObject({
      status: 401,
      body: { error: { code: 'UNAUTHORIZED' } },
    });
    const first = await call('DELETE', '/v1/videos/http-del?keep_upload=true');
    expect(first).toMatchObject({
      status: 200,
      body: { video_id: 'http-del', deleted: true, rows: { videos: 1, transcript_segments: 1 }, bytes_freed: 2460 },
    });
    expect(existsSync(join(dataDir, 'uploads/http-del_talk.mp4'))).toBe(true);
    expect(await call('DELETE', '/v1/videos/http-del')).toMatchObject({
      status: 200,
      body: { deleted: false, rows: {}, files: [] },
    });
    expect(await call('DELETE', '/v1/videos/x?force=maybe')).toMatchObject({
      status: 400,
      body: { error: { code: 'INVALID_REQUEST' } },
    });
    expect(await call('DELETE', '/v1/videos/cli-busy')).toMatchObject({
      status: 409,
      body: { error: { code: 'VIDEO_BUSY' } },
    });
    expect(await call('DELETE', '/v1/videos/%E0%A4%A')).toMatchObject({
      status: 400,
      body: { error: { code: 'INVALID_ID' } },
    });
  });

  it('DELETE /v1/jobs/:id cancels (200); finished is 409, unknown 404', async () => {
    await enqueueJob(db, { videoId: 'http-job-video', jobId: 'http-job' });
    expect(await call('DELETE', '/v1/jobs/http-job')).toEqual({
      status: 200,
      body: {
        job_id: 'http-job',
        video_id: 'http-job-video',
        status: 'cancelled',
        previous_status: 'pending',
        stopping: false,
      },
    });
    expect((await call('GET', '/v1/jobs/http-job')).body).toMatchObject({ status: 'cancelled' });
    await db.query(`INSERT INTO jobs (id, video_id, status) VALUES ('http-done', 'v', 'done')`);
    expect(await call('DELETE', '/v1/jobs/http-done')).toMatchObject({
      status: 409,
      body: { error: { code: 'INVALID_STATE' } },
    });
    expect(await call('DELETE', '/v1/jobs/nope')).toMatchObject({
      status: 404,
      body: { error: { code: 'JOB_NOT_FOUND' } },
    });
  });

  it('GET /v1/videos/:id/usage and GET /v1/storage report bytes per kind', async () => {
    await seed('http-du');
    const one = await call('GET', '/v1/videos/http-du/usage');
    expect(one).toMatchObject({
      status: 200,
      body: {
        video_id: 'http-du',
        bytes: { upload: 1000, normalized: 2000, audio: 300, frames: 110, subtitles: 10, other: 40 },
        method: expect.stringMatching(/pg_column_size/),
      },
    });
    expect(await call('GET', '/v1/videos/nope/usage')).toMatchObject({
      status: 404,
      body: { error: { code: 'VIDEO_NOT_FOUND' } },
    });
    const all = await call('GET', '/v1/storage');
    expect(all.status).toBe(200);
    expect(all.body.videos.map((v: { video_id: string }) => v.video_id)).toContain('http-du');
    expect(all.body.database_size_bytes).toBeGreaterThan(0);
  });
});

describe('delete stays inside DATA_DIR', () => {
  it("a symlink out of DATA_DIR on the way to a video's files is not followed, and the files behind it survive", async () => {
    const root = tempDir('vq-symlinked-');
    const outside = tempDir('vq-outside-');
    mkdirSync(join(outside, 'evil'));
    writeFileSync(join(outside, 'evil/precious.txt'), 'keep me');
    writeFileSync(join(outside, 'evil.srt'), 'keep me too');
    symlinkSync(outside, join(root, 'frames')); // frames/evil is really outside/evil
    symlinkSync(outside, join(root, 'subs'));
    await db.query(`INSERT INTO videos (id, original_path, status) VALUES ('evil', '../outside.mp4', 'ready')`);
    const config = loadConfig({ env: {}, overrides: { dataDir: root, databaseUrl: dbInfo.url } });
    const r = await deleteVideo({ db, config }, 'evil');
    expect(r).toMatchObject({ deleted: true, files: [] });
    expect(existsSync(join(outside, 'evil/precious.txt'))).toBe(true);
    expect(existsSync(join(outside, 'evil.srt'))).toBe(true);
  });
});
