import {
  importVideoFile,
  loadConfig,
  newId,
  runPipeline,
  silentLogger,
  VideoBusyError,
  type Config,
  type ConfigInput,
  type ChatProvider,
  type EmbeddingsProvider,
  type Logger,
  type PipelineRun,
  type Stage,
  type TranscriptionProvider,
  type VideoRecord,
  type VisionProvider,
} from '@videoqa/core';
import { chatFromConfig, defaultStages, embeddingsFromConfig } from '@videoqa/stages';
import {
  activeJobForVideo,
  ask,
  enqueueJob,
  listVideos,
  openDatabase,
  PgStore,
  searchContent,
  type AskOptions,
  type AskResult,
  type Db,
  type Job,
  type JobKind,
  type ListVideosOptions,
  type SearchHit,
  type SearchKind,
  type VideoSummary,
} from '@videoqa/storage-pg';
import { resolveJobWebhook } from './webhooks/webhook-target.ts';
import { buildVideoExport, exportVideo, type ExportFormat, type VideoExport } from './export.ts';
import {
  cancelJobById,
  collectGarbage,
  deleteVideo,
  diskUsage,
  type CancelView,
  type DeleteOptions,
  type DeleteResult,
  type GcResult,
  type StorageUsage,
} from './lifecycle.ts';

export interface VideoqaProviders {
  transcription?: TranscriptionProvider;
  vision?: VisionProvider;
  embeddings?: EmbeddingsProvider;
  /** Answers `ask`; default the OpenAI chat model of the configuration. */
  chat?: ChatProvider;
}

export interface CreateVideoqaOptions {
  /** PostgreSQL URL; default DATABASE_URL, else the embedded database in `{dataDir}/db`. null: embedded even when DATABASE_URL is set. */
  databaseUrl?: string | null;
  /** The one data root: uploads, processed media, frames, subtitles, and the embedded database. Default DATA_DIR or ./data. */
  dataDir?: string;
  /** AI providers instead of the OpenAI ones built from the configuration. */
  providers?: VideoqaProviders;
  /** The stages to run: a list, or a function of the defaults (add, replace, remove). */
  stages?: Stage[] | ((defaults: Stage[]) => Stage[]);
  /** Any other setting of docs/configuration.md, in code; the rest comes from the environment. */
  config?: Partial<ConfigInput>;
  logger?: Logger;
  /** An embedded database in memory only (tests, throwaway runs). */
  inMemory?: boolean;
}

export interface ProcessOptions {
  /** Default: a new id. Reusing one resumes that video. */
  videoId?: string;
  only?: readonly string[];
  resume?: boolean;
  signal?: AbortSignal;
}

export interface EnqueueOptions {
  videoId?: string;
  kind?: JobKind;
  maxAttempts?: number;
  /** Where the job's ready/failed event is POSTed (default WEBHOOK_URL; needs WEBHOOK_SECRET). */
  webhookUrl?: string;
}

export interface ClientSearchOptions {
  limit?: number;
  videoId?: string;
  kinds?: readonly SearchKind[];
  signal?: AbortSignal;
}

/** One object for everything a program does with videoqa. */
export interface Videoqa {
  readonly config: Config;
  readonly db: Db;
  readonly store: PgStore;
  /** Imports the file into DATA_DIR and runs the stages here; `await` it for the result, or `.orThrow()`. */
  process(file: string, options?: ProcessOptions): PipelineRun;
  /** Imports the file and adds a job for the workers (Postgres queue). VIDEO_BUSY if that video has one waiting or running. */
  enqueue(file: string, options?: EnqueueOptions): Promise<Job>;
  /** Hybrid search (vectors + full text) when an embeddings provider is configured, full text otherwise. */
  search(query: string, options?: ClientSearchOptions): Promise<SearchHit[]>;
  /**
   * A grounded answer with checked, timestamped citations (one video with `videoId`, else the
   * whole library). Without a chat provider it returns the passages and `skipped` says why.
   */
  ask(question: string, options?: Pick<AskOptions, 'videoId' | 'limit' | 'onToken' | 'signal'>): Promise<AskResult>;
  /** Everything about one video (the `export --format json` document), or null. */
  get(videoId: string): Promise<VideoExport | null>;
  list(options?: ListVideosOptions): Promise<VideoSummary[]>;
  export(videoId: string, format: ExportFormat): Promise<string>;
  /**
   * Deletes a video's rows (one transaction) and files under dataDir. VIDEO_BUSY while a job of
   * it runs unless `force` (cancel it first). Idempotent: a second call resolves with `deleted: false`.
   */
  delete(videoId: string, options?: DeleteOptions): Promise<DeleteResult>;
  /** Cancels a pending or running job; it is never retried. */
  cancel(jobId: string): Promise<CancelView>;
  /** Bytes per video and per kind (one video with `videoId`). */
  usage(videoId?: string): Promise<StorageUsage>;
  /** Applies the retention settings (retainUploadsDays, retainNormalizedDays) once. */
  gc(): Promise<GcResult>;
  close(): Promise<void>;
}

