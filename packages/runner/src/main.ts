import { Command, CommanderError } from 'commander';
import { VideoqaError } from '@videoqa/core';
import { askCommand } from './ask-command.ts';
import { scrub } from './logging.ts';
import { exportCommand, listCommand, showCommand } from './read-commands.ts';
import { reembedCommand } from './reembed-command.ts';
import { serveCommand } from './serve-command.ts';
import { registerLifecycleCommands } from './lifecycle-commands.ts';
import {
  apiCommand,
  doctorCommand,
  enqueueCommand,
  EXIT,
  exitCodeFor,
  migrateCommand,
  processCommand,
  retryCommand,
  searchCommand,
  statusCommand,
  workerCommand,
  type CommandIO,
} from './commands.ts';

const EXIT_HELP = `
Exit codes:
  0  success
  1  processing failed (the error says why; the job or video records it too)
  2  invalid usage or configuration (the variable or option is named)
  3  finished, but AI stages were skipped (or ask gave passages, not an answer) because no API key is set
  4  input refused: not a video, file not found, path outside DATA_DIR, unknown id

Environment: DATABASE_URL (else an embedded database in DATA_DIR/db), OPENAI_API_KEY,
DATA_DIR (default ./data), LOG_LEVEL; all variables: docs/configuration.md`;

/** What to do about system errors a user can fix; the rest speak for themselves. */
const SYSTEM_FIXES: Record<string, string> = {
  ENOSPC: 'the disk is full: free space, or point DATA_DIR at a larger disk',
  EDQUOT: 'the disk quota is used up: free space, or point DATA_DIR elsewhere',
  EACCES: 'permission denied: check the owner and mode of DATA_DIR and the input file',
  EROFS: 'the file system is read-only: point DATA_DIR at a writable directory',
  EMFILE: 'too many open files: raise the limit (ulimit -n) or lower the concurrency settings',
};

/** Node's system errors repeat their code ("ENOSPC: no space left…"): drop the echo and add the fix. */
function messageOf(err: Error, code: string): string {
  const message = (err.message ?? String(err)).replace(new RegExp(`^${code}: `), '');
  const fix = err instanceof VideoqaError ? undefined : SYSTEM_FIXES[code];
  return fix ? `${message} — ${fix}` : message;
}

