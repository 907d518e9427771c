import { createServer } from 'node:net';
import { freePort } from '@videoqa/testing';
import { describe, expect, it } from 'vitest';
import { runCli, startCli, tempDir } from './helpers.ts';

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
});
