import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sleep } from './async.ts';
import { AbortedError, InvalidMediaError, PipelineFailedError, PipelineGraphError } from './errors.ts';
import { silentLogger } from './logger.ts';
import { MemoryStore } from './memory-store.ts';
import { runPipeline } from './pipeline.ts';
import { failedStageOf } from './pipeline-stage.ts';
import type { Stage, StageContext } from './stage.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'vq-pipeline-'));
const video = (id = 'v1') => ({ id, originalPath: `uploads/${id}_x.mp4` });

interface Trace {
  log: string[];
  spans: Map<string, { start: number; end: number }>;
}

/** A stage that records when it ran, waits `ms` (honouring abort), then returns data. */
function timed(name: string, after: string[], ms: number, trace: Trace, extra: Partial<Stage> = {}): Stage {
  return {
    name,
    after,
    async run(ctx: StageContext) {
      const start = performance.now();
      trace.log.push(`start:${name}`);
      await sleep(ms, ctx.signal);
      trace.spans.set(name, { start, end: performance.now() });
      trace.log.push(`end:${name}`);
      return { data: { from: name, saw: [...ctx.outputs.keys()].sort() }, counts: { items: ms } };
    },
    ...extra,
  };
}
const newTrace = (): Trace => ({ log: [], spans: new Map() });

