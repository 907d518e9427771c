// Worker and API memory across consecutive jobs on PostgreSQL (the leak check of issue 17): a
// fresh database, `videoqa api` and `videoqa worker` (the built CLI) as two processes sharing
// one DATA_DIR, the fake OpenAI server at the e2e latencies. The same generated 30 s 1080p clip
// with speech is uploaded (POST /v1/uploads?kind=process, a new video each time) 10 times, one
// after another: each upload waits for the previous job to be done. After each job the
// worker's and the API's RSS (VmRSS) and peak (VmHWM) are read.
//
//   pnpm bench worker-rss
//   WORKER_RSS_JOBS=3 pnpm bench worker-rss      # a smoke run
import { execFileSync } from 'node:child_process';
import { createReadStream, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { createTestDatabase, FakeOpenAIServer } from '@videoqa/testing';
import { makeLongVideo } from './long-media.ts';
import { round, writeResult } from './lib.ts';
import { dataDirReport, procStatus, requestCounts, runMonitored } from './monitor.ts';

const cli = fileURLToPath(new URL('../packages/runner/dist/cli.js', import.meta.url));
const JOBS = Number(process.env.WORKER_RSS_JOBS ?? 10);
const CLIP_SECONDS = Number(process.env.WORKER_RSS_CLIP_SECONDS ?? 30);
const PG_SERVER_URL = process.env.PG_SERVER_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const NAME = process.env.WORKER_RSS_RESULT ?? 'worker-rss';
const PORT = 18_000 + (process.pid % 1000);
const LATENCY = { transcriptions: 3000, chat: 2000, embeddings: 400 };

const clip = await makeLongVideo(CLIP_SECONDS / 60);
const fake = await FakeOpenAIServer.start({ latencyMs: LATENCY });
const db = await createTestDatabase(PG_SERVER_URL);
const dataDir = mkdtempSync(join(tmpdir(), 'vq-bench-worker-rss-'));
const env: NodeJS.ProcessEnv = {
  ...process.env,
  DATA_DIR: dataDir,
  DATABASE_URL: db.url,
  OPENAI_API_KEY: fake.apiKey,
  OPENAI_BASE_URL: fake.url,
  LOG_LEVEL: 'info',
  LOG_FILE_FORMAT: 'json',
  API_HTTP_PORT: String(PORT),
  WORKER_CONCURRENCY: '1',
};
// A Node diagnostic report (no forced GC, nothing allocated in the worker beyond the report) on
// SIGUSR2 after each job: the JavaScript heap in use, and the worker threads (the OCR pool).
const REPORTS = process.env.WORKER_RSS_REPORTS !== '0';
const reportDir = mkdtempSync(join(tmpdir(), 'vq-bench-worker-rss-reports-'));
const workerEnv: NodeJS.ProcessEnv = REPORTS
  ? {
      ...env,
      NODE_OPTIONS:
        `${process.env.NODE_OPTIONS ?? ''} --report-on-signal --report-signal=SIGUSR2 --report-directory=${reportDir}`.trim(),
    }
  : env;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mib = (kib: number) => round(kib / 1024, 1);

/** Least-squares slope of ys against 1..n. */
function slope(ys: number[]): number {
  const n = ys.length;
  const mx = (n + 1) / 2;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  ys.forEach((y, i) => {
    num += (i + 1 - mx) * (y - my);
    den += (i + 1 - mx) ** 2;
  });
  return den ? num / den : 0;
}

/** Asks the worker for a diagnostic report and reads its heap figures. */
async function heapReport(pid: number): Promise<Record<string, unknown> | undefined> {
  const before = new Set(readdirSync(reportDir));
  process.kill(pid, 'SIGUSR2');
  for (let i = 0; i < 100; i++) {
    await sleep(200);
    const f = readdirSync(reportDir).find((n) => !before.has(n) && n.endsWith('.json'));
    if (!f) continue;
    try {
      const r = JSON.parse(readFileSync(join(reportDir, f), 'utf8'));
      rmSync(join(reportDir, f), { force: true });
      const heap = r.javascriptHeap;
      return {
        heapUsedMiB: mib(heap.usedMemory / 1024),
        heapTotalMiB: mib(heap.totalMemory / 1024),
        externalMiB: heap.externalMemory !== undefined ? mib(heap.externalMemory / 1024) : undefined,
        workerThreads: (r.workers ?? []).length,
        workerThreadsHeapUsedMiB: mib(
          (r.workers ?? []).reduce(
            (t: number, w: { javascriptHeap?: { usedMemory: number } }) => t + (w.javascriptHeap?.usedMemory ?? 0),
            0,
          ) / 1024,
        ),
        libuvHandles: (r.libuv ?? []).length,
      };
    } catch {
      /* still being written */
    }
  }
  return undefined;
}

const results: Record<string, unknown> = {
  note: 'shared 2-core machine: other sessions were building and testing at the same time',
  database: 'PostgreSQL 15, a fresh database (created and dropped by the benchmark)',
  clip: { path: clip.path, seconds: CLIP_SECONDS, spec: '1920x1080 30 fps H.264 + AAC speech, 1 cut' },
  latencyMs: LATENCY,
  // glibc's malloc arenas (default 8 × cores): set to compare allocator growth with a leak.
  MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX ?? 'unset (glibc default)',
  OCR_ENABLED: process.env.OCR_ENABLED ?? 'default (true)',
};
let stopAll = false;
try {
  execFileSync(process.execPath, [cli, 'migrate'], { env });
  const api = runMonitored([cli, 'api', '--port', String(PORT)], { env, dataDir, stopWhen: () => stopAll });
  const worker = runMonitored([cli, 'worker'], { env: workerEnv, dataDir, stopWhen: () => stopAll });
  const base = `http://127.0.0.1:${PORT}`;
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${base}/healthz`)).ok) break;
    } catch {
      /* not listening yet */
    }
    if (i > 300) throw new Error('the API did not start');
    await sleep(200);
  }
  await sleep(1000);
  const startRss = { worker: procStatus(worker.child.pid!), api: procStatus(api.child.pid!) };
  const jobs: Record<string, unknown>[] = [];
  const logFile = join(dataDir, 'worker', 'log.log');
  for (let j = 1; j <= JOBS; j++) {
    const t0 = performance.now();
    const res = await fetch(`${base}/v1/uploads?filename=clip-${j}.mp4&kind=process`, {
      method: 'POST',
      body: Readable.toWeb(createReadStream(clip.path)) as ReadableStream,
      headers: { 'content-length': String(statSync(clip.path).size) },
      duplex: 'half',
    } as RequestInit);
    if (res.status !== 201) throw new Error(`upload ${j}: ${res.status} ${await res.text()}`);
    const job = (await res.json()) as { job_id: string; video_id: string };
    let status = '';
    let error: unknown = null;
    for (;;) {
      await sleep(500);
      const s = (await (await fetch(`${base}/v1/jobs/${job.job_id}`)).json()) as { status: string; error: unknown };
      status = s.status;
      error = s.error;
      if (status === 'done' || status === 'failed') break;
    }
    const seconds = round((performance.now() - t0) / 1000, 1);
    const ready = existsSync(logFile)
      ? readFileSync(logFile, 'utf8')
          .split('\n')
          .find((l) => l.includes(job.job_id) && /"(READY|FAILED): job/.test(l))
      : undefined;
    const stages = ready ? (JSON.parse(ready).stages as Record<string, number | string>) : undefined;
    // Right after the job, then after 3 s of idling (what a worker holds between jobs).
    const w0 = procStatus(worker.child.pid!);
    await sleep(3000);
    const w = procStatus(worker.child.pid!);
    const a = procStatus(api.child.pid!);
    const report = REPORTS ? await heapReport(worker.child.pid!) : undefined;
    const row = {
      job: j,
      status,
      error,
      seconds,
      stagesSeconds: stages
        ? Object.fromEntries(
            Object.entries(stages).map(([k, v]) => [k, typeof v === 'number' ? round(v / 1000, 2) : v]),
          )
        : undefined,
      workerRssAtDoneMiB: mib(w0.rssKiB),
      workerRssMiB: mib(w.rssKiB),
      workerPeakSoFarMiB: mib(w.hwmKiB),
      ...(report ?? {}),
      apiRssMiB: mib(a.rssKiB),
      apiPeakSoFarMiB: mib(a.hwmKiB),
    };
    jobs.push(row);
    console.log(JSON.stringify(row));
    if (status !== 'done') break;
  }
  stopAll = true;
  const [w, a] = await Promise.all([worker, api]);
  const series = jobs.map((r) => r.workerRssMiB as number);
  const last5 = series.slice(-5);
  const apiSeries = jobs.map((r) => r.apiRssMiB as number);
  results.startRssMiB = { worker: mib(startRss.worker.rssKiB), api: mib(startRss.api.rssKiB) };
  results.jobs = jobs;
  results.worker = {
    rssAfterEachJobMiB: series,
    peakMiB: w.nodePeakMiB,
    childrenPeakMiB: w.childrenPeakMiB,
    slopeMiBPerJob: round(slope(series), 2),
    slopeLast5MiBPerJob: round(slope(last5), 2),
    last5SpreadPercent: round(((Math.max(...last5) - Math.min(...last5)) / Math.min(...last5)) * 100, 1),
    exit: { code: w.code, signal: w.signal },
    timeline: w.timeline,
  };
  if (REPORTS) {
    const heap = jobs.map((r) => r.heapUsedMiB as number);
    results.workerHeap = { heapUsedAfterEachJobMiB: heap, slopeMiBPerJob: round(slope(heap), 2) };
  }
  results.api = {
    rssAfterEachJobMiB: apiSeries,
    peakMiB: a.nodePeakMiB,
    slopeMiBPerJob: round(slope(apiSeries), 2),
    exit: { code: a.code, signal: a.signal },
  };
  results.requests = requestCounts(fake.requests);
  results.dataDirAfter = dataDirReport(dataDir, 'db');
  if (w.code !== 0) console.error(w.stderr.slice(-3000));
} finally {
  stopAll = true;
  await sleep(500);
  await fake.close();
  await db.drop().catch((e) => console.error('could not drop', db.name, e));
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(reportDir, { recursive: true, force: true });
}
writeResult(NAME, results);
