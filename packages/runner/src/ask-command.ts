import {
  ConfigError,
  validateQuestion,
  VideoqaError,
  type Config,
  type Passage,
  type ProviderFallback,
  type ReportsFallbacks,
} from '@videoqa/core';
import { chatFromConfig, embeddingsFromConfig } from '@videoqa/stages';
import { ask, type AskOptions, type AskResult, type Queryable } from '@videoqa/storage-pg';
import { EXIT, exitCodeFor, overridesFrom, withRuntime, type CommandIO } from './commands.ts';

export interface AskCommandOptions {
  video?: string;
  json?: boolean;
  limit?: string;
  dataDir?: string;
}

/** `mm:ss`; ends are rounded up so the range printed always covers the moment. */
export function clockRange(tStart: number, tEnd: number): string {
  const mmss = (s: number) =>
    `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(Math.floor(s % 60)).padStart(2, '0')}`;
  return `${mmss(Math.floor(tStart))}–${mmss(Math.ceil(tEnd))}`;
}

const passageView = (p: Passage) => ({
  id: p.id,
  video_id: p.videoId,
  kind: p.kind,
  t_start: p.tStart,
  t_end: p.tEnd,
  text: p.text,
  scene_caption: p.sceneCaption ?? null,
  score: p.score,
});

/** The JSON shape of an answer, shared by `ask --json` and POST /v1/ask. */
export function askResultView(r: AskResult) {
  return {
    question: r.question,
    answer: r.skipped === 'no_chat_provider' ? null : r.answer,
    found: r.found,
    citations: r.citations.map((c) => ({
      passage_id: c.passageId,
      video_id: c.videoId,
      t_start: c.tStart,
      t_end: c.tEnd,
      quote: c.quote,
    })),
    dropped_citations: r.dropped.map((d) => ({ passage_id: d.citation.passage_id, problem: d.problem })),
    passages: r.passages.map(passageView),
    usage: r.usage,
    model: r.model,
    ...(r.skipped ? { skipped: r.skipped } : {}),
    ...(r.guarded ? { guarded: r.guarded } : {}),
  };
}

/**
 * What the chat and embeddings servers of a configuration lacked (json_schema, base64...) and
 * what was used instead, for `ask --json` and POST /v1/ask to report beside the answer. The
 * providers are kept per configuration, so a long-running server reports what its servers lack
 * whichever request found it out.
 */
export function askFallbacks(config: Config): ProviderFallback[] {
  return [chatFromConfig(config).provider, embeddingsFromConfig(config).provider].flatMap((p) => [
    ...((p as Partial<ReportsFallbacks> | undefined)?.fallbacks ?? []),
  ]);
}

/** Parses a --limit / limit value: passages to send, 1-50. */
export function parseAskLimit(value: string | number | undefined, variable: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 50)
    throw new ConfigError([{ variable, message: `must be an integer from 1 to 50 (got ${JSON.stringify(value)})` }]);
  return n;
}

/** ask() with the providers and limits of a configuration; chat is absent without an API key. */
export function askWithConfig(
  db: Queryable,
  config: Config,
  question: string,
  options: Pick<AskOptions, 'videoId' | 'limit' | 'onToken' | 'signal'>,
): Promise<AskResult> {
  return ask(db, question, {
    ...options,
    limit: options.limit ?? config.askMaxPassages,
    tokenBudget: config.askTokenBudget,
    windowSec: config.askWindowSec,
    chat: chatFromConfig(config).provider,
    embeddings: embeddingsFromConfig(config).provider,
  });
}

/**
 * `videoqa ask "<question>"`: streams the answer, then one line per cited
 * moment. Without an API key the passages a model would have read are printed
 * and the exit code is 3 (partial), as `process` does when AI stages are skipped.
 */
export async function askCommand(question: string, opts: AskCommandOptions, io: CommandIO): Promise<number> {
  try {
    const limit = parseAskLimit(opts.limit, '--limit');
    // Refused before the database is even opened: nothing is retrieved or sent.
    validateQuestion(question);
    return await withRuntime(overridesFrom(opts), async (rt) => {
      const controller = new AbortController();
      const onSignal = () => controller.abort();
      process.once('SIGINT', onSignal);
      let streamed = false;
      const result = await askWithConfig(rt.db, rt.config, question, {
        videoId: opts.video,
        limit,
        signal: controller.signal,
        onToken: opts.json
          ? undefined
          : (text) => {
              streamed = true;
              io.stdout.write(text);
            },
      }).finally(() => process.off('SIGINT', onSignal));
      const fallbacks = askFallbacks(rt.config);
      if (opts.json)
        io.stdout.write(
          `${JSON.stringify({ ...askResultView(result), ...(fallbacks.length > 0 ? { fallbacks } : {}) }, null, 2)}\n`,
        );
      else {
        printAnswer(result, streamed, io);
        for (const f of fallbacks)
          io.stderr.write(`note: the ${f.capability} server refused ${f.from}; used ${f.to}\n`);
      }
      return result.skipped === 'no_chat_provider' ? EXIT.partial : EXIT.ok;
    });
  } catch (err) {
    // Refused questions and videos (exit 2 or 4 by their code) print here; anything else goes to the CLI's handler.
    const exit = exitCodeFor(err);
    if (!(err instanceof VideoqaError) || exit === EXIT.failed) throw err;
    io.stderr.write(`videoqa: ${err.code}: ${err.message}\n`);
    return exit;
  }
}

function printAnswer(r: AskResult, streamed: boolean, io: CommandIO): void {
  const out = (s: string) => io.stdout.write(`${s}\n`);
  const passageLine = (p: Passage) =>
    `${clockRange(p.tStart, p.tEnd)}  ${p.videoId}  ${p.kind === 'caption' ? '[frame] ' : ''}${p.text.length > 160 ? `${p.text.slice(0, 157)}...` : p.text}`;
  if (r.skipped === 'no_chat_provider') {
    io.stderr.write('note: OPENAI_API_KEY is not set, so no answer; these are the passages a model would have read:\n');
    if (r.passages.length === 0) out('no passages match the question');
    for (const p of r.passages) out(passageLine(p));
    return;
  }
  if (!streamed) io.stdout.write(r.answer);
  out('');
  if (r.citations.length > 0) {
    out('');
    for (const c of r.citations) out(`${clockRange(c.tStart, c.tEnd)}  ${c.videoId}  "${c.quote}"`);
  }
  if (!r.found && r.passages.length > 0) {
    out('');
    out('nearest passages:');
    for (const p of r.passages.slice(0, 3)) out(passageLine(p));
  }
  if (r.dropped.length > 0)
    io.stderr.write(
      `note: ${r.dropped.length} citation(s) from the model were dropped (${[...new Set(r.dropped.map((d) => d.problem))].join(', ')})\n`,
    );
  if (r.guarded) io.stderr.write('note: the reply repeated its instructions instead of answering and was withheld\n');
}
