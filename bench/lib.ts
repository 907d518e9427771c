import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, release, platform } from 'node:os';
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
