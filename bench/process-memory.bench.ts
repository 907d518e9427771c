// Peak resident memory of `videoqa process` on the embedded database (PGlite) on a generated
// 1-minute 1080p30 video, and of its parts: `videoqa migrate` on a new DATA_DIR (PGlite created)
// and again (reopened), so the database's share is visible. Each is run twice in the same run:
// as the CLI runs by default (WebAssembly compiled by V8's baseline compiler only, see
// packages/runner/src/wasm-tier.ts) and with WASM_OPTIMIZE=true (V8's optimizing tier too, as
// before): the ratio between them is the saving. `process` runs without a key (local stages) and
// with the fake OpenAI server (every stage). The Node process's own peak is the kernel's VmHWM
// (read while it runs, so exact, not sampled); the tree figure adds its ffmpeg children (sampled
// every 50 ms).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FakeOpenAIServer, makeVideo, type Shot, type ShotSource } from '@videoqa/testing';
import { median, round, writeResult } from './lib.ts';

const cli = fileURLToPath(new URL('../packages/runner/dist/cli.js', import.meta.url));
const REPS = Number(process.env.PROCESS_MEMORY_REPS ?? 2);
const SOURCES: ShotSource[] = ['testsrc2', 'smptebars', 'rgbtestsrc', 'gradients', 'pan', 'spin', 'blue', 'checker'];

function status(pid: number): { hwmKiB: number; rssKiB: number } {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    return { hwmKiB: Number(/VmHWM:\s+(\d+)/.exec(s)?.[1] ?? 0), rssKiB: Number(/VmRSS:\s+(\d+)/.exec(s)?.[1] ?? 0) };
  } catch {
    return { hwmKiB: 0, rssKiB: 0 };
  }
}

function childrenRssKiB(pid: number): number {
  let total = 0;
  try {
    for (const t of readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean)) {
      total += status(Number(t)).rssKiB + childrenRssKiB(Number(t));
    }
  } catch {
    /* ended */
  }
  return total;
}

interface Peak {
  nodePeakMiB: number;
  treePeakMiB: number;
  seconds: number;
}

/** Runs the CLI and follows its own peak RSS (VmHWM) and the tree's sampled total. */
function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<Peak> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [cli, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.resume();
    let hwm = 0;
    let tree = 0;
    const timer = setInterval(() => {
      const s = status(child.pid!);
      hwm = Math.max(hwm, s.hwmKiB);
      tree = Math.max(tree, s.rssKiB + childrenRssKiB(child.pid!));
    }, 50);
    child.once('close', (code) => {
      clearInterval(timer);
      // 3: done, with the AI stages skipped for want of a key (docs/cli.md): what this measures.
      if (code !== 0 && code !== 3)
        return reject(new Error(`videoqa ${args.join(' ')} failed (${code}): ${stderr.slice(-1500)}`));
      resolve({
        nodePeakMiB: round(hwm / 1024, 0),
        treePeakMiB: round(tree / 1024, 0),
        seconds: round((performance.now() - t0) / 1000, 2),
      });
    });
  });
}

const shots: Shot[] = Array.from({ length: 10 }, (_, i) => ({ source: SOURCES[i % SOURCES.length]!, seconds: 6 }));
console.log('generating a 1-minute 1080p30 video...');
// The local-stages benchmark's 1-minute video (the same spec, so the same cached file).
const video = await makeVideo({ shots, width: 1920, height: 1080, fps: 30, audio: { kind: 'tone' } });
const fake = await FakeOpenAIServer.start({});
type Mode = 'baseline' | 'optimizing';
const env = (dataDir: string, mode: Mode, withKey = false): NodeJS.ProcessEnv => ({
  ...process.env,
  DATA_DIR: dataDir,
  DATABASE_URL: '',
  OPENAI_API_KEY: withKey ? fake.apiKey : '',
  OPENAI_BASE_URL: withKey ? fake.url : '',
  WASM_OPTIMIZE: mode === 'optimizing' ? 'true' : 'false',
  LOG_LEVEL: 'warn',
});

type Step = 'migrateCreate' | 'migrateReopen' | 'processLocalStages' | 'processAllStages';
const runs: Record<Mode, Record<Step, Peak[]>> = {
  baseline: { migrateCreate: [], migrateReopen: [], processLocalStages: [], processAllStages: [] },
  optimizing: { migrateCreate: [], migrateReopen: [], processLocalStages: [], processAllStages: [] },
};
for (let r = 0; r < REPS; r++) {
  // Modes alternate within a repetition so both see the same machine load.
  for (const mode of ['baseline', 'optimizing'] as const) {
    const dataDir = mkdtempSync(join(tmpdir(), 'vq-bench-mem-'));
    runs[mode].migrateCreate.push(await runCli(['migrate'], env(dataDir, mode)));
    runs[mode].migrateReopen.push(await runCli(['migrate'], env(dataDir, mode)));
    const fresh = mkdtempSync(join(tmpdir(), 'vq-bench-mem-'));
    runs[mode].processLocalStages.push(await runCli(['process', video.path, '--json'], env(fresh, mode)));
    const keyed = mkdtempSync(join(tmpdir(), 'vq-bench-mem-'));
    runs[mode].processAllStages.push(await runCli(['process', video.path, '--json'], env(keyed, mode, true)));
    console.log(r, mode, JSON.stringify(Object.fromEntries(Object.entries(runs[mode]).map(([k, v]) => [k, v.at(-1)]))));
    for (const d of [dataDir, fresh, keyed]) rmSync(d, { recursive: true, force: true });
  }
}
await fake.close();
const med = (ps: Peak[]) => ({
  nodePeakMiB: median(ps.map((p) => p.nodePeakMiB)),
  treePeakMiB: median(ps.map((p) => p.treePeakMiB)),
  seconds: median(ps.map((p) => p.seconds)),
  allRuns: ps,
});
const summary = (mode: Mode) => Object.fromEntries(Object.entries(runs[mode]).map(([k, v]) => [k, med(v)]));
const ratios = Object.fromEntries(
  (Object.keys(runs.baseline) as Step[]).map((k) => {
    const b = med(runs.baseline[k]);
    const o = med(runs.optimizing[k]);
    return [k, { nodePeak: round(b.nodePeakMiB / o.nodePeakMiB, 3), seconds: round(b.seconds / o.seconds, 3) }];
  }),
);
writeResult('process-memory', {
  video: '1 min 1920x1080 30 fps, tone audio, 10 shots',
  database: 'PGlite (DATABASE_URL unset); local stages without OPENAI_API_KEY, all stages with the fake OpenAI server',
  repetitions: REPS,
  baselineWasm: summary('baseline'),
  optimizingWasm: summary('optimizing'),
  baselineOverOptimizing: ratios,
});
