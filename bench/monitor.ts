// Following a running videoqa process from outside: its own peak RSS (the kernel's VmHWM), the
// sampled RSS of its children (ffmpeg, the OCR workers' threads are inside Node), and the bytes
// under DATA_DIR over time; afterwards what is left there.
import { type ChildProcess, spawn } from 'node:child_process';
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { round } from './lib.ts';

export function procStatus(pid: number): { hwmKiB: number; rssKiB: number } {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    return { hwmKiB: Number(/VmHWM:\s+(\d+)/.exec(s)?.[1] ?? 0), rssKiB: Number(/VmRSS:\s+(\d+)/.exec(s)?.[1] ?? 0) };
  } catch {
    return { hwmKiB: 0, rssKiB: 0 };
  }
}

function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** RSS of every descendant of pid (not pid itself), KiB. */
export function descendantsRssKiB(pid: number): number {
  let total = 0;
  for (const c of childPids(pid)) total += procStatus(c).rssKiB + descendantsRssKiB(c);
  return total;
}

/** Total bytes of the regular files under dir (lstat, symlinks not followed); files vanishing meanwhile are skipped. */
export function dirBytes(dir: string): number {
  let total = 0;
  let entries: import('node:fs').Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) total += dirBytes(p);
    else {
      try {
        total += lstatSync(p).size;
      } catch {
        /* removed meanwhile */
      }
    }
  }
  return total;
}

export function listFiles(dir: string, base = dir): { path: string; bytes: number }[] {
  const out: { path: string; bytes: number }[] = [];
  let entries: import('node:fs').Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...listFiles(p, base));
    else {
      try {
        out.push({ path: relative(base, p), bytes: lstatSync(p).size });
      } catch {
        /* removed meanwhile */
      }
    }
  }
  return out;
}

const TEMP_NAME = /(\.tmp\b|\.tmp\.|\.part$|\.partial|partial|\.download|~$|^\.|tmp-|-tmp|\.lock$)/i;

