/**
 * Run as `pnpm videoqa worker` (or serve, api), the CLI is a child of pnpm. When pnpm is
 * sent SIGTERM it exits without passing the signal on, and the worker would go on serving
 * under PID 1 (seen by a newcomer's check). So, when started by a package manager script
 * (npm_lifecycle_event is set), the CLI watches its parent and, once it is gone, sends
 * itself SIGTERM: long-running commands then stop gracefully, as if signalled directly.
 *
 * Not for a CLI started directly (nohup, systemd, a shell): outliving its shell is what a
 * `nohup node …/cli.js worker &` means.
 */
export function stopWhenParentScriptExits(env: NodeJS.ProcessEnv = process.env, everyMs = 1000): () => void {
  if (!env.npm_lifecycle_event) return () => {};
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    process.kill(process.pid, 'SIGTERM');
  }, everyMs);
  timer.unref(); // never what keeps the process alive
  return () => clearInterval(timer);
}
