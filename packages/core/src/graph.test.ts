import { describe, expect, it } from 'vitest';
import { PipelineGraphError } from './errors.ts';
import { buildStageGraph, transitiveDependents } from './graph.ts';
import type { Stage } from './stage.ts';

const s = (name: string, after: string[] = []): Stage => ({ name, after, run: async () => {} });

describe('buildStageGraph', () => {
  it('orders dependencies first', () => {
    const g = buildStageGraph([
      s('embeddings', ['transcribe', 'vision']),
      s('vision', ['frames']),
      s('frames', ['scenes']),
      s('scenes', ['normalize']),
      s('transcribe', ['normalize']),
      s('normalize'),
    ]);
    const pos = (n: string) => g.order.indexOf(n);
    expect(pos('normalize')).toBeLessThan(pos('scenes'));
    expect(pos('scenes')).toBeLessThan(pos('frames'));
    expect(pos('frames')).toBeLessThan(pos('vision'));
    expect(pos('vision')).toBeLessThan(pos('embeddings'));
    expect(pos('transcribe')).toBeLessThan(pos('embeddings'));
    expect(transitiveDependents(g, 'scenes')).toEqual(['frames', 'vision', 'embeddings']);
  });

  it('rejects an unknown dependency, naming both stages', () => {
    expect(() => buildStageGraph([s('a', ['ghost'])])).toThrow(
      /Stage "a" runs after "ghost", which is not in the pipeline/,
    );
  });

  it('waits for afterIfPresent stages only when they are in the pipeline', () => {
    const vision: Stage = { name: 'vision', after: ['frames'], afterIfPresent: ['ocr'], run: async () => {} };
    const withOcr = buildStageGraph([vision, s('ocr', ['frames']), s('frames')]);
    expect(withOcr.deps.get('vision')).toEqual(['frames', 'ocr']);
    expect(withOcr.order.indexOf('ocr')).toBeLessThan(withOcr.order.indexOf('vision'));
    expect(transitiveDependents(withOcr, 'ocr')).toEqual(['vision']);
    expect(buildStageGraph([vision, s('frames')]).deps.get('vision')).toEqual(['frames']);
  });

  it('rejects duplicate names', () => {
    expect(() => buildStageGraph([s('a'), s('a')])).toThrow(/Duplicate stage name "a"/);
  });

  it('rejects a cycle and prints it', () => {
    const err = (() => {
      try {
        buildStageGraph([s('a', ['c']), s('b', ['a']), s('c', ['b'])]);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(PipelineGraphError);
    expect((err as PipelineGraphError).code).toBe('PIPELINE_GRAPH_INVALID');
    expect((err as Error).message).toMatch(/cycle: a -> c -> b -> a/);
  });

  it('rejects self-dependency, empty lists, nameless stages and stages without run()', () => {
    expect(() => buildStageGraph([s('a', ['a'])])).toThrow(/depends on itself/);
    expect(() => buildStageGraph([])).toThrow(/No stages/);
    expect(() => buildStageGraph([s('')])).toThrow(/non-empty name/);
    expect(() => buildStageGraph([{ name: 'x' } as unknown as Stage])).toThrow(/no run\(\) function/);
  });
});
