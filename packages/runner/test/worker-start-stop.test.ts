import { loadConfig, MemoryStore, silentLogger } from '@videoqa/core';
import { Worker, type JobSource } from '@videoqa/runner';
import { describe, expect, it } from 'vitest';

describe('Worker start and stop', () => {
  it('a stop that arrives while start() is still connecting tears down after it, so nothing opened late is left open', async () => {
    const order: string[] = [];
    let release!: () => void;
    const connected = new Promise<void>((r) => (release = r));
    const source: JobSource = {
      name: 'slow-start',
      async start() {
        order.push('start:begin');
        await connected; // e.g. the LISTEN connection of a busy database
        order.push('start:end');
      },
      async next(signal) {
        await new Promise((r) => signal.addEventListener('abort', r, { once: true }));
        return null;
      },
      async renew() {},
      async complete() {},
      async fail() {
        return 'failed' as const;
      },
      async release() {},
      async stop() {
        order.push('stop');
      },
    };
    const worker = new Worker({ source, store: new MemoryStore(), config: loadConfig({ env: {} }), log: silentLogger });
    const started = worker.start();
    const stopped = worker.stop(); // SIGTERM during start-up
    setTimeout(release, 50); // the connection completes later, after the stop has had every chance to run

    await started;
    await stopped;
    await worker.finished();
    expect(order).toEqual(['start:begin', 'start:end', 'stop']);
  });
});
