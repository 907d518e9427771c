type Undici = typeof import('undici');

let loading: Promise<Undici> | undefined;

/**
 * The undici package, loaded on first use. On load undici installs itself as the
 * process-wide dispatcher (a global symbol Node's own fetch reads), so every other
 * fetch in the process, the openai SDK's included, would go through this copy of
 * undici instead of Node's. What was there is put back: videoqa only ever passes its
 * guarded Agent explicitly. A dynamic import, so a bundler cannot hoist it above the
 * capture.
 */
export function loadUndici(): Promise<Undici> {
  loading ??= (async () => {
    const g = globalThis as unknown as Record<symbol, unknown>;
    const keys = [Symbol.for('undici.globalDispatcher.1'), Symbol.for('undici.globalDispatcher.2')];
    const before = keys.map((k) => g[k]);
    const undici = await import('undici');
    keys.forEach((k, i) => {
      if (g[k] !== before[i]) g[k] = before[i];
    });
    return undici;
  })();
  return loading;
}
