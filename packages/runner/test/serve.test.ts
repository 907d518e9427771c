import { createServer } from 'node:net';
import { freePort } from '@videoqa/testing';
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { CLI, runCli, startCli, tempDir } from './helpers.ts';

describe('videoqa serve', () => {
  it('refuses to listen beyond loopback without API_TOKEN: one line, exit 2', async () => {
    const res = await runCli(['serve', '--host', '0.0.0.0', '--port', String(await freePort())], {
      DATA_DIR: tempDir('vq-serve-'),
    });
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(
      /^videoqa: CONFIG_INVALID: [^\n]*API_TOKEN[^\n]*is required when the API listens beyond loopback[^\n]*\n$/,
    );
  });

  it('exits with one line when the port is taken, leaving no process behind', async () => {
    const blocker = createServer();
    const port = await new Promise<number>((resolve) =>
      blocker.listen(0, '127.0.0.1', () => resolve((blocker.address() as { port: number }).port)),
    );
    try {
      const res = await runCli(['serve', '--port', String(port)], { DATA_DIR: tempDir('vq-serve-') });
      expect(res.code).toBe(1);
      expect(res.stderr).toMatch(/^videoqa: EADDRINUSE: [^\n]+\n$/);
    } finally {
      blocker.close();
    }
  });

  it('serves the viewer and the API on loopback, without a worker when asked, and stops on SIGTERM', async () => {
    const port = await freePort();
    const server = startCli(['serve', '--port', String(port), '--no-worker'], { DATA_DIR: tempDir('vq-serve-') });
    try {
      await server.waitFor(/videoqa viewer on http:\/\/127\.0\.0\.1:\d+\/ \(API at [^)]*, no worker in this process\)/);
      const page = await fetch(`http://127.0.0.1:${port}/`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
      expect(await page.text()).toContain('<script type="module" src="/viewer/library.js"></script>');
      expect((await fetch(`http://127.0.0.1:${port}/videos/anything`)).headers.get('content-type')).toMatch(
        /^text\/html/,
      );
      expect((await fetch(`http://127.0.0.1:${port}/viewer/video.js`)).headers.get('content-type')).toMatch(
        /^text\/javascript/,
      );
      expect((await fetch(`http://127.0.0.1:${port}/viewer/nope.js`)).status).toBe(404);
      expect(await (await fetch(`http://127.0.0.1:${port}/v1/videos`)).json()).toEqual({ videos: [] });
    } finally {
      server.child.kill('SIGTERM');
    }
    expect(await server.exited).toBe(0);
    expect(server.output()).not.toMatch(/worker started/);
  });

  it('started by a package script (pnpm videoqa serve), it stops when that parent goes away instead of living on under PID 1', async () => {
    const port = await freePort();
    // The parent stands in for pnpm: it starts the CLI as npm scripts do, then dies without passing a signal on.
    const parent = spawn(
      process.execPath,
      [
        '-e',
        `const c = require('node:child_process').spawn(process.execPath, [${JSON.stringify(CLI)}, 'serve', '--port', '${port}', '--no-worker'], { stdio: 'ignore', env: { ...process.env, npm_lifecycle_event: 'videoqa' } }); console.log(c.pid); setInterval(() => {}, 1000);`,
      ],
      { env: { ...process.env, DATA_DIR: tempDir('vq-serve-') }, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const pid = Number(await new Promise<string>((resolve) => parent.stdout!.once('data', (d) => resolve(String(d)))));
    const alive = () => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    try {
      let up = false;
      for (let i = 0; i < 600 && !up; i++) {
        up = await fetch(`http://127.0.0.1:${port}/v1/videos`).then(
          (r) => r.ok,
          () => false,
        );
        if (!up) await new Promise((r) => setTimeout(r, 100));
      }
      expect(up).toBe(true);
      parent.kill('SIGKILL');
      for (let i = 0; i < 600 && alive(); i++) await new Promise((r) => setTimeout(r, 100));
      expect(alive()).toBe(false);
    } finally {
      parent.kill('SIGKILL');
      if (alive()) process.kill(pid, 'SIGKILL');
    }
  });
});
