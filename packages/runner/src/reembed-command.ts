import {
  ConfigError,
  isRetryable,
  ProviderError,
  videoPaths,
  VideoNotFoundError,
  VideoqaError,
  type EmbeddingsProvider,
  type Usage,
} from '@videoqa/core';
import { embeddingsFromConfig, embeddingsStage } from '@videoqa/stages';
import { clearVideoEmbeddings, resetEmbeddingColumns, storedEmbeddingDimensions } from '@videoqa/storage-pg';
import { EXIT, overridesFrom, type CommandIO } from './commands.ts';
import { openRuntime, type Runtime } from './runtime.ts';

export interface ReembedOptions {
  video?: string;
  json?: boolean;
  dataDir?: string;
}

/**
 * The size the configured model really returns, from one short request: a wrong
 * OPENAI_EMBEDDING_DIMENSIONS is named before any vector is dropped.
 */
async function checkModelSize(provider: EmbeddingsProvider, configured: number, model: string): Promise<void> {
  try {
    await provider.embed(['videoqa embedding size check']);
  } catch (err) {
    const measured = err instanceof ProviderError ? /has (\d+) dimensions/.exec(err.message)?.[1] : undefined;
    if (measured)
      throw new ConfigError([
        {
          variable: 'OPENAI_EMBEDDING_DIMENSIONS',
          message: `is ${configured}, but ${model} returns ${measured}-dimension vectors: set OPENAI_EMBEDDING_DIMENSIONS=${measured}`,
        },
      ]);
    throw err;
  }
}

async function videoIds(rt: Runtime, only?: string): Promise<string[]> {
  if (only) {
    if (!(await rt.store.getVideo(only))) throw new VideoNotFoundError(only);
    return [only];
  }
  const res = await rt.db.query<{ id: string }>('SELECT id FROM videos ORDER BY created_at, id');
  return res.rows.map((r) => r.id);
}

/**
 * `videoqa reembed [--video id]`: rebuilds the vectors of stored segments, captions and
 * OCR text with the configured embedding model, without processing any video again. When
 * OPENAI_EMBEDDING_DIMENSIONS differs from the schema, the vector columns are remade for
 * the new size first (every vector is dropped, so every video is re-embedded).
 */
export async function reembedCommand(opts: ReembedOptions, io: CommandIO): Promise<number> {
  const rt = await openRuntime({
    overrides: overridesFrom(opts),
    checkDimensions: false,
    logToStdout: ['debug', 'trace'].includes(process.env.LOG_LEVEL?.toLowerCase() ?? ''),
  });
  try {
    const { provider, missing } = embeddingsFromConfig(rt.config);
    if (!provider)
      throw new VideoqaError(
        'EMBEDDINGS_NOT_CONFIGURED',
        `${missing}: set OPENAI_API_KEY, or OPENAI_EMBEDDING_BASE_URL for a local server, to re-embed`,
        false,
      );
    const configured = rt.config.embeddingDimensions;
    const stored = await storedEmbeddingDimensions(rt.db);
    const resize = stored !== null && stored !== configured;
    if (resize && opts.video) {
      throw new ConfigError([
        {
          variable: '--video',
          message: `the embedding size changes from ${stored} to ${configured}, so every video must be re-embedded: run videoqa reembed without --video`,
        },
      ]);
    }
    const ids = await videoIds(rt, opts.video);
    await checkModelSize(provider, configured, rt.config.embeddingModel);
    if (resize || stored === null) {
      await rt.db.transaction((tx) => resetEmbeddingColumns(tx, configured));
      rt.store.forgetSchemaCache();
      if (!opts.json)
        io.stderr.write(
          stored === null
            ? `vector columns set to ${configured} dimensions\n`
            : `vector columns changed from ${stored} to ${configured} dimensions; every stored vector was dropped\n`,
        );
    }
    const stage = embeddingsStage({ provider });
    const results: { video_id: string; vectors: number; requests: number }[] = [];
    let failed = 0;
    for (const videoId of ids) {
      const video = (await rt.store.getVideo(videoId))!;
      if (!resize) await rt.db.transaction((tx) => clearVideoEmbeddings(tx, videoId));
      const usage: Usage = {};
      const startedAt = new Date();
      try {
        const out = await stage.run({
          video,
          paths: videoPaths(rt.config.dataDir, videoId),
          store: rt.store,
          outputs: new Map(),
          config: rt.config,
          signal: new AbortController().signal,
          log: rt.log.child({ videoId, stage: 'embeddings' }),
          progress: () => {},
          addUsage: (u) => {
            for (const [k, v] of Object.entries(u)) usage[k] = (usage[k] ?? 0) + (v ?? 0);
          },
        });
        const counts = out?.counts ?? {};
        await rt.store.saveStageRun({
          videoId,
          stage: 'embeddings',
          status: 'done',
          startedAt,
          finishedAt: new Date(),
          output: { data: out?.data, counts },
          usage,
        });
        results.push({ video_id: videoId, vectors: counts.vectors ?? 0, requests: counts.requests ?? 0 });
        if (!opts.json)
          io.stdout.write(`✔ ${videoId}: ${counts.vectors ?? 0} vectors in ${counts.requests ?? 0} request(s)\n`);
      } catch (err) {
        failed++;
        const e = err as Error;
        await rt.store.saveStageRun({
          videoId,
          stage: 'embeddings',
          status: 'failed',
          startedAt,
          finishedAt: new Date(),
          usage,
          error: e.message,
        });
        io.stderr.write(
          `videoqa: ${(err as VideoqaError).code ?? 'ERROR'}: ${e.message} (video ${videoId}${isRetryable(err) ? '; run reembed again to retry' : ''})\n`,
        );
      }
    }
    if (opts.json)
      io.stdout.write(
        `${JSON.stringify({ dimensions: configured, previous_dimensions: stored, model: rt.config.embeddingModel, videos: results, failed }, null, 2)}\n`,
      );
    else
      io.stdout.write(
        `re-embedded ${results.length} video(s) with ${rt.config.embeddingModel} (${configured} dimensions)${failed ? `; ${failed} failed` : ''}\n`,
      );
    return failed > 0 ? EXIT.failed : EXIT.ok;
  } finally {
    await rt.close();
  }
}
