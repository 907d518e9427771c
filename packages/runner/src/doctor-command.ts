import { EXIT, type CommandIO } from './command-support.ts';
import { runDoctorChecks } from './doctor-checks.ts';

/**
 * `videoqa doctor`: runs the list of checks (doctor-checks.ts) and prints each result
 * with its fix; exit 0 when none failed (warnings do not fail), 1 otherwise.
 */
export async function doctorCommand(opts: { json?: boolean; dataDir?: string }, io: CommandIO): Promise<number> {
  const checks = await runDoctorChecks(opts);
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
