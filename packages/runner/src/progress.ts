import type { PipelineEvents } from '@videoqa/core';

interface Row {
  stage: string;
  state: 'waiting' | 'running' | 'done' | 'skipped' | 'failed' | 'cancelled';
  fraction?: number;
  note?: string;
  startedAt?: number;
}

const BAR = 24;
const fmtSec = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/**
 * Shows pipeline progress per stage: redrawn bars on a terminal, plain lines
 * otherwise (logs, CI). Writes to stderr so stdout stays for results.
 */
export function showProgress(
  events: PipelineEvents,
  stages: string[],
  out: NodeJS.WriteStream = process.stderr,
): () => void {
  const tty = Boolean(out.isTTY) && !process.env.CI;
  const rows = new Map<string, Row>(stages.map((s) => [s, { stage: s, state: 'waiting' }]));
  const width = Math.max(...stages.map((s) => s.length));
  let drawn = 0;
  let timer: NodeJS.Timeout | undefined;

  const render = () => {
    if (!tty) return;
    const lines = [...rows.values()].map((r) => {
      const name = r.stage.padEnd(width);
      switch (r.state) {
        case 'running': {
          const f = r.fraction;
          const bar =
            f === undefined
              ? `${'·'.repeat(BAR)}`
              : `${'█'.repeat(Math.round(f * BAR))}${'░'.repeat(BAR - Math.round(f * BAR))}`;
          return `  ${name}  ${bar} ${f === undefined ? '' : `${Math.round(f * 100)}%`.padStart(4)}  ${fmtSec(Date.now() - (r.startedAt ?? Date.now()))}`;
        }
        case 'done':
          return `  ${name}  ✔ ${r.note ?? ''}`;
        case 'skipped':
          return `  ${name}  – skipped: ${r.note ?? ''}`;
        case 'failed':
          return `  ${name}  ✖ ${r.note ?? ''}`;
        case 'cancelled':
          return `  ${name}  – not run`;
        default:
          return `  ${name}  …`;
      }
    });
    if (drawn > 0) out.write(`\x1b[${drawn}A`);
    out.write(lines.map((l) => `\x1b[2K${l}\n`).join(''));
    drawn = lines.length;
  };
  const line = (text: string) => {
    if (!tty) out.write(`${text}\n`);
  };

  events.on('stage:start', (e) => {
    rows.set(e.stage, { stage: e.stage, state: 'running', startedAt: Date.now() });
    line(`[videoqa] ${e.stage}: started`);
    render();
  });
  events.on('stage:progress', (e) => {
    const r = rows.get(e.stage);
    if (r) r.fraction = e.fraction;
  });
  events.on('stage:done', (e) => {
    const counts = Object.entries(e.counts)
      .map(([k, v]) => `${v} ${k}`)
      .join(', ');
    rows.set(e.stage, { stage: e.stage, state: 'done', note: `${fmtSec(e.durationMs)}${counts ? `  ${counts}` : ''}` });
    line(`[videoqa] ${e.stage}: done in ${fmtSec(e.durationMs)}${counts ? ` (${counts})` : ''}`);
    render();
  });
  events.on('stage:skipped', (e) => {
    rows.set(e.stage, { stage: e.stage, state: 'skipped', note: e.resumed ? 'already done' : e.reason });
    line(`[videoqa] ${e.stage}: skipped (${e.resumed ? 'already done' : e.reason})`);
    render();
  });
  events.on('stage:error', (e) => {
    rows.set(e.stage, { stage: e.stage, state: 'failed', note: e.error.message });
    line(`[videoqa] ${e.stage}: failed: ${e.error.message}`);
    render();
  });
  events.on('pipeline:failed', () => {
    for (const r of rows.values()) if (r.state === 'waiting' || r.state === 'running') r.state = 'cancelled';
    render();
  });
  if (tty) timer = setInterval(render, 250);
  render();
  return () => {
    if (timer) clearInterval(timer);
    render();
  };
}
