import { access, constants, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type Config, loadConfig, redactUrl } from '@videoqa/core';
import { ocrLanguageDir, runToText } from '@videoqa/stages';
import {
  LATEST_SCHEMA_VERSION,
  schemaVersion,
  storedEmbeddingDimensions,
  vectorColumnsInUse,
} from '@videoqa/storage-pg';
import { capabilityChecks, type DoctorCheck } from './capability-checks.ts';
import { overridesFrom } from './command-support.ts';
import { openRuntime } from './runtime.ts';
import { wasmTierOfThisProcess } from './memory-launch.ts';

/** What checks learn and pass on: the configuration, and the embedding size the database stores. */
export interface DoctorContext {
  opts: { dataDir?: string };
  /** Set by the configuration check; every later check runs only once it is. */
  config?: Config;
  /** Set by the database check, compared with the embedding model's size by the AI checks. */
  schemaDimensions: number | null;
}

/** One line of doctor's list: a named step that reports one or more results. */
export interface Check {
  name: string;
  run: (ctx: DoctorContext) => Promise<DoctorCheck[]>;
  /** When it fails, the checks after it cannot run (they need what it provides), so doctor stops there. */
  required?: boolean;
}

/** Every check after configuration reads the configuration; the loop guarantees it is there. */
const configOf = (ctx: DoctorContext): Config => ctx.config!;

const configuration: Check = {
  name: 'configuration',
  required: true,
  async run(ctx) {
    try {
      ctx.config = loadConfig({ overrides: overridesFrom(ctx.opts) });
      return [{ name: 'configuration', ok: true, detail: 'all variables valid' }];
    } catch (err) {
      return [
        {
          name: 'configuration',
          ok: false,
          detail: (err as Error).message,
          fix: 'fix the variables named above (docs/configuration.md)',
        },
      ];
    }
  },
};

/** A media tool answers `-version`: the stages run it for every video. */
const mediaTool = (name: 'ffmpeg' | 'ffprobe', pathOf: (c: Config) => string, envVar: string): Check => ({
  name,
  async run(ctx) {
    const res = await runToText(pathOf(configOf(ctx)), ['-version']).catch((err: Error) => ({
      code: -1,
      stdout: '',
      stderr: err.message,
    }));
    return [
      res.code === 0
        ? { name, ok: true, detail: res.stdout.split('\n')[0] ?? '' }
        : { name, ok: false, detail: 'FFmpeg not found', fix: `install it (apt-get install ffmpeg) or set ${envVar}` },
    ];
  },
});

/** The data root exists (created if missing) and can be read and written: uploads, media and frames go there. */
const dataDir: Check = {
  name: 'DATA_DIR',
  async run(ctx) {
    const dir = configOf(ctx).dataDir;
    try {
      await mkdir(dir, { recursive: true });
      await access(dir, constants.W_OK | constants.R_OK);
      return [{ name: 'DATA_DIR', ok: true, detail: `${dir} is readable and writable` }];
    } catch (err) {
      return [
        {
          name: 'DATA_DIR',
          ok: false,
          detail: `${dir}: ${(err as Error).message}`,
          fix: 'create it and give the worker user write access, or set DATA_DIR',
        },
      ];
    }
  },
};

/**
 * The database opens (without migrating: doctor changes nothing), its schema is current,
 * and whether pgvector holds the embeddings (a warning when not: search works, slower).
 */
const database: Check = {
  name: 'database',
  async run(ctx) {
    const config = configOf(ctx);
    const results: DoctorCheck[] = [];
    try {
      const rt = await openRuntime({ overrides: overridesFrom(ctx.opts), migrate: false, logToStdout: false });
      try {
        const version = await schemaVersion(rt.db);
        results.push({
          name: 'database',
          ok: true,
          detail: config.databaseUrl
            ? `PostgreSQL at ${redactUrl(config.databaseUrl)}`
            : `embedded PGlite in ${join(config.dataDir, 'db')}; WebAssembly compiled ${wasmTierOfThisProcess()} (WASM_OPTIMIZE, docs/configuration.md)`,
        });
        results.push(
          version >= LATEST_SCHEMA_VERSION
            ? { name: 'schema', ok: true, detail: `version ${version}` }
            : {
                name: 'schema',
                ok: false,
                detail: `version ${version}, this videoqa needs ${LATEST_SCHEMA_VERSION}`,
                fix: 'run: videoqa migrate',
              },
        );
        if (version > 0) {
          const vector = await vectorColumnsInUse(rt.db);
          ctx.schemaDimensions = await storedEmbeddingDimensions(rt.db);
          results.push({
            name: 'pgvector',
            ok: true,
            warning: !vector,
            detail: vector
              ? `embeddings in vector(${ctx.schemaDimensions ?? 1536}) with an HNSW index`
              : 'not available: embeddings in real[] (search works, slower on large libraries)',
            fix: vector
              ? undefined
              : 'install pgvector on the server before the first migrate for indexed vector search',
          });
        }
      } finally {
        await rt.close();
      }
    } catch (err) {
      results.push({
        name: 'database',
        ok: false,
        detail: (err as Error).message,
        fix: 'Database connection failed: check DATABASE_URL, that PostgreSQL is running and reachable',
      });
    }
    return results;
  },
};

/** Each OCR language's trained data is found (one result per language), or OCR is off. */
const ocr: Check = {
  name: 'OCR',
  async run(ctx) {
    const config = configOf(ctx);
    if (!config.ocrEnabled)
      return [{ name: 'OCR', ok: true, detail: 'OCR_ENABLED is false: keyframe text is not read' }];
    const results: DoctorCheck[] = [];
    for (const lang of config.ocrLanguages) {
      const dir = await ocrLanguageDir(lang).catch((err: Error) => err);
      results.push(
        typeof dir === 'string'
          ? { name: `OCR language ${lang}`, ok: true, detail: dir }
          : { name: `OCR language ${lang}`, ok: false, detail: dir.message, fix: (dir as { fix?: string }).fix },
      );
    }
    return results;
  },
};

/** The AI endpoints, one real request per capability (capability-checks.ts). */
const aiEndpoints: Check = {
  name: 'AI endpoints',
  run: (ctx) => capabilityChecks(configOf(ctx), ctx.schemaDimensions),
};

/** What `videoqa doctor` checks, in the order it prints them. */
export const DOCTOR_CHECKS: readonly Check[] = [
  configuration,
  mediaTool('ffmpeg', (c) => c.ffmpegPath, 'FFMPEG_PATH'),
  mediaTool('ffprobe', (c) => c.ffprobePath, 'FFPROBE_PATH'),
  dataDir,
  database,
  ocr,
  aiEndpoints,
];

/** Runs the checks in order; a failed required check ends the list, since what follows depends on it. */
export async function runDoctorChecks(
  opts: DoctorContext['opts'],
  checks: readonly Check[] = DOCTOR_CHECKS,
): Promise<DoctorCheck[]> {
  const ctx: DoctorContext = { opts, schemaDimensions: null };
  const results: DoctorCheck[] = [];
  for (const check of checks) {
    const reported = await check.run(ctx);
    results.push(...reported);
    if (check.required && reported.some((r) => !r.ok)) break;
  }
  return results;
}