describe('runPipeline', () => {
  it('runs a DAG in dependency order and runs independent branches at the same time', async () => {
    const t = newTrace();
    const stages = [
      timed('normalize', [], 10, t),
      timed('transcribe', ['normalize'], 120, t),
      timed('scenes', ['normalize'], 40, t),
      timed('frames', ['scenes'], 40, t),
      timed('embeddings', ['transcribe', 'frames'], 5, t),
    ];
    const result = await runPipeline({ video: video(), stages, config: { dataDir } });
    expect(result.status).toBe('done');
    const span = (n: string) => t.spans.get(n)!;
    // transcribe overlaps scenes and frames: the branches really ran concurrently.
    expect(span('scenes').start).toBeLessThan(span('transcribe').end);
    expect(span('frames').start).toBeLessThan(span('transcribe').end);
    expect(span('transcribe').start).toBeLessThan(span('scenes').end);
    // and every stage started after its dependencies ended.
    expect(span('normalize').end).toBeLessThanOrEqual(span('transcribe').start);
    expect(span('scenes').end).toBeLessThanOrEqual(span('frames').start);
    expect(span('embeddings').start).toBeGreaterThanOrEqual(Math.max(span('transcribe').end, span('frames').end));
    expect(result.stages.embeddings!.data).toEqual({
      from: 'embeddings',
      saw: ['frames', 'normalize', 'scenes', 'transcribe'],
    });
    expect(result.stages.scenes!.counts).toEqual({ items: 40 });
  });

  it('emits events in order, with durations and counts', async () => {
    const t = newTrace();
    const run = runPipeline({
      video: video(),
      stages: [timed('a', [], 5, t), timed('b', ['a'], 5, t)],
      config: { dataDir },
    });
    const seen: string[] = [];
    for (const name of [
      'pipeline:start',
      'stage:start',
      'stage:done',
      'stage:skipped',
      'stage:error',
      'pipeline:done',
      'pipeline:failed',
    ] as const) {
      run.events.on(name, ((e: { stage?: string }) => void seen.push(e.stage ? `${name}:${e.stage}` : name)) as never);
    }
    let done: { durationMs: number; counts: Record<string, number> } | undefined;
    run.events.on('stage:done', (e) => {
      if (e.stage === 'b') done = e;
    });
    await run;
    expect(seen).toEqual([
      'pipeline:start',
      'stage:start:a',
      'stage:done:a',
      'stage:start:b',
      'stage:done:b',
      'pipeline:done',
    ]);
    expect(done!.durationMs).toBeGreaterThanOrEqual(4);
    expect(done!.counts).toEqual({ items: 5 });
  });

  it('reports progress events', async () => {
    const stage: Stage = {
      name: 'p',
      async run(ctx) {
        for (let i = 1; i <= 3; i++) {
          await sleep(120);
          ctx.progress(i, 3);
        }
      },
    };
    const run = runPipeline({ video: video(), stages: [stage], config: { dataDir } });
    const fractions: number[] = [];
    run.events.on('stage:progress', (e) => fractions.push(e.fraction!));
    await run;
    expect(fractions).toEqual([1 / 3, 2 / 3, 1]);
  });

  it('validates the graph before running anything', async () => {
    let ran = false;
    const stage: Stage = { name: 'a', after: ['nope'], run: async () => void (ran = true) };
    await expect(runPipeline({ video: video(), stages: [stage], config: { dataDir } })).rejects.toBeInstanceOf(
      PipelineGraphError,
    );
    expect(ran).toBe(false);
  });

  it('stops dependents of a failed stage and aborts the rest through the signal', async () => {
    const t = newTrace();
    let siblingSawAbort = false;
    const store = new MemoryStore();
    const stages: Stage[] = [
      timed('normalize', [], 5, t),
      {
        name: 'scenes',
        after: ['normalize'],
        async run() {
          await sleep(20);
          throw new Error('detector exploded');
        },
      },
      timed('frames', ['scenes'], 5, t),
      {
        name: 'transcribe',
        after: ['normalize'],
        async run(ctx) {
          try {
            await sleep(600_000, ctx.signal); // only an abort ends this in time for the test
          } catch (e) {
            siblingSawAbort = ctx.signal.aborted;
            throw e;
          }
        },
      },
    ];
    const result = await runPipeline({ video: video(), stages, store, config: { dataDir } });
    expect(result.status).toBe('failed');
    expect(result.failedStage).toBe('scenes');
    expect(result.error?.message).toBe('detector exploded');
    expect(result.stages.frames!.status).toBe('cancelled');
    expect(result.stages.frames!.reason).toBe('stage "scenes" failed');
    expect(result.stages.transcribe!.status).toBe('cancelled');
    expect(siblingSawAbort).toBe(true);
    expect(t.log).not.toContain('start:frames');
    const runs = Object.fromEntries((await store.listStageRuns('v1')).map((r) => [r.stage, r.status]));
    expect(runs).toEqual({ normalize: 'done', scenes: 'failed', transcribe: 'cancelled' });
    const v = await store.getVideo('v1');
    expect(v?.status).toBe('failed');
    expect(v?.error).toMatch(/scenes: detector exploded/);
  });

  it('stops promptly on an external abort and marks nothing done that did not finish', async () => {
    const t = newTrace();
    const store = new MemoryStore();
    const controller = new AbortController();
    const stages = [timed('a', [], 5, t), timed('b', ['a'], 600_000, t), timed('c', ['b'], 5, t)]; // b ends only by the abort
    const run = runPipeline({ video: video(), stages, store, signal: controller.signal, config: { dataDir } });
    run.events.on('stage:start', (e) => {
      if (e.stage === 'b') setTimeout(() => controller.abort(), 30);
    });
    const result = await run;
    expect(result.status).toBe('aborted');
    expect(result.error).toBeInstanceOf(AbortedError);
    expect(result.stages.b!.status).toBe('cancelled');
    expect(result.stages.c!.status).toBe('cancelled');
    const runs = Object.fromEntries((await store.listStageRuns('v1')).map((r) => [r.stage, r.status]));
    expect(runs).toEqual({ a: 'done', b: 'cancelled' });
  });

  it('resumes after the last finished stage', async () => {
    const store = new MemoryStore();
    const calls: string[] = [];
    let failOnce = true;
    const mk = (name: string, after: string[] = []): Stage => ({
      name,
      after,
      async run(ctx) {
        calls.push(name);
        if (name === 'frames' && failOnce) {
          failOnce = false;
          throw new Error('transient');
        }
        return { data: { name, upstream: ctx.outputs.get(after[0] ?? '') ?? null } };
      },
    });
    const stages = [mk('normalize'), mk('scenes', ['normalize']), mk('frames', ['scenes']), mk('vision', ['frames'])];
    const first = await runPipeline({ video: video(), stages, store, config: { dataDir } });
    expect(first.status).toBe('failed');
    expect(calls).toEqual(['normalize', 'scenes', 'frames']);
    calls.length = 0;
    const run = runPipeline({ video: video(), stages, store, config: { dataDir } });
    const skipped: string[] = [];
    run.events.on('stage:skipped', (e) => e.resumed && skipped.push(e.stage));
    const second = await run;
    expect(second.status).toBe('done');
    expect(calls).toEqual(['frames', 'vision']);
    expect(skipped).toEqual(['normalize', 'scenes']);
    expect(second.stages.normalize!.status).toBe('resumed');
    // a resumed stage's stored output still reaches the stages after it
    expect(second.stages.frames!.data).toEqual({
      name: 'frames',
      upstream: { name: 'scenes', upstream: { name: 'normalize', upstream: null } },
    });
    calls.length = 0;
    expect((await runPipeline({ video: video(), stages, store, config: { dataDir }, resume: false })).status).toBe(
      'done',
    );
    expect(calls).toEqual(['normalize', 'scenes', 'frames', 'vision']);
  });

  it('rerunning one stage makes the stages derived from it run again', async () => {
    const store = new MemoryStore();
    const calls: string[] = [];
    const mk = (name: string, after: string[] = []): Stage => ({ name, after, run: async () => void calls.push(name) });
    const stages = [mk('normalize'), mk('scenes', ['normalize']), mk('frames', ['scenes'])];
    await runPipeline({ video: video(), stages, store, config: { dataDir } });
    calls.length = 0;
    const only = await runPipeline({
      video: video(),
      stages,
      store,
      config: { dataDir },
      only: ['scenes'],
      resume: false,
    });
    expect(only.status).toBe('done');
    expect(calls).toEqual(['scenes']);
    expect((await store.listStageRuns('v1')).map((r) => r.stage).sort()).toEqual(['normalize', 'scenes']);
    calls.length = 0;
    await runPipeline({ video: video(), stages, store, config: { dataDir } });
    expect(calls).toEqual(['frames']);
  });

  it('refuses a subset whose needs were never met', async () => {
    const stages: Stage[] = [
      { name: 'normalize', run: async () => {} },
      { name: 'scenes', after: ['normalize'], run: async () => {} },
    ];
    await expect(runPipeline({ video: video('fresh'), stages, config: { dataDir }, only: ['scenes'] })).rejects.toThrow(
      /Stage "scenes" needs "normalize", which is not selected and has not completed/,
    );
    await expect(runPipeline({ video: video('fresh'), stages, config: { dataDir }, only: ['ghost'] })).rejects.toThrow(
      /Unknown stage "ghost"/,
    );
  });

  it('records skipped stages with their reason and lets dependents run', async () => {
    const store = new MemoryStore();
    const stages: Stage[] = [
      { name: 'transcribe', run: async () => ({ skipped: 'video has no audio track' }) },
      { name: 'embeddings', after: ['transcribe'], run: async () => ({ counts: { vectors: 0 } }) },
    ];
    const run = runPipeline({ video: video(), stages, store, config: { dataDir } });
    const reasons: string[] = [];
    run.events.on('stage:skipped', (e) => reasons.push(`${e.stage}: ${e.reason}`));
    const result = await run;
    expect(result.status).toBe('done');
    expect(reasons).toEqual(['transcribe: video has no audio track']);
    expect(result.stages.transcribe).toMatchObject({ status: 'skipped', reason: 'video has no audio track' });
    expect(result.stages.embeddings!.status).toBe('done');
    // skipped is not done: a later run (say, with an API key) tries it again
    expect((await store.listStageRuns('v1')).find((r) => r.stage === 'transcribe')?.status).toBe('skipped');
  });

  it('keeps usage a stage reported before failing', async () => {
    const store = new MemoryStore();
    const stage: Stage = {
      name: 'vision',
      async run(ctx) {
        ctx.addUsage({ requests: 2, inputTokens: 100 });
        ctx.addUsage({ requests: 1 });
        throw new Error('third frame failed');
      },
    };
    const result = await runPipeline({ video: video(), stages: [stage], store, config: { dataDir } });
    expect(result.stages.vision!.usage).toEqual({ requests: 3, inputTokens: 100 });
    expect((await store.listStageRuns('v1'))[0]!.usage).toEqual({ requests: 3, inputTokens: 100 });
  });

  it('imports a file path into DATA_DIR/uploads and gives stages its paths', async () => {
    const src = join(mkdtempSync(join(tmpdir(), 'vq-in-')), 'clip.mp4');
    writeFileSync(src, 'fake');
    const store = new MemoryStore();
    let seen: StageContext | undefined;
    const run = runPipeline({
      video: src,
      videoId: 'imported',
      stages: [{ name: 'look', run: async (ctx) => void (seen = ctx) }],
      store,
      config: { dataDir },
    });
    expect(run.videoId).toBe('imported');
    await run;
    expect(seen!.video.originalPath).toBe('uploads/imported_clip.mp4');
    expect(seen!.paths.normalized).toBe(join(dataDir, 'processed/imported/normalized.mp4'));
    expect((await store.getVideo('imported'))?.status).toBe('ready');
  });
  it('shows paths in stage errors relative to DATA_DIR, never the absolute DATA_DIR', async () => {
    const store = new MemoryStore();
    const stages: Stage[] = [
      {
        name: 'a',
        async run() {
          throw new Error(`Cannot process "${join(dataDir, 'uploads/v1_x.mp4')}": corrupt`);
        },
      },
    ];
    const result = await runPipeline({ video: video(), stages, store, config: { dataDir } });
    expect(result.error?.message).toBe('Cannot process "uploads/v1_x.mp4": corrupt');
    expect((await store.getVideo('v1'))?.error).toBe('a: Cannot process "uploads/v1_x.mp4": corrupt');
    expect(JSON.stringify(await store.listStageRuns('v1'))).not.toContain(dataDir);
  });
  it('a throwing event listener never changes a run: the stage stays done, its row too', async () => {
    const store = new MemoryStore();
    const t = newTrace();
    const warnings: string[] = [];
    const logger = {
      ...silentLogger,
      warn: (_o: unknown, msg?: string) => void warnings.push(String(msg)),
      child: () => logger,
    } as unknown as typeof silentLogger;
    const run = runPipeline({
      video: video(),
      stages: [timed('a', [], 5, t), timed('b', ['a'], 5, t)],
      store,
      config: { dataDir },
      logger,
    });
    for (const event of ['stage:start', 'stage:done', 'pipeline:done'] as const) {
      run.events.on(event, () => {
        throw new Error(`listener of ${event} exploded`);
      });
    }
    const result = await run;
    expect(result.status).toBe('done');
    expect(result.stages.a!.status).toBe('done');
    expect(result.stages.b!.status).toBe('done');
    expect(Object.fromEntries((await store.listStageRuns('v1')).map((r) => [r.stage, r.status]))).toEqual({
      a: 'done',
      b: 'done',
    });
    expect(warnings.filter((w) => /event listener threw/.test(w))).toHaveLength(5);
  });

  it('orThrow() resolves with the result when every stage finished, and rejects with PIPELINE_FAILED when one failed', async () => {
    const t = newTrace();
    const ok = await runPipeline({ video: video('ok'), stages: [timed('a', [], 5, t)], config: { dataDir } }).orThrow();
    expect(ok.status).toBe('done');
    const broken: Stage = {
      name: 'b',
      async run() {
        throw new InvalidMediaError('uploads/x.mp4', 'not a video');
      },
    };
    const err = await runPipeline({ video: video('bad'), stages: [broken], config: { dataDir } })
      .orThrow()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PipelineFailedError);
    expect(err).toMatchObject({
      code: 'PIPELINE_FAILED',
      retryable: false,
      result: { status: 'failed', failedStage: 'b' },
    });
    expect((err as Error).message).toMatch(
      /^Video bad: stage "b" failed: Cannot process "uploads\/x.mp4": not a video/,
    );
    expect((err as Error).cause).toBeInstanceOf(InvalidMediaError);
  });

  it('records on the error which stage failed, so a worker or caller can say where without extra bookkeeping', async () => {
    const t = newTrace();
    const broken: Stage = {
      name: 'scenes',
      after: ['normalize'],
      async run() {
        throw new InvalidMediaError('uploads/x.mp4', 'no frames');
      },
    };
    const result = await runPipeline({
      video: video('where'),
      stages: [timed('normalize', [], 5, t), broken, timed('frames', ['scenes'], 5, t)],
      config: { dataDir },
    });
    expect(result.failedStage).toBe('scenes');
    expect(failedStageOf(result.error)).toBe('scenes');
    expect(failedStageOf(new Error('elsewhere'))).toBeUndefined();
    expect(failedStageOf(undefined)).toBeUndefined();
  });

  it('uses the configuration it is given and never reads the environment', async () => {
    const before = process.env.FRAMES_SCENE_SPAN_SEC;
    process.env.FRAMES_SCENE_SPAN_SEC = '99';
    try {
      const seen: number[] = [];
      const look = (name: string): Stage => ({
        name,
        async run(ctx) {
          seen.push(ctx.config.framesSceneSpanSec);
        },
      });
      await runPipeline({ video: video('env1'), stages: [look('a')], config: { dataDir } }).orThrow();
      await runPipeline({
        video: video('env2'),
        stages: [look('b')],
        config: { dataDir, framesSceneSpanSec: 7 },
      }).orThrow();
      expect(seen).toEqual([15, 7]);
    } finally {
      if (before === undefined) delete process.env.FRAMES_SCENE_SPAN_SEC;
      else process.env.FRAMES_SCENE_SPAN_SEC = before;
    }
  });
});
