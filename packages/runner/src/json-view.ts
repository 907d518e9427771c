/**
 * JSON the user sees is snake_case, like the database columns, `process --json`, the
 * export document and the HTTP API. Counters keep the names their stage gave them
 * (`usage`, `counts`), and stage outputs and caption entities are data, not fields.
 */
const DATA_KEYS = new Set(['usage', 'counts', 'output', 'entities', 'data']);

const snake = (key: string) => key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();

/** A copy of `value` with snake_case keys (Dates as ISO strings), for `--json` output. */
export function toSnakeCaseJson(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(toSnakeCaseJson);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[snake(k)] = DATA_KEYS.has(k) ? v : toSnakeCaseJson(v);
  return out;
}
