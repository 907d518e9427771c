// Scene boundaries per generated file (±2 frames): ours (normalize + scenes) beside PySceneDetect's four
// detectors (detect-adaptive, detect-content, detect-hash, detect-hist, default settings) on the same
// files and ground truth as local-stages.bench.ts. Optional: runs only when PYSCENEDETECT_PATH points at
// a PySceneDetect checkout (its `scenedetect` package is run from there, nothing is installed) and
// PYSCENEDETECT_PYTHON (default /usr/bin/python3) can import cv2, numpy and click; otherwise the result
// says why it was not run. PySceneDetect's code is never copied into this repository.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scoreBoundaries } from '@videoqa/testing';
import { round, writeResult } from './lib.ts';
import { ourScenes, sceneMedia } from './scene-media.ts';

const checkout = process.env.PYSCENEDETECT_PATH ?? '';
const python = process.env.PYSCENEDETECT_PYTHON ?? '/usr/bin/python3';
const DETECTORS = {
  AdaptiveDetector: 'detect-adaptive',
  ContentDetector: 'detect-content',
  HashDetector: 'detect-hash',
  HistogramDetector: 'detect-hist',
} as const;

function whyNotRunnable(): string | null {
  if (!checkout) return 'PYSCENEDETECT_PATH is not set (point it at a PySceneDetect checkout)';
  if (!existsSync(join(checkout, 'scenedetect', '__init__.py')))
    return `${checkout} has no scenedetect/__init__.py (not a PySceneDetect checkout)`;
  if (!existsSync(python)) return `${python} does not exist (set PYSCENEDETECT_PYTHON)`;
  const probe = spawnSync(python, ['-c', 'import cv2, numpy, click; print(cv2.__version__)'], { encoding: 'utf8' });
  if (probe.status !== 0)
    return `${python} cannot import cv2, numpy and click: ${(probe.stderr || probe.error?.message || '').trim().split('\n').pop()}`;
  return null;
}

const env = () => ({ ...process.env, PYTHONPATH: checkout });

/** Frame indices (0-based) where PySceneDetect starts scenes after the first. */
function pyscenedetectCuts(video: string, command: string, outDir: string): { cuts: number[]; seconds: number } {
  const csv = `${command}.csv`;
  const start = performance.now();
  const run = spawnSync(
    python,
    ['-m', 'scenedetect', '-q', '-i', video, '-o', outDir, command, 'list-scenes', '-s', '-f', csv],
    { env: env(), encoding: 'utf8' },
  );
  const seconds = (performance.now() - start) / 1000;
  if (run.status !== 0) throw new Error(`scenedetect ${command} failed: ${run.stderr}`);
  const rows = readFileSync(join(outDir, csv), 'utf8').trim().split('\n').slice(1);
  // Column 2 is the scene's 1-based start frame.
  const starts = rows.map((r) => Number(r.split(',')[1]) - 1);
  return { cuts: starts.filter((f) => f > 0), seconds };
}

const score = (expected: number[], found: number[]) => {
  const s = scoreBoundaries(expected, found);
  return {
    found: found.length,
    precision: round(s.precision, 3),
    recall: round(s.recall, 3),
    f1: round(s.f1, 3),
  };
};

const reason = whyNotRunnable();
if (reason) {
  // The committed results stay: a machine without PySceneDetect has nothing to add to them.
  console.log(`not run: ${reason} (bench/results/pyscenedetect.json left as it was)`);
} else {
  const version = spawnSync(python, ['-c', 'import scenedetect; print(scenedetect.__version__)'], {
    env: env(),
    encoding: 'utf8',
  }).stdout.trim();
  const gitCommit = spawnSync('git', ['-C', checkout, 'rev-parse', 'HEAD'], { encoding: 'utf8' });
  const commit = gitCommit.status === 0 ? gitCommit.stdout.trim() : (process.env.PYSCENEDETECT_COMMIT ?? 'unknown');
  const opencv = spawnSync(python, ['-c', 'import cv2; print(cv2.__version__)'], { encoding: 'utf8' }).stdout.trim();

  const perFile: Record<string, unknown> = {};
  for (const m of await sceneMedia()) {
    const ours = (await ourScenes(m.path)).cuts;
    const row: Record<string, unknown> = { expected: m.cuts, ours: { ...score(m.cuts, ours), cuts: ours } };
    const outDir = mkdtempSync(join(tmpdir(), 'vq-psd-'));
    for (const [detector, command] of Object.entries(DETECTORS)) {
      const r = pyscenedetectCuts(m.path, command, outDir);
      row[detector] = { ...score(m.cuts, r.cuts), cuts: r.cuts, seconds: round(r.seconds, 2) };
    }
    rmSync(outDir, { recursive: true, force: true });
    perFile[m.name] = row;
    console.log(m.name, JSON.stringify(row));
  }
  writeResult('pyscenedetect', {
    pyscenedetect: { version, commit, opencv, python, settings: 'defaults of each detect-* command' },
    tolerance: '±2 frames',
    perFile,
  });
}
