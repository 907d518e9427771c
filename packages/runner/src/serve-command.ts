import { startApiServer, type ApiServer } from './api-http.ts';
import { EXIT, overridesFrom, type CommandIO } from './commands.ts';
import { createJobSource } from './job-sources.ts';
import { openRuntime } from './runtime.ts';
import { Worker } from './worker.ts';

export interface ServeOptions {
  dataDir?: string;
  port?: string;
  host?: string;
  /** false with --no-worker: only the API and the viewer (workers run elsewhere). */
  worker?: boolean;
}

/**
 * `videoqa serve`: the web viewer, the read and job API, and (unless --no-worker) a worker
 * in the same process, until SIGTERM/SIGINT. The worker is in by default because without
 * DATABASE_URL the embedded database belongs to one process: a viewer upload could not be
 * processed by a worker started beside it. With PostgreSQL, `--no-worker` leaves the jobs to
 * `videoqa worker` processes, whose progress the viewer still sees (events come from the database).
 */
export async function serveCommand(opts: ServeOptions, io: CommandIO): Promise<number> {
  const overrides: Record<string, unknown> = { ...overridesFrom(opts), apiHttp: true };
  if (opts.port) overrides.apiHttpPort = opts.port;
  if (opts.host) overrides.apiHttpHost = opts.host;
  const rt = await openRuntime({ overrides, logFile: true });
  let source: Awaited<ReturnType<typeof createJobSource>> | undefined;
  let api: ApiServer | undefined;
  let worker: Worker | undefined;
  try {
    source = await createJobSource(rt);
    worker =
      opts.worker === false ? undefined : new Worker({ source, store: rt.store, config: rt.config, log: rt.log });
    api = await startApiServer({ db: rt.db, store: rt.store, config: rt.config, source, log: rt.log, viewer: true });
    await worker?.start();
  } catch (err) {
    // A port in use (say): close what was opened, or the open pool keeps the process alive after the error line.
    await api?.close();
    await source?.stop();
    await rt.close();
    throw err;
  }
  io.stderr.write(
    `videoqa viewer on ${api.url}/ (API at ${api.url}/v1/, ${worker ? `worker in this process, ${rt.config.workerConcurrency} job(s) at once` : 'no worker in this process'})\n`,
  );
  let signals = 0;
  let stopped!: () => void;
  const stopping = new Promise<void>((resolve) => (stopped = resolve));
  // The first signal finishes running jobs (up to WORKER_SHUTDOWN_TIMEOUT_MS); a second aborts and releases them.
  const onSignal = (sig: NodeJS.Signals) => {
    if (++signals === 1) {
      rt.log.info(
        { signal: sig },
        `${sig}: stopping the server and finishing running jobs (send again to stop at once)`,
      );
      stopped();
    } else worker?.abortAll();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  await stopping;
  // The API goes first so no upload arrives for a worker that is leaving; the worker then finishes or releases its jobs.
  await api.close();
  if (worker) await worker.stop();
  else await source.stop();
  process.off('SIGTERM', onSignal);
  process.off('SIGINT', onSignal);
  await rt.close();
  return EXIT.ok;
}
