#!/usr/bin/env node
// Runs the fake OpenAI-compatible server on its own, for trying videoqa without an API key:
//   node packages/testing/dist/serve-fake-openai.js [--port 8787] [--latency chat=800,transcriptions=2000] [--ask-mode grounded|not_found|invalid_citations|obey_injection]
//     [--script sentences.txt]   (one line per speech region: what the fake transcription says)
//     [--local [--embedding-dimensions 768]]   (behave like a local server: no auth, no json_schema, no verbose_json, no base64, 768-dim embeddings)
import { readFileSync } from 'node:fs';
import { FakeOpenAIServer, type AskMode, type FakeRoute } from './fake-openai.ts';

const args = process.argv.slice(2);
const USAGE = `usage: node packages/testing/dist/serve-fake-openai.js [options]
  --port <n>                    listen on this port (default: a free one)
  --key <key>                   the API key it accepts (default sk-fake-local)
  --latency route=ms,...        added latency per route (chat, transcriptions, embeddings, models)
  --ask-mode <mode>             grounded | not_found | invalid_citations | obey_injection
  --script <file>               one line per speech region: what the fake transcription says
  --local                       behave like a local server: no auth, no json_schema, no verbose_json, no base64
  --embedding-dimensions <n>    with --local: the embedding size (default 768)
It prints the OPENAI_BASE_URL and OPENAI_API_KEY to use, and runs until SIGINT/SIGTERM.`;
if (args.includes('--help') || args.includes('-h')) {
  console.log(USAGE);
  process.exit(0);
}
const arg = (name: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const latencyMs: Partial<Record<FakeRoute, number>> = {};
for (const pair of (arg('latency') ?? '').split(',').filter(Boolean)) {
  const [route, ms] = pair.split('=');
  latencyMs[route as FakeRoute] = Number(ms);
}
const server = await FakeOpenAIServer.start({
  apiKey: arg('key') ?? 'sk-fake-local',
  latencyMs,
  transcriptScript: arg('script')
    ? readFileSync(arg('script')!, 'utf8')
        .split('\n')
        .filter((l) => l.trim())
    : undefined,
  askMode: arg('ask-mode') as AskMode | undefined,
  port: arg('port') ? Number(arg('port')) : undefined,
  local: args.includes('--local')
    ? { embeddingDimensions: arg('embedding-dimensions') ? Number(arg('embedding-dimensions')) : undefined }
    : undefined,
});
process.stdout.write(`OPENAI_BASE_URL=${server.url}\nOPENAI_API_KEY=${server.apiKey}\n`);
const stop = () => void server.close().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
