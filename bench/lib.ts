import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, release, platform, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const benchDir = dirname(fileURLToPath(import.meta.url));

export function machine(): Record<string, unknown> {
  const cpu = cpus();
  let ffmpeg = 'not found';
  try {
    ffmpeg = execFileSync('ffmpeg', ['-version'], { encoding: 'utf8' }).split('\n')[0] ?? ffmpeg;
  } catch {
    /* reported as not found */
  }
  return {
    cpus: cpu.length,
    cpuModel: cpu[0]?.model,
    memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    os: `${platform()} ${release()}`,
    ffmpeg,
  };
}

/** Writes bench/results/{name}.json with the machine described and prints it. */
export function writeResult(name: string, results: unknown): string {
  const file = join(benchDir, 'results', `${name}.json`);
  mkdirSync(dirname(file), { recursive: true });
  const doc = { benchmark: name, date: new Date().toISOString(), machine: machine(), results };
  writeFileSync(file, `${JSON.stringify(doc, null, 2)}\n`);
  console.log(JSON.stringify(doc.results, null, 2));
  console.log(`wrote ${file}`);
  return file;
}

export const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

function rssKiB(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(d));
    } catch {
      /* process ended */
    }
  }
  return out;
}

/** Resident memory of a process and all its descendants, in KiB. */
function treeRssKiB(pid: number): number {
  let total = rssKiB(pid);
  for (const c of childrenOf(pid)) total += treeRssKiB(c);
  return total;
}

export interface Measured {
  seconds: number;
  /** Highest total RSS of the process tree seen (sampled every 50 ms), MiB. */
  peakRssMiB: number;
  stdout: string;
  code: number | null;
  /** User + system CPU seconds of the process and every descendant it waited for (GNU time), or NaN without /usr/bin/time. */
  cpuSeconds: number;
}

/** GNU time reports the CPU of the whole tree (ffmpeg children included), which Node cannot. */
const GNU_TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : null;

/** Runs a command, timing it and sampling the memory of its whole process tree. */
export function measure(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Measured> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const timeDir = GNU_TIME ? mkdtempSync(join(tmpdir(), 'vq-time-')) : null;
    const timeFile = timeDir ? join(timeDir, 'cpu') : '';
    const child = GNU_TIME
      ? spawn(GNU_TIME, ['-q', '-f', '%U %S', '-o', timeFile, cmd, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    let peak = 0;
    const timer = setInterval(() => {
      if (child.pid) peak = Math.max(peak, treeRssKiB(child.pid));
    }, 50);
    child.once('error', reject);
    child.once('close', (code) => {
      clearInterval(timer);
      const seconds = round((performance.now() - t0) / 1000, 2);
      let cpuSeconds = Number.NaN;
      if (timeDir) {
        const [user, sys] = readFileSync(timeFile, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
        cpuSeconds = round(user! + sys!, 2);
        rmSync(timeDir, { recursive: true, force: true });
      }
      if (code !== 0) return reject(new Error(`${cmd} ${args.join(' ')} failed (${code}): ${stderr.slice(-2000)}`));
      resolve({ seconds, peakRssMiB: round(peak / 1024, 0), stdout, code, cpuSeconds });
    });
  });
}

/** The middle value (the mean of the two middle ones for an even count). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
