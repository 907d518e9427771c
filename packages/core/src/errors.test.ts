import { describe, expect, it } from 'vitest';
import { ERROR_CODES, httpStatusForCode, isErrorCode } from './error-codes.ts';
import {
  AbortedError,
  FileNotFoundError,
  InvalidMediaError,
  isRetryable,
  ProviderError,
  VideoqaError,
  errorCode,
} from './errors.ts';

describe('errors', () => {
  it('carry a stable code and a retryable flag', () => {
    const e = new InvalidMediaError('x.mp4', 'file is empty (0 bytes)');
    expect(e).toBeInstanceOf(VideoqaError);
    expect(e).toBeInstanceOf(Error);
    expect(e.code).toBe('INVALID_MEDIA');
    expect(e.name).toBe('InvalidMediaError');
    expect(isRetryable(e)).toBe(false);
    expect(errorCode(e)).toBe('INVALID_MEDIA');
  });

  it('name their fix', () => {
    expect(new FileNotFoundError('/data/uploads/x.mp4').message).toMatch(/Video path not found: .* — check DATA_DIR/);
    // A path the user gave is read as given: the worker's videos.original_path convention does not apply.
    const input = new FileNotFoundError('talk.mp4', 'Input file not found', 'input');
    expect(input.message).toMatch(
      /^Input file not found: talk\.mp4 — check the path .* existing, readable video file$/,
    );
    expect(input.message).not.toMatch(/original_path|DATA_DIR/);
  });

  it('classify provider failures', () => {
    expect(isRetryable(new ProviderError('OpenAI', 'rate_limited', 'slow down', { status: 429 }))).toBe(true);
    expect(isRetryable(new ProviderError('OpenAI', 'server', 'oops', { status: 500 }))).toBe(true);
    expect(isRetryable(new ProviderError('OpenAI', 'timeout', 'timed out'))).toBe(true);
    expect(isRetryable(new ProviderError('OpenAI', 'auth', 'bad key', { status: 401 }))).toBe(false);
    expect(isRetryable(new ProviderError('OpenAI', 'bad_request', 'bad', { status: 400 }))).toBe(false);
    expect(new ProviderError('OpenAI', 'auth', 'bad key', { status: 401 }).code).toBe('PROVIDER_AUTH');
  });

  it('classify system and PostgreSQL errors', () => {
    expect(isRetryable(Object.assign(new Error('reset'), { code: 'ECONNRESET' }))).toBe(true);
    expect(isRetryable(Object.assign(new Error('terminating'), { code: '57P01' }))).toBe(true);
    expect(isRetryable(Object.assign(new Error('conn'), { code: '08006' }))).toBe(true);
    expect(isRetryable(Object.assign(new Error('syntax'), { code: '42601' }))).toBe(false);
    expect(isRetryable(Object.assign(new Error('dup'), { code: '23505' }))).toBe(false);
    expect(isRetryable(new AbortedError())).toBe(true);
    expect(isRetryable(new Error('something unexpected'))).toBe(true);
  });

  it('come from one closed registry that gives each its HTTP status', () => {
    expect(isErrorCode('VIDEO_BUSY')).toBe(true);
    expect(isErrorCode('MADE_UP_ON_THE_SPOT')).toBe(false);
    expect(isErrorCode('toString')).toBe(false);
    expect(httpStatusForCode('VIDEO_NOT_FOUND', false)).toBe(404);
    expect(httpStatusForCode('VIDEO_BUSY', false)).toBe(409);
    expect(httpStatusForCode('PROVIDER_RATE_LIMITED', true)).toBe(503);
    expect(httpStatusForCode('PROVIDER_AUTH', false)).toBe(502);
    expect(httpStatusForCode('TOOL_FAILED', true)).toBe(503);
    expect(httpStatusForCode('TOOL_FAILED', false)).toBe(400);
    for (const [code, info] of Object.entries(ERROR_CODES))
      expect(['usage', 'badInput', 'failed'], code).toContain(info.exit);
    // @ts-expect-error: a code outside the registry does not compile
    void new VideoqaError('MADE_UP_ON_THE_SPOT', 'x', false);
  });
});
