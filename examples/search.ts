// Search what has been processed (hybrid: vectors + full text), from your own code.
//   node examples/search.ts "red car on a highway" [--data-dir ./data]
// Uses DATABASE_URL, or the embedded database under DATA_DIR like the CLI.
import { loadConfig } from '@videoqa/core';
import { embeddingsFromConfig } from '@videoqa/stages';
import { openDatabase, searchContent } from '@videoqa/storage-pg';

const [query, ...rest] = process.argv.slice(2);
if (!query) {
  console.error('usage: node examples/search.ts "<query>" [--data-dir <dir>]');
  process.exit(2);
}
const dataDirArg = rest.indexOf('--data-dir') >= 0 ? rest[rest.indexOf('--data-dir') + 1] : undefined;
const config = loadConfig({ overrides: dataDirArg ? { dataDir: dataDirArg } : {} });
const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
try {
  // Without an API key the query is not embedded and the search is full-text only.
  const { provider } = embeddingsFromConfig(config);
  const hits = await searchContent(db, query, { limit: 5, embeddings: provider });
  for (const h of hits)
    console.log(`${h.score.toFixed(4)} ${h.kind} ${h.videoId} ${h.tStart.toFixed(1)}-${h.tEnd.toFixed(1)}s ${h.text}`);
  console.log(JSON.stringify(hits.map((h) => ({ id: h.id, kind: h.kind, videoId: h.videoId }))));
} finally {
  await db.close();
}
