import { describe, expect, it } from 'vitest';
import { configSecrets, loadConfig, redactConfig } from './config.ts';
import { ConfigError } from './errors.ts';

describe('config', () => {
  it('has the seed defaults', () => {
    const c = loadConfig({ env: {} });
    expect(c).toMatchObject({
      workerPollMs: 1500,
      workerMaxAttempts: 3,
      workerConcurrency: 1,
      logLevel: 'info',
      workerDevHttp: false,
      workerHttpPort: 8000,
      workerHttpHost: '127.0.0.1',
      visionMaxConcurrent: 5,
      transcriptionModel: 'whisper-1',
      visionModel: 'gpt-4o',
      embeddingModel: 'text-embedding-3-small',
      dataDir: './data',
    });
    expect(c.databaseUrl).toBeUndefined();
    expect(c.openaiApiKey).toBeUndefined();
  });

  it('reads and coerces environment values', () => {
    const c = loadConfig({
      env: {
        WORKER_POLL_MS: '250',
        WORKER_DEV_HTTP: 'true',
        LOG_LEVEL: 'INFO',
        VISION_MAX_CONCURRENT: ' 9 ',
        DATABASE_URL: 'postgres://u:p@h:5432/db',
        DATA_DIR: '/app/data',
      },
    });
    expect(c.workerPollMs).toBe(250);
    expect(c.workerDevHttp).toBe(true);
    expect(c.logLevel).toBe('info');
    expect(c.visionMaxConcurrent).toBe(9);
    expect(c.dataDir).toBe('/app/data');
  });

  it('accepts the Python level names of the seed', () => {
    expect(loadConfig({ env: { LOG_LEVEL: 'WARNING' } }).logLevel).toBe('warn');
    expect(loadConfig({ env: { LOG_LEVEL: 'DEBUG' } }).logLevel).toBe('debug');
  });

  it('lets code override the environment', () => {
    expect(loadConfig({ env: { WORKER_POLL_MS: '250' }, overrides: { workerPollMs: 900 } }).workerPollMs).toBe(900);
  });

  it.each([
    [{ WORKER_POLL_MS: 'abc' }, /WORKER_POLL_MS: must be a number \(got "abc"\)/],
    [{ WORKER_POLL_MS: '-5' }, /WORKER_POLL_MS: must be at least 10/],
    [{ WORKER_MAX_ATTEMPTS: '2.5' }, /WORKER_MAX_ATTEMPTS: must be an integer/],
    [{ WORKER_DEV_HTTP: 'maybe' }, /WORKER_DEV_HTTP: must be true or false/],
    [{ WORKER_HTTP_PORT: '70000' }, /WORKER_HTTP_PORT: must be at most 65535/],
    [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL: must be one of/],
    [{ DATABASE_URL: 'mysql://x' }, /DATABASE_URL: must be a URL starting with postgres:/],
    [{ OPENAI_BASE_URL: 'not a url' }, /OPENAI_BASE_URL: must be a URL/],
    [{ MAX_RETRIES: 'x' }, /MAX_RETRIES: must be a non-negative integer/],
  ])('fails on %j with the variable name', (env, message) => {
    expect(() => loadConfig({ env })).toThrow(ConfigError);
    expect(() => loadConfig({ env })).toThrow(message);
  });

  it('reports every bad variable at once', () => {
    try {
      loadConfig({ env: { WORKER_POLL_MS: 'x', WORKER_CONCURRENCY: '0' } });
      expect.unreachable();
    } catch (e) {
      expect((e as ConfigError).issues.map((i) => i.variable).sort()).toEqual(['WORKER_CONCURRENCY', 'WORKER_POLL_MS']);
      expect((e as ConfigError).code).toBe('CONFIG_INVALID');
    }
  });

  it('maps seed 003 MAX_RETRIES to attempts (retries after the first try)', () => {
    expect(loadConfig({ env: { MAX_RETRIES: '3' } }).workerMaxAttempts).toBe(4);
    expect(loadConfig({ env: { MAX_RETRIES: '3', WORKER_MAX_ATTEMPTS: '2' } }).workerMaxAttempts).toBe(2);
  });

  it('never echoes secrets, in errors or when printed', () => {
    const key = 'sk-test-SECRET-123456';
    const c = loadConfig({
      env: {
        OPENAI_API_KEY: key,
        DATABASE_URL: 'postgres://user:hunter2pass@db:5432/videoqa',
        API_TOKEN: 'tok-abcdef',
      },
    });
    const printed = JSON.stringify(redactConfig(c));
    expect(printed).not.toContain(key);
    expect(printed).not.toContain('hunter2pass');
    expect(printed).not.toContain('tok-abcdef');
    expect(printed).toContain('[redacted]');
    expect(configSecrets(c)).toEqual(expect.arrayContaining([key, 'hunter2pass', 'tok-abcdef']));
    try {
      loadConfig({ env: { DATABASE_URL: 'mysql://user:hunter2pass@db/x' } });
    } catch (e) {
      expect((e as Error).message).not.toContain('hunter2pass');
    }
  });
});
