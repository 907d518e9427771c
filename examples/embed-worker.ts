// Run the videoqa worker inside an existing Node app (here: a small HTTP app of
// yours), sharing its lifecycle: start with the app, stop gracefully with it.
//   DATABASE_URL=postgres://... node examples/embed-worker.ts [--port 3000]
import { createServer } from 'node:http';
import { loadConfig, configSecrets } from '@videoqa/core';
import { createLogger, PostgresJobSource, Worker } from '@videoqa/runner';
import { enqueueJob, openDatabase, PgStore, queueStats } from '@videoqa/storage-pg';

const config = loadConfig();
const log = createLogger({ level: config.logLevel, secrets: configSecrets(config) });
const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
const worker = new Worker({ source: new PostgresJobSource(db, config), store: new PgStore(db), config, log });
await worker.start();

// Your app: it can enqueue work and report on the queue.
const app = createServer(async (req, res) => {
  const url = new URL(req.url ?? '/', 'http://app');
  if (req.method === 'POST' && url.pathname === '/videos') {
    const videoId = url.searchParams.get('id') ?? `v${Date.now()}`;
    const job = await enqueueJob(db, { videoId, originalPath: url.searchParams.get('path') ?? undefined });
    res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ job: job.id, video: videoId }));
    return;
  }
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(await queueStats(db)));
});
const port = Number(process.argv[process.argv.indexOf('--port') + 1]) || 3000;
app.listen(port, '127.0.0.1', () => log.info({ port }, `app listening on http://127.0.0.1:${port}`));

// One shutdown for both: stop taking requests, let the worker finish or release its jobs.
const shutdown = async () => {
  app.close();
  await worker.stop();
  await db.close();
  process.exit(0);
};
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);
