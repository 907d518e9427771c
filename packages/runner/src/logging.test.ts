import { createWriteStream, existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, formatTextLine, scrub, type LogFileStream } from './logging.ts';

const sink = () => {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _e, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { lines, stream };
};

describe('logging', () => {
  it("formats lines like the seed's worker", () => {
    const time = new Date(2024, 0, 15, 10, 30, 0).getTime();
    const line = formatTextLine(
      JSON.stringify({
        level: 30,
        time,
        name: 'video_worker',
        caller: 'worker.ts:75',
        msg: 'CLAIMED: Processing job abc123 for video def456',
        jobId: 'abc123',
      }),
      'x',
    );
    expect(line).toBe(
      '2024-01-15 10:30:00 - video_worker - INFO - [worker.ts:75] - CLAIMED: Processing job abc123 for video def456 jobId=abc123\n',
    );
  });

  it('writes the text format with [file:line] to DATA_DIR/worker/log.log and JSON to stdout', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'vq-log-'));
    const out = sink();
    const log = createLogger({ level: 'info', dataDir, stdout: out.stream });
    log.info({ jobId: 'j1' }, 'CLAIMED: Processing job j1 for video v1');
    log.debug('not shown at info');
    await log.closeFile();
    const text = readFileSync(join(dataDir, 'worker/log.log'), 'utf8');
    expect(text).toMatch(
      /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d - video_worker - INFO - \[logging\.test\.ts:\d+\] - CLAIMED: Processing job j1 for video v1 jobId=j1\n$/,
    );
    expect(JSON.parse(out.lines[0]!)).toMatchObject({
      level: 30,
      msg: 'CLAIMED: Processing job j1 for video v1',
      jobId: 'j1',
    });
    expect(out.lines).toHaveLength(1);
  });

  it('rotates at the size limit keeping three backups', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'vq-log-'));
    const log = createLogger({ level: 'info', dataDir, stdout: null, rotateSize: '10K' });
    for (let i = 0; i < 600; i++) {
      log.info({ i }, `line ${i} ${'x'.repeat(80)}`);
      if (i % 50 === 0) await new Promise((r) => setTimeout(r, 5));
    }
    await new Promise((r) => setTimeout(r, 50));
    await log.closeFile();
    const files = readdirSync(join(dataDir, 'worker')).sort();
    expect(files).toEqual(['log.log', 'log.log.1', 'log.log.2', 'log.log.3']);
    for (const f of files) expect(readFileSync(join(dataDir, 'worker', f)).length).toBeLessThanOrEqual(11 * 1024);
    expect(readFileSync(join(dataDir, 'worker/log.log'), 'utf8')).toContain('line 599');
    expect(existsSync(join(dataDir, 'worker/log.log.4'))).toBe(false);
  });

  it('reopens the log file after a write error (a full disk) and says so in the log', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'vq-log-'));
    const out = sink();
    const path = join(dataDir, 'log.log');
    let opened = 0;
    // the first stream writes to /dev/full, which fails every write with ENOSPC, as a full disk does
    const openFile = () =>
      (opened++ === 0
        ? createWriteStream('/dev/full')
        : createWriteStream(path, { flags: 'a' })) as unknown as LogFileStream;
    const log = createLogger({ level: 'info', dataDir, stdout: out.stream, openFile, reopenAfterMs: 50 });
    log.info('lost to the full disk');
    await new Promise((r) => setTimeout(r, 100));
    log.info('also lost, while the file is broken');
    await new Promise((r) => setTimeout(r, 100));
    log.info('written after the reopen');
    await new Promise((r) => setTimeout(r, 50));
    await log.closeFile();
    expect(opened).toBe(2);
    const text = readFileSync(path, 'utf8');
    expect(text).toMatch(
      /WARNING - \[logging\.ts\] - log file reopened after a write error \(ENOSPC\); \d line\(s\) could not be written\n/,
    );
    expect(text).toContain('written after the reopen');
    expect(text).not.toContain('lost to the full disk');
    expect(out.lines).toHaveLength(3); // stdout had every line throughout
  });

  it('never writes secrets: configured values, URL passwords, API keys, redacted fields, error messages', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'vq-log-'));
    const out = sink();
    const secret = 'my-very-secret-token';
    const log = createLogger({ level: 'info', dataDir, stdout: out.stream, secrets: [secret] });
    log.info(
      { openaiApiKey: 'sk-live-abcdefghijkl', config: { databaseUrl: 'postgres://u:pw@h/db' } },
      `token is ${secret}`,
    );
    log.info(`connecting to postgres://user:hunter2@db:5432/videoqa with Bearer sk-proj-1234567890abcdef`);
    log.error({ err: new Error(`request failed for key ${secret} and sk-zzzzzzzzzzzz`) }, 'FAILED: boom');
    await log.closeFile();
    const all = out.lines.join('') + readFileSync(join(dataDir, 'worker/log.log'), 'utf8');
    for (const s of [secret, 'sk-live-abcdefghijkl', 'hunter2', 'sk-proj-1234567890abcdef', 'sk-zzzzzzzzzzzz', 'u:pw@'])
      expect(all).not.toContain(s);
    expect(all).toContain('[redacted]');
    expect(scrub('postgres://a:b@c/d', [])).toBe('postgres://a:***@c/d');
  });
});