/** What is under DATA_DIR after a run: bytes per top-level entry, file counts, and anything that looks temporary. */
export function dataDirReport(dataDir: string, databaseDir = 'pglite'): Record<string, unknown> {
  const files = listFiles(dataDir);
  const byTop: Record<string, { files: number; MiB: number }> = {};
  for (const f of files) {
    const parts = f.path.split('/');
    // uploads/, videos/<id>/<sub>/ ...: group by the first two levels below videos, else the first.
    const key =
      parts[0] === 'videos' && parts.length > 3 ? `videos/*/${parts[2]}` : parts.length > 1 ? parts[0]! : f.path;
    byTop[key] ??= { files: 0, MiB: 0 };
    byTop[key]!.files++;
    byTop[key]!.MiB += f.bytes / 1024 ** 2;
  }
  for (const v of Object.values(byTop)) v.MiB = round(v.MiB, 1);
  // The database directory's own files (PostgreSQL's pg_* and postmaster files) are not the pipeline's temporaries.
  const suspicious = files
    .filter((f) => !f.path.startsWith(`${databaseDir}/`))
    .filter((f) => TEMP_NAME.test(f.path.split('/').pop()!) || /\/tmp\//.test(`/${f.path}`))
    .map((f) => `${f.path} (${f.bytes} B)`);
  return {
    totalMiB: round(files.reduce((a, f) => a + f.bytes, 0) / 1024 ** 2, 1),
    files: files.length,
    byEntry: byTop,
    tempLikeFilesLeft: suspicious,
  };
}

export interface Monitored {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  wallSeconds: number;
  /** The Node process's own peak resident memory (VmHWM, read every 200 ms while it ran), MiB. */
  nodePeakMiB: number;
  /** When (seconds after start) the Node peak was last raised, within 200 ms. */
  nodePeakReachedAtSec: number;
  /** Stage progress lines on stderr (`[videoqa] stage: started|done...`), timed like nodePeakReachedAtSec. */
  progress: { t: number; stage: string; event: string }[];
  /** Highest sampled RSS of its descendants together (ffmpeg...), MiB. */
  childrenPeakMiB: number;
  /** Highest sampled RSS of Node + descendants at one moment, MiB. */
  treePeakMiB: number;
  /** Highest bytes under DATA_DIR (sampled every 2 s), MiB. */
  diskPeakMiB: number;
  /** Node's RSS and DATA_DIR size over time, one sample per `timelineEverySec`. */
  timeline: { t: number; nodeRssMiB: number; childrenRssMiB: number; diskMiB: number }[];
}

export interface MonitorOptions {
  env: NodeJS.ProcessEnv;
  dataDir: string;
  timelineEverySec?: number;
  /** Called every 200 ms with the child; resolve true to stop it (SIGTERM) — for workers. */
  stopWhen?: () => boolean;
  /** Called after each sample with the latest RSS, for callers that follow RSS themselves. */
  onSample?: (s: { nodeRssKiB: number; nodeHwmKiB: number }) => void;
}

/** Runs `node <args>` and follows it until it exits. */
export function runMonitored(args: string[], options: MonitorOptions): Promise<Monitored> & { child: ChildProcess } {
  const child = spawn(process.execPath, args, { env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
  const promise = new Promise<Monitored>((resolve, reject) => {
    const t0 = performance.now();
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => {
      const t = round((performance.now() - t0) / 1000, 1);
      for (const line of String(d).split('\n')) {
        const m = /^\[videoqa\] ([\w-]+): (started|done|skipped|failed)/.exec(line);
        if (m && progress.length < 200) progress.push({ t, stage: m[1]!, event: m[2]! });
      }
      stderr += d;
      if (stderr.length > 4_000_000) stderr = stderr.slice(-2_000_000);
    });
    const progress: Monitored['progress'] = [];
    let hwm = 0;
    let hwmAt = 0;
    let childrenPeak = 0;
    let treePeak = 0;
    let diskPeak = 0;
    let lastDisk = 0;
    let ticks = 0;
    let stopping = false;
    const every = options.timelineEverySec ?? 30;
    const timeline: Monitored['timeline'] = [];
    let nextTimeline = 0;
    const timer = setInterval(() => {
      ticks++;
      const pid = child.pid!;
      const s = procStatus(pid);
      if (s.rssKiB === 0) return;
      if (s.hwmKiB > hwm) {
        hwm = s.hwmKiB;
        hwmAt = (performance.now() - t0) / 1000;
      }
      const kids = descendantsRssKiB(pid);
      childrenPeak = Math.max(childrenPeak, kids);
      treePeak = Math.max(treePeak, s.rssKiB + kids);
      if (ticks % 10 === 0) {
        lastDisk = dirBytes(options.dataDir);
        diskPeak = Math.max(diskPeak, lastDisk);
      }
      const t = (performance.now() - t0) / 1000;
      if (t >= nextTimeline) {
        timeline.push({
          t: round(t, 0),
          nodeRssMiB: round(s.rssKiB / 1024, 0),
          childrenRssMiB: round(kids / 1024, 0),
          diskMiB: round(lastDisk / 1024 ** 2, 0),
        });
        nextTimeline += every;
      }
      options.onSample?.({ nodeRssKiB: s.rssKiB, nodeHwmKiB: s.hwmKiB });
      if (!stopping && options.stopWhen?.()) {
        stopping = true;
        child.kill('SIGTERM');
      }
    }, 200);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearInterval(timer);
      diskPeak = Math.max(diskPeak, dirBytes(options.dataDir));
      resolve({
        code,
        signal,
        stdout,
        stderr,
        wallSeconds: round((performance.now() - t0) / 1000, 2),
        nodePeakMiB: round(hwm / 1024, 0),
        nodePeakReachedAtSec: round(hwmAt, 1),
        progress,
        childrenPeakMiB: round(childrenPeak / 1024, 0),
        treePeakMiB: round(treePeak / 1024, 0),
        diskPeakMiB: round(diskPeak / 1024 ** 2, 1),
        timeline,
      });
    });
  });
  return Object.assign(promise, { child });
}

/** Requests the fake server received, per route, with the bytes uploaded for transcription. */
export function requestCounts(
  requests: readonly { route: string; status: number; fileBytes?: number; imageCount?: number; inputs?: string[] }[],
): Record<string, unknown> {
  const per: Record<string, number> = {};
  const failed: Record<string, number> = {};
  for (const r of requests) {
    per[r.route] = (per[r.route] ?? 0) + 1;
    if (r.status >= 400) failed[r.route] = (failed[r.route] ?? 0) + 1;
  }
  const tx = requests.filter((r) => r.route === 'transcriptions');
  return {
    perRoute: per,
    failed,
    transcriptionUploadMiB: tx.map((r) => round((r.fileBytes ?? 0) / 1024 ** 2, 2)),
    imagesSent: requests.reduce((a, r) => a + (r.imageCount ?? 0), 0),
    textsEmbedded: requests.filter((r) => r.route === 'embeddings').reduce((a, r) => a + (r.inputs?.length ?? 0), 0),
  };
}
