import { access, constants, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { redactUrl } from '@videoqa/core';
import { ocrLanguageDir, runToText } from '@videoqa/stages';
import {
  LATEST_SCHEMA_VERSION,
  schemaVersion,
  storedEmbeddingDimensions,
  vectorColumnsInUse,
} from '@videoqa/storage-pg';
import { capabilityChecks } from './capability-checks.ts';
import { openRuntime } from './runtime.ts';
import { EXIT, overridesFrom, type CommandIO } from './command-support.ts';

interface Check {
  name: string;
  ok: boolean;
  detail: string;
  fix?: string;
  warning?: boolean;
}

export async function doctorCommand(opts: { json?: boolean; dataDir?: string }, io: CommandIO): Promise<number> {
  const checks: Check[] = [];
  const { loadConfig } = await import('@videoqa/core');
  let config;
  try {
    config = loadConfig({ overrides: overridesFrom(opts) });
    checks.push({ name: 'configuration', ok: true, detail: 'all variables valid' });
  } catch (err) {
    checks.push({
      name: 'configuration',
      ok: false,
      detail: (err as Error).message,
      fix: 'fix the variables named above (docs/configuration.md)',
    });
  }
  if (config) {
    for (const [name, path] of [
      ['ffmpeg', config.ffmpegPath],
      ['ffprobe', config.ffprobePath],
    ] as const) {
      const res = await runToText(path, ['-version']).catch((err: Error) => ({
        code: -1,
        stdout: '',
        stderr: err.message,
      }));
      checks.push(
        res.code === 0
          ? { name, ok: true, detail: res.stdout.split('\n')[0] ?? '' }
          : {
              name,
              ok: false,
              detail: 'FFmpeg not found',
              fix: `install it (apt-get install ffmpeg) or set ${name === 'ffmpeg' ? 'FFMPEG_PATH' : 'FFPROBE_PATH'}`,
            },
      );
    }
    try {
      await mkdir(config.dataDir, { recursive: true });
      await access(config.dataDir, constants.W_OK | constants.R_OK);
      checks.push({ name: 'DATA_DIR', ok: true, detail: `${config.dataDir} is readable and writable` });
    } catch (err) {
      checks.push({
        name: 'DATA_DIR',
        ok: false,
        detail: `${config.dataDir}: ${(err as Error).message}`,
        fix: 'create it and give the worker user write access, or set DATA_DIR',
      });
    }
    let schemaDimensions: number | null = null;
    try {
      const rt = await openRuntime({ overrides: overridesFrom(opts), migrate: false, logToStdout: false });
      try {
        const version = await schemaVersion(rt.db);
        checks.push({
          name: 'database',
          ok: true,
          detail: config.databaseUrl
            ? `PostgreSQL at ${redactUrl(config.databaseUrl)}`
            : `embedded PGlite in ${join(config.dataDir, 'db')}`,
        });
        checks.push(
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
          schemaDimensions = await storedEmbeddingDimensions(rt.db);
          checks.push({
            name: 'pgvector',
            ok: true,
            warning: !vector,
            detail: vector
              ? `embeddings in vector(${schemaDimensions ?? 1536}) with an HNSW index`
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
      checks.push({
        name: 'database',
        ok: false,
        detail: (err as Error).message,
        fix: 'Database connection failed: check DATABASE_URL, that PostgreSQL is running and reachable',
      });
    }
    if (config.ocrEnabled) {
      for (const lang of config.ocrLanguages) {
        const dir = await ocrLanguageDir(lang).catch((err: Error) => err);
        checks.push(
          typeof dir === 'string'
            ? { name: `OCR language ${lang}`, ok: true, detail: dir }
            : { name: `OCR language ${lang}`, ok: false, detail: dir.message, fix: (dir as { fix?: string }).fix },
        );
      }
    } else checks.push({ name: 'OCR', ok: true, detail: 'OCR_ENABLED is false: keyframe text is not read' });
    checks.push(...(await capabilityChecks(config, schemaDimensions)));
  }
  const failed = checks.filter((c) => !c.ok);
  if (opts.json) io.stdout.write(`${JSON.stringify({ ok: failed.length === 0, checks }, null, 2)}\n`);
  else {
    for (const c of checks)
      io.stdout.write(
        `${c.ok ? (c.warning ? '!' : '✔') : '✖'} ${c.name}: ${c.detail}${c.fix && (!c.ok || c.warning) ? `\n    fix: ${c.fix}` : ''}\n`,
      );
    io.stdout.write(failed.length === 0 ? 'all checks passed\n' : `${failed.length} check(s) failed\n`);
  }
  return failed.length === 0 ? EXIT.ok : EXIT.failed;
}
