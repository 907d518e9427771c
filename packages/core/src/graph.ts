import { PipelineGraphError } from './errors.ts';
import type { Stage } from './stage.ts';

/** `"normalize:audio"` → `{ stage: 'normalize', output: 'audio' }`; a plain name has no output. */
export function splitDependency(dep: string): { stage: string; output?: string } {
  const i = dep.indexOf(':');
  return i < 0 ? { stage: dep } : { stage: dep.slice(0, i), output: dep.slice(i + 1) };
}

export interface StageGraph {
  /** Stages in a valid execution order (dependencies first). */
  order: string[];
  stages: Map<string, Stage>;
  /** What each stage waits for: stage names, or `"{stage}:{output}"` for an output provided early. */
  deps: Map<string, string[]>;
  /** Direct dependents of each stage. */
  dependents: Map<string, string[]>;
}

/**
 * Checks the stage list before anything runs: names present and unique, every
 * `after` names a known stage, no cycles. `afterIfPresent` names count as
 * `after` when those stages are in the list. Errors name the stages involved.
 */
export function buildStageGraph(stages: readonly Stage[]): StageGraph {
  if (!Array.isArray(stages) || stages.length === 0)
    throw new PipelineGraphError('No stages given: pass at least one stage');
  const byName = new Map<string, Stage>();
  for (const stage of stages) {
    if (!stage || typeof stage.name !== 'string' || stage.name.trim() === '') {
      throw new PipelineGraphError('Every stage needs a non-empty name');
    }
    if (typeof stage.run !== 'function') throw new PipelineGraphError(`Stage "${stage.name}" has no run() function`);
    if (byName.has(stage.name)) throw new PipelineGraphError(`Duplicate stage name "${stage.name}"`);
    byName.set(stage.name, stage);
  }
  const deps = new Map<string, string[]>();
  const dependents = new Map<string, string[]>([...byName.keys()].map((n) => [n, []]));
  for (const stage of stages) {
    const optional = (stage.afterIfPresent ?? []).filter((d: string) => byName.has(d) && d !== stage.name);
    const after = [...new Set<string>([...(stage.after ?? []), ...optional])];
    for (const dep of after) {
      const { stage: base, output } = splitDependency(dep);
      if (base === stage.name) throw new PipelineGraphError(`Stage "${stage.name}" depends on itself`);
      if (!byName.has(base)) {
        throw new PipelineGraphError(
          `Stage "${stage.name}" runs after "${dep}", which is not in the pipeline (stages: ${[...byName.keys()].join(', ')})`,
        );
      }
      if (output !== undefined && !(byName.get(base)!.provides ?? []).includes(output)) {
        throw new PipelineGraphError(
          `Stage "${stage.name}" runs after "${dep}", but stage "${base}" provides no output "${output}" (provides: ${(byName.get(base)!.provides ?? []).join(', ') || 'none'})`,
        );
      }
      if (!dependents.get(base)!.includes(stage.name)) dependents.get(base)!.push(stage.name);
    }
    deps.set(stage.name, after);
  }

  // Depth-first search; a grey node met again closes a cycle, which we report in order.
  const state = new Map<string, 'visiting' | 'done'>();
  const order: string[] = [];
  const path: string[] = [];
  const visit = (name: string): void => {
    const s = state.get(name);
    if (s === 'done') return;
    if (s === 'visiting') {
      const cycle = [...path.slice(path.indexOf(name)), name];
      throw new PipelineGraphError(`Stage dependency cycle: ${cycle.join(' -> ')}`);
    }
    state.set(name, 'visiting');
    path.push(name);
    for (const dep of deps.get(name)!) visit(splitDependency(dep).stage);
    path.pop();
    state.set(name, 'done');
    order.push(name);
  };
  for (const name of byName.keys()) visit(name);
  return { order, stages: byName, deps, dependents };
}

/** Every stage that (transitively) depends on `name`. */
export function transitiveDependents(graph: StageGraph, name: string): string[] {
  const seen = new Set<string>();
  const stack = [...(graph.dependents.get(name) ?? [])];
  while (stack.length > 0) {
    const next = stack.pop()!;
    if (seen.has(next)) continue;
    seen.add(next);
    stack.push(...(graph.dependents.get(next) ?? []));
  }
  return graph.order.filter((n) => seen.has(n));
}
