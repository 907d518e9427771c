import { startApiServer } from './api-http.ts';
import { startDevServer } from './dev-http.ts';
import { createJobSource } from './job-sources.ts';
import { startRetentionTimer } from './lifecycle.ts';
import { openRuntime } from './runtime.ts';
import { Worker } from './worker.ts';
import { startWebhookDispatcher, type WebhookDispatcher } from './webhooks/webhook-dispatcher.ts';
import { EXIT, overridesFrom, type CommandIO } from './command-support.ts';

export async function workerCommand(opts: { dataDir?: string; concurrency?: string }, io: CommandIO): Promise<number> {
  const overrides: Record<string, unknown> = overridesFrom(opts);
  if (opts.concurrency) overrides.workerConcurrency = opts.concurrency;
  const rt = await openRuntime({ overrides, logFile: true });
  let source: Awaited<ReturnType<typeof createJobSource>> | undefined;
  let dev: Awaited<ReturnType<typeof startDevServer>> | undefined;
  let api: Awaited<ReturnType<typeof startApiServer>> | undefined;
  let webhooks: WebhookDispatcher | undefined;
  let worker: Worker;
  try {
    source = await createJobSource(rt);
    worker = new Worker({ source, store: rt.store, config: rt.config, log: rt.log });
    dev = rt.config.workerDevHttp
      ? await startDevServer({
          db: rt.db,
          metrics: worker.metrics,
          host: rt.config.workerHttpHost,
          port: rt.config.workerHttpPort,
          log: rt.log,
        })
      : undefined;
    api = rt.config.apiHttp
      ? await startApiServer({ db: rt.db, store: rt.store, config: rt.config, source, log: rt.log })
      : undefined;
    webhooks = await startWebhookDispatcher({ db: rt.db, config: rt.config, log: rt.log });
  } catch (err) {
    // A port in use (say): close what was opened, or the open pool keeps the process alive after the error line.
    await api?.close();
    await dev?.close();
    await source?.stop();
    await rt.close();
    throw err;
  }
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    signals++;
    if (signals === 1) {
      rt.log.info({ signal: sig }, `${sig}: finishing running jobs (send again to stop at once)`);
      void worker.stop();
    } else {
      rt.log.warn({ signal: sig }, `${sig} again: aborting running jobs and releasing them`);
      worker.abortAll();
    }
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  await worker.start();
  const stopRetention = startRetentionTimer({ db: rt.db, config: rt.config }, rt.config.gcIntervalMs, rt.log);
  await worker.finished();
  await stopRetention();
  process.off('SIGTERM', onSignal);
  process.off('SIGINT', onSignal);
  await webhooks?.stop();
  await dev?.close();
  await api?.close();
  await rt.close();
  void io;
  return EXIT.ok;
}

/** `videoqa api`: the transcription service HTTP API alone (workers run elsewhere). */
export async function apiCommand(
  opts: { dataDir?: string; port?: string; host?: string },
  io: CommandIO,
): Promise<number> {
  const overrides: Record<string, unknown> = { ...overridesFrom(opts), apiHttp: true };
  if (opts.port) overrides.apiHttpPort = opts.port;
  if (opts.host) overrides.apiHttpHost = opts.host;
  const rt = await openRuntime({ overrides, logFile: true });
  const source = await createJobSource(rt);
  let api;
  let webhooks: WebhookDispatcher | undefined;
  try {
    api = await startApiServer({ db: rt.db, store: rt.store, config: rt.config, source, log: rt.log });
    webhooks = await startWebhookDispatcher({ db: rt.db, config: rt.config, log: rt.log });
  } catch (err) {
    await api?.close();
    await source.stop();
    await rt.close();
    throw err;
  }
  io.stderr.write(`transcription API listening on ${api.url}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', () => resolve());
    process.once('SIGINT', () => resolve());
  });
  await webhooks?.stop();
  await api.close();
  await source.stop();
  await rt.close();
  return EXIT.ok;
}
