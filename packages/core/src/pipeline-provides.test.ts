import { describe, expect, it } from 'vitest';
import { MemoryStore } from './memory-store.ts';
import { runPipeline } from './pipeline.ts';
import { buildStageGraph } from './graph.ts';
import type { Stage } from './stage.ts';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dataDir = () => mkdtempSync(join(tmpdir(), 'vq-provides-'));

/** A promise and the function that resolves it. */
function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((r) => (open = r));
  return { wait, open };
}

describe('early outputs (provides)', () => {
  it('a stage after "a:early" starts when a provides it, while a is still running, and reads its data', async () => {
    const log: string[] = [];
    const release = gate();
    const stages: Stage[] = [
      {
        name: 'a',
        provides: ['early'],
        async run(ctx) {
          ctx.provide?.('early', { path: 'x.wav' });
          log.push('a provided');
          // a cannot finish before b has run: only an early start of b gets here.
          await release.wait;
          log.push('a ends');
          return { data: { path: 'x.wav', more: 1 } };
        },
      },
      {
        name: 'b',
        after: ['a:early'],
        async run(ctx) {
          log.push(`b runs with ${JSON.stringify(ctx.outputs.get('a:early'))}`);
          release.open();
        },
      },
      {
        name: 'c',
        after: ['a', 'b'],
        run: async (ctx) => void log.push(`c sees ${JSON.stringify(ctx.outputs.get('a'))}`),
      },
    ];
    const run = runPipeline({
      video: { id: 'v1', originalPath: 'in.mp4' },
      stages,
      store: new MemoryStore(),
      config: { dataDir: dataDir() },
    });
    run.events.on('stage:output', (e) => log.push(`event ${e.stage}:${e.output}`));
    run.events.on('stage:start', (e) => log.push(`start ${e.stage}`));
    run.events.on('stage:done', (e) => log.push(`done ${e.stage}`));
    const result = await run;
    expect(result.status).toBe('done');
    expect(log.slice(0, 5)).toEqual([
      'start a',
      'event a:early',
      'a provided',
      'start b',
      'b runs with {"path":"x.wav"}',
    ]);
    // b ran (and a could only end because it did) before a ended; c waited for the whole of a.
    expect(log.indexOf('a ends')).toBeGreaterThan(log.indexOf('b runs with {"path":"x.wav"}'));
    expect(log.slice(-3)).toEqual(['start c', 'c sees {"path":"x.wav","more":1}', 'done c']);
    expect(log.indexOf('done a')).toBeLessThan(log.indexOf('start c'));
  });

  it('resumed or finished without providing: the whole data stands in for the early output', async () => {
    const store = new MemoryStore();
    const dir = dataDir();
    const seen: unknown[] = [];
    const stages: Stage[] = [
      { name: 'a', provides: ['early'], run: async () => ({ data: { whole: true } }) },
      { name: 'b', after: ['a:early'], run: async (ctx) => void seen.push(ctx.outputs.get('a:early')) },
    ];
    expect(
      (await runPipeline({ video: { id: 'v1', originalPath: 'in.mp4' }, stages, store, config: { dataDir: dir } }))
        .status,
    ).toBe('done');
    expect(
      (
        await runPipeline({
          video: { id: 'v1', originalPath: 'in.mp4' },
          stages,
          store,
          config: { dataDir: dir },
          only: ['b'],
          resume: false,
        })
      ).status,
    ).toBe('done');
    expect(seen).toEqual([{ whole: true }, { whole: true }]);
  });

  it('a failing stage cancels the stage that started on its early output', async () => {
    const stages: Stage[] = [
      {
        name: 'a',
        provides: ['early'],
        async run(ctx) {
          ctx.provide?.('early', {});
          await new Promise((r) => setImmediate(r));
          throw new Error('encode failed');
        },
      },
      {
        name: 'b',
        after: ['a:early'],
        run: (ctx) => new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason))),
      },
    ];
    const result = await runPipeline({
      video: { id: 'v1', originalPath: 'in.mp4' },
      stages,
      store: new MemoryStore(),
      config: { dataDir: dataDir() },
    });
    expect(result.status).toBe('failed');
    expect(result.failedStage).toBe('a');
    expect(result.stages.b!.status).toBe('cancelled');
  });

  it('the graph rejects an output the stage does not provide, and an undeclared provide() fails the stage', async () => {
    expect(() =>
      buildStageGraph([
        { name: 'a', run: async () => {} },
        { name: 'b', after: ['a:audio'], run: async () => {} },
      ]),
    ).toThrow(/stage "a" provides no output "audio"/);
    expect(() => buildStageGraph([{ name: 'b', after: ['x:audio'], run: async () => {} }])).toThrow(
      /"x:audio", which is not in the pipeline/,
    );
    const result = await runPipeline({
      video: { id: 'v1', originalPath: 'in.mp4' },
      stages: [{ name: 'a', run: async (ctx) => ctx.provide?.('audio', 1) }],
      store: new MemoryStore(),
      config: { dataDir: dataDir() },
    });
    expect(result.status).toBe('failed');
    expect(result.error?.message).toMatch(/provided "audio", which is not in its provides list/);
  });
});
