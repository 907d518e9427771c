import { configSecrets, loadConfig, type Config, type ConfigInput } from '@videoqa/core';
import { closeOcr } from '@videoqa/stages';
import { openDatabase, PgStore, type Db } from '@videoqa/storage-pg';
import { createLogger, type VideoqaLogger } from './logging.ts';

export interface Runtime {
  config: Config;
  db: Db;
  store: PgStore;
  log: VideoqaLogger;
  close(): Promise<void>;
}

export interface OpenRuntimeOptions {
  overrides?: Partial<ConfigInput>;
  env?: Record<string, string | undefined>;
  /** Write {DATA_DIR}/worker/log.log (the worker does; one-off commands do not). */
  logFile?: boolean;
  /** JSON log lines to stdout (default true). */
  logToStdout?: boolean;
  /** Apply migrations on open (default true). */
  migrate?: boolean;
  /** false: do not refuse a schema whose embedding size differs from OPENAI_EMBEDDING_DIMENSIONS (reembed fixes it). */
  checkDimensions?: boolean;
}

/** Config, logger and database (PGlite under DATA_DIR/db without DATABASE_URL), ready to use. */
export async function openRuntime(options: OpenRuntimeOptions = {}): Promise<Runtime> {
  const config = loadConfig({ env: options.env, overrides: options.overrides });
  const log = createLogger({
    level: config.logLevel,
    dataDir: options.logFile ? config.dataDir : undefined,
    fileFormat: config.logFileFormat,
    secrets: configSecrets(config),
    stdout: options.logToStdout === false ? null : process.stdout,
  });
  let db: Db;
  try {
    db = await openDatabase({
      databaseUrl: config.databaseUrl,
      dataDir: config.dataDir,
      migrate: options.migrate,
      embeddingDimensions: config.embeddingDimensions,
      checkDimensions: options.checkDimensions,
      poolSize: Math.max(10, config.workerConcurrency * 3),
      onError: (err) => log.warn({ err }, 'database connection error (will reconnect)'),
    });
  } catch (err) {
    await log.closeFile();
    throw err;
  }
  return {
    config,
    db,
    store: new PgStore(db),
    log,
    async close() {
      // OCR worker threads are per process; stop them with the rest so the process can exit.
      await closeOcr();
      await db.close();
      await log.closeFile();
    },
  };
}