/** Runs the videoqa CLI; returns the exit code. Errors become one clear line (stack with LOG_LEVEL=debug). */
export async function main(
  argv: string[],
  io: CommandIO = { stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  let code: number = EXIT.ok;
  const program = new Command()
    .name('videoqa')
    .description('Turn videos into searchable, AI-analysed content stored in PostgreSQL.')
    .version('0.1.0')
    .showHelpAfterError()
    .addHelpText('after', EXIT_HELP)
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });
  const dataDir = ['--data-dir <dir>', 'DATA_DIR for this command'] as const;

  program
    .command('process')
    .description('process one video now, in this process (normalize, transcribe, scenes, frames, vision, embeddings)')
    .argument('<file>', 'the video file, or an http(s) URL to download it from (INGEST_* settings)')
    .option('--json', 'print a machine-readable summary instead of progress and text')
    .option('--stages <list>', 'run only these stages, comma separated (the stages they need must have run)')
    .option('--id <videoId>', 'video id to use (reuse one to resume an earlier run)')
    .option('--no-resume', 'rerun stages even if an earlier run finished them')
    .option('--force', 'process the file even when a video already holds the same bytes')
    .option(...dataDir)
    .action(async (file: string, opts) => void (code = await processCommand(file, opts, io)));

  program
    .command('enqueue')
    .description('copy a file (or download a URL) into DATA_DIR/uploads and add a job for it to the queue')
    .argument('<file>', 'the video file, or an http(s) URL to download it from (INGEST_* settings)')
    .option(
      '--kind <kind>',
      'process (whole pipeline) or transcribe (normalize + transcribe, text in jobs.transcription)',
      'process',
    )
    .option('--id <videoId>', 'video id to use')
    .option('--max-attempts <n>', 'attempts before the job fails for good (default WORKER_MAX_ATTEMPTS)')
    .option('--webhook <url>', 'POST the ready/failed event there, signed (default WEBHOOK_URL; needs WEBHOOK_SECRET)')
    .option('--json', 'print the job as JSON')
    .option(...dataDir)
    .action(async (file: string, opts) => void (code = await enqueueCommand(file, opts, io)));

  program
    .command('worker')
    .description('claim and process jobs until SIGTERM/SIGINT (a second signal stops at once, releasing jobs)')
    .option('--concurrency <n>', 'jobs at once (default WORKER_CONCURRENCY)')
    .option(...dataDir)
    .action(async (opts) => void (code = await workerCommand(opts, io)));

  program
    .command('api')
    .description('serve the transcription job API (POST /v1/jobs, POST /v1/uploads, GET /v1/jobs/:id) until SIGTERM')
    .option('--port <port>', 'port (default API_HTTP_PORT, 8080)')
    .option('--host <host>', 'interface (default API_HTTP_HOST, 127.0.0.1; anything else requires API_TOKEN)')
    .option(...dataDir)
    .action(async (opts) => void (code = await apiCommand(opts, io)));

  program
    .command('serve')
    .description(
      'the web viewer and the read and job API at http://127.0.0.1:PORT/, with a worker in this process, until SIGTERM',
    )
    .option('--port <port>', 'port (default API_HTTP_PORT, 8080)')
    .option('--host <host>', 'interface (default API_HTTP_HOST, 127.0.0.1; anything else requires API_TOKEN)')
    .option('--no-worker', 'do not process jobs here (workers run elsewhere on the same PostgreSQL)')
    .option(...dataDir)
    .action(async (opts) => void (code = await serveCommand(opts, io)));

  program
    .command('list')
    .description('the videos in the library, newest first: id, status, length, counts, created time, file, last error')
    .option('--status <status>', 'only videos in this status: pending, processing, ready or failed')
    .option('--limit <n>', 'at most this many (default 100)')
    .option('--json', 'print as JSON')
    .option(...dataDir)
    .action(async (opts) => void (code = await listCommand(opts, io)));

  program
    .command('show')
    .description('one video: stages, scenes with keyframes and captions, the transcript with times, usage')
    .argument('<video>', 'the video id')
    .option('--json', 'print the export document (as export --format json)')
    .option(...dataDir)
    .action(async (videoId: string, opts) => void (code = await showCommand(videoId, opts, io)));

  program
    .command('export')
    .description('the whole result of one video as JSON (versioned), SRT or WebVTT subtitles, or a Markdown report')
    .argument('<video>', 'the video id')
    .option('--format <format>', 'json, srt, vtt or md', 'json')
    .option('--out <file>', 'write to this file instead of stdout')
    .option(...dataDir)
    .action(async (videoId: string, opts) => void (code = await exportCommand(videoId, opts, io)));

  program
    .command('search')
    .description('hybrid search (vectors + full text) over transcripts and frame captions')
    .argument('<query>', 'what to look for')
    .option('--limit <n>', 'results to show', '10')
    .option('--video <videoId>', 'search one video only')
    .option('--json', 'print results as JSON')
    .option(...dataDir)
    .action(async (query: string, opts) => void (code = await searchCommand(query, opts, io)));

  program
    .command('ask')
    .description(
      'answer a question from the videos, streamed, with the moments that show it (mm:ss–mm:ss  video  "quote")',
    )
    .argument('<question>', 'the question, in quotes (at most 2000 characters)')
    .option('--video <videoId>', 'ask about one video (it must be ready); default: the whole library')
    .option('--limit <n>', 'most passages given to the model (default ASK_MAX_PASSAGES, 8)')
    .option('--json', 'print {question, answer, found, citations, passages, usage} as JSON')
    .option(...dataDir)
    .action(async (question: string, opts) => void (code = await askCommand(question, opts, io)));

  program
    .command('migrate')
    .description('create or update the database schema (safe to run from several processes)')
    .option(...dataDir)
    .action(async (opts) => void (code = await migrateCommand(opts, io)));

  program
    .command('reembed')
    .description(
      'rebuild the search vectors with the configured embedding model (and OPENAI_EMBEDDING_DIMENSIONS), without processing the videos again',
    )
    .option('--video <videoId>', 're-embed one video only (not possible when the embedding size changes)')
    .option('--json', 'print a machine-readable summary')
    .option(...dataDir)
    .action(async (opts) => void (code = await reembedCommand(opts, io)));

  program
    .command('retry')
    .description('put a failed job back in the queue with its attempts reset')
    .argument('<jobId>')
    .option(...dataDir)
    .action(async (jobId: string, opts) => void (code = await retryCommand(jobId, opts, io)));

  program
    .command('status')
    .description('queue overview, or the state of one job or video')
    .argument('[id]', 'a job id or a video id')
    .option('--json', 'print as JSON')
    .option(...dataDir)
    .action(async (id: string | undefined, opts) => void (code = await statusCommand(id, opts, io)));

  program
    .command('doctor')
    .description('check ffmpeg, DATA_DIR, the database and its schema, pgvector and the API key, with fixes')
    .option('--json', 'print the checks as JSON')
    .option(...dataDir)
    .action(async (opts) => void (code = await doctorCommand(opts, io)));

  registerLifecycleCommands(program, io, (c) => void (code = c));

  try {
    await program.parseAsync(argv);
    return code;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0
        ? EXIT.ok
        : EXIT.usage;
    }
    const e = err as Error;
    const codeName = err instanceof VideoqaError ? err.code : ((err as { code?: string }).code ?? 'ERROR');
    io.stderr.write(`videoqa: ${codeName}: ${scrub(messageOf(e, codeName), [])}\n`);
    if (/^(debug|trace)$/i.test(process.env.LOG_LEVEL ?? '')) io.stderr.write(`${scrub(e.stack ?? '', [])}\n`);
    return exitCodeFor(err);
  }
}
