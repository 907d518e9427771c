// Ask a question about what has been processed, with the answer streamed and the moments cited.
//   node examples/ask.ts "how long does the soup simmer?" [--video <id>] [--data-dir ./data]
// Uses DATABASE_URL (or the embedded database under DATA_DIR) and OPENAI_API_KEY, like the CLI.
import { loadConfig } from '@videoqa/core';
import { chatFromConfig, embeddingsFromConfig } from '@videoqa/stages';
import { ask, openDatabase } from '@videoqa/storage-pg';

const [question, ...rest] = process.argv.slice(2);
const flag = (name: string) => (rest.indexOf(name) >= 0 ? rest[rest.indexOf(name) + 1] : undefined);
if (!question) {
  console.error('usage: node examples/ask.ts "<question>" [--video <id>] [--data-dir <dir>]');
  process.exit(2);
}
const config = loadConfig({ overrides: flag('--data-dir') ? { dataDir: flag('--data-dir') } : {} });
const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
try {
  // Without an API key there is no chat provider: ask() returns the passages and skipped: 'no_chat_provider'.
  const result = await ask(db, question, {
    videoId: flag('--video'),
    chat: chatFromConfig(config).provider,
    embeddings: embeddingsFromConfig(config).provider,
    tokenBudget: config.askTokenBudget,
    onToken: (text) => process.stdout.write(text),
  });
  process.stdout.write('\n');
  for (const c of result.citations)
    console.log(`${c.tStart.toFixed(1)}-${c.tEnd.toFixed(1)}s ${c.videoId} "${c.quote}"`);
  console.log(
    JSON.stringify({
      found: result.found,
      citations: result.citations,
      dropped: result.dropped.length,
      passages: result.passages.map((p) => p.id),
      usage: result.usage,
    }),
  );
} finally {
  await db.close();
}
