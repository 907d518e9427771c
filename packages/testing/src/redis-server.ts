import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './net.ts';

/** Sends PING over RESP and resolves when PONG comes back. */
export function pingRedis(url: string, timeoutMs = 3000): Promise<void> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: u.hostname, port: Number(u.port || 6379) });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer from Redis at ${u.host} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.once('connect', () =>
      socket.write(u.password ? `AUTH ${decodeURIComponent(u.password)}\r\nPING\r\n` : 'PING\r\n'),
    );
    socket.on('data', (d) => {
      if (d.toString().includes('PONG')) {
        clearTimeout(timer);
        socket.end();
        resolve();
      }
    });
  });
}

/** REDIS_URL when set (it must answer), otherwise a throwaway redis-server on a free port. */
export async function startTestRedis(): Promise<{ url: string; stop: () => Promise<void> }> {
  const fromEnv = process.env.REDIS_URL;
  if (fromEnv) {
    await pingRedis(fromEnv).catch((err: Error) => {
      throw new Error(`REDIS_URL is set but Redis does not answer: ${err.message}. Redis tests never skip.`);
    });
    return { url: fromEnv, stop: async () => {} };
  }
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'videoqa-redis-'));
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
    { stdio: 'ignore' },
  );
  const spawnError = new Promise<never>((_, reject) =>
    child.once('error', (err) =>
      reject(new Error(`cannot start redis-server (${err.message}); install it with: apt-get install redis-server`)),
    ),
  );
  const url = `redis://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      await Promise.race([pingRedis(url, 500), spawnError]);
      break;
    } catch (err) {
      if (Date.now() > deadline || /cannot start/.test((err as Error).message)) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    url,
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