/**
 * The front door of the library:
 *
 * ```ts
 * const vq = await createVideoqa({ dataDir: './data' });
 * const result = await vq.process('talk.mp4').orThrow();
 * const hits = await vq.search('where do they slice tomatoes');
 * const { answer, citations } = await vq.ask('how long does the soup simmer?');
 * await vq.close();
 * ```
 *
 * The configuration is resolved once, here (options over the environment); the database
 * and the media both live under `dataDir` unless `databaseUrl` names a server.
 */
export async function createVideoqa(options: CreateVideoqaOptions = {}): Promise<Videoqa> {
  const config = loadConfig({
    overrides: {
      ...options.config,
      ...(options.dataDir !== undefined ? { dataDir: options.dataDir } : {}),
      ...(typeof options.databaseUrl === 'string' ? { databaseUrl: options.databaseUrl } : {}),
    },
  });
  if (options.databaseUrl === null) delete config.databaseUrl;
  const log = options.logger ?? silentLogger;
  const db = await openDatabase(
    options.inMemory ? { inMemory: true } : { databaseUrl: config.databaseUrl, dataDir: config.dataDir },
  );
  const store = new PgStore(db);
  const defaults = () => defaultStages({ providers: options.providers });
  const stages = typeof options.stages === 'function' ? options.stages(defaults()) : (options.stages ?? defaults());
  const embeddings = options.providers?.embeddings ?? embeddingsFromConfig(config).provider;
  const chat = options.providers?.chat ?? chatFromConfig(config).provider;
  let closed = false;

  return {
    config,
    db,
    store,
    process(file, opts = {}) {
      return runPipeline({
        video: file,
        videoId: opts.videoId ?? newId(),
        stages,
        store,
        config,
        logger: log,
        only: opts.only,
        resume: opts.resume,
        signal: opts.signal,
      });
    },
    async enqueue(file, opts = {}) {
      const videoId = opts.videoId ?? newId();
      const active = await activeJobForVideo(db, videoId);
      if (active) throw new VideoBusyError(videoId, active.id, active.status);
      const webhookUrl = await resolveJobWebhook(config, opts.webhookUrl);
      const imported = await importVideoFile(file, { dataDir: config.dataDir, videoId });
      return enqueueJob(db, {
        videoId,
        originalPath: imported.originalPath,
        kind: opts.kind,
        maxAttempts: opts.maxAttempts,
        webhookUrl,
      });
    },
    search(query, opts = {}) {
      return searchContent(db, query, { ...opts, embeddings });
    },
    ask(question, opts = {}) {
      return ask(db, question, {
        ...opts,
        limit: opts.limit ?? config.askMaxPassages,
        tokenBudget: config.askTokenBudget,
        windowSec: config.askWindowSec,
        chat,
        embeddings,
      });
    },
    async get(videoId) {
      const video: VideoRecord | null = await store.getVideo(videoId);
      return video ? buildVideoExport(store, videoId) : null;
    },
    list(opts) {
      return listVideos(db, opts);
    },
    export(videoId, format) {
      return exportVideo(store, videoId, format);
    },
    delete(videoId, opts) {
      return deleteVideo({ db, config }, videoId, opts);
    },
    cancel(jobId) {
      return cancelJobById({ db }, jobId);
    },
    usage(videoId) {
      return diskUsage({ db, config }, videoId);
    },
    gc() {
      return collectGarbage({ db, config }, log);
    },
    async close() {
      if (closed) return;
      closed = true;
      await db.close();
    },
  };
}
