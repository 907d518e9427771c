import { requestError } from '@videoqa/core';
import { embeddingsFromConfig } from '@videoqa/stages';
import { searchContent } from '@videoqa/storage-pg';
import { EXIT, overridesFrom, positiveIntOption, withRuntime, type CommandIO } from './command-support.ts';

export async function searchCommand(
  query: string,
  opts: { limit?: string; video?: string; json?: boolean; dataDir?: string },
  io: CommandIO,
): Promise<number> {
  const limit = positiveIntOption('--limit', opts.limit, 10);
  if (query.trim() === '')
    throw requestError('QUERY_EMPTY', 'The search query is empty', {
      fix: 'search for words said or shown, e.g. videoqa search "tomatoes"',
    });
  return withRuntime(overridesFrom(opts), async (rt) => {
    const { provider, missing } = embeddingsFromConfig(rt.config);
    const hits = await searchContent(rt.db, query, { limit, videoId: opts.video, embeddings: provider });
    if (opts.json) {
      io.stdout.write(
        `${JSON.stringify({ query, mode: provider ? 'hybrid' : 'text', results: hits.map((h) => ({ video_id: h.videoId, kind: h.kind, id: h.id, t_start: h.tStart, t_end: h.tEnd, text: h.text, score: h.score, frame: h.frame, ...(h.speaker ? { speaker: h.speaker } : {}) })) }, null, 2)}\n`,
      );
      return EXIT.ok;
    }
    if (!provider) io.stderr.write(`note: ${missing}; searching by text only\n`);
    if (hits.length === 0) io.stdout.write('no results\n');
    for (const h of hits)
      io.stdout.write(
        `${h.score.toFixed(4)}  ${h.kind.padEnd(7)}  ${h.videoId}  ${clock(h.tStart)}-${clock(h.tEnd)}  ${h.speaker ? `[Speaker ${h.speaker}] ` : ''}${h.text}\n`,
      );
    return EXIT.ok;
  });
}

const clock = (s: number) => `${String(Math.floor(s / 60)).padStart(2, '0')}:${(s % 60).toFixed(1).padStart(4, '0')}`;
