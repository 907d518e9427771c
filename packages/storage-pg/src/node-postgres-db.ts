import { DatabaseUnavailableError, isRetryable, redactUrl } from '@videoqa/core';
import pg from 'pg';
import type { Db, Queryable, QueryResult } from './db.ts';

export interface NodePostgresOptions {
  connectionString: string;
  /** Pool size (default 10). */
  max?: number;
  /** Called for errors on idle connections (a server restart, say); default: ignored, the pool reconnects. */
  onError?: (err: Error) => void;
  applicationName?: string;
}

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
]);

/** Connection-level failures become DatabaseUnavailableError (retryable); SQL errors pass through. */
function translate(err: unknown, url: string): unknown {
  if (!(err instanceof Error)) return err;
  const code = (err as { code?: string }).code;
  const connectionLost =
    /Connection terminated|connection timeout|Client has encountered a connection error|not queryable/i.test(
      err.message,
    );
  if ((code && (CONNECTION_CODES.has(code) || /^(08|57P0)/.test(code))) || connectionLost) {
    return new DatabaseUnavailableError(`${err.message} (${redactUrl(url)})`, { cause: err });
  }
  return err;
}

async function run<R>(
  client: pg.Pool | pg.PoolClient,
  text: string,
  params: readonly unknown[] | undefined,
  url: string,
): Promise<QueryResult<R>> {
  try {
    const res = await client.query(text, params as unknown[] | undefined);
    return { rows: res.rows as R[], rowCount: res.rowCount ?? 0 };
  } catch (err) {
    throw translate(err, url);
  }
}

/** A Db on a node-postgres pool. LISTEN uses its own connection, reconnecting after errors. */
export function createNodePostgresDb(options: NodePostgresOptions): Db {
  const url = options.connectionString;
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    application_name: options.applicationName ?? 'videoqa',
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
  });
  // Without listeners, a connection dropped by a server restart would crash the process:
  // the pool's for idle clients, and one on every client for errors pg emits outside a query.
  pool.on('error', (err) => options.onError?.(err));
  pool.on('connect', (client) => client.on('error', () => {}));
  const listeners = new Set<pg.Client>();

  const db: Db = {
    kind: 'postgres',
    query: (text, params) => run(pool, text, params, url),
    async exec(sql) {
      await run(pool, sql, undefined, url);
    },
    async transaction(fn) {
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (err) {
        throw translate(err, url);
      }
      // A checked-out client whose connection dies between queries emits 'error';
      // without a listener that would crash the process (a database restart).
      let broken = false;
      const onClientError = (err: Error) => {
        broken = true;
        options.onError?.(err);
      };
      client.on('error', onClientError);
      const tx: Queryable = {
        query: (text, params) => run(client, text, params, url),
        async exec(sql) {
          await run(client, sql, undefined, url);
        },
      };
      try {
        await tx.exec('BEGIN');
        const result = await fn(tx);
        await tx.exec('COMMIT');
        return result;
      } catch (err) {
        try {
          await client.query('ROLLBACK');
        } catch {
          broken = true;
        }
        throw err;
      } finally {
        client.off('error', onClientError);
        client.release(broken ? true : undefined);
      }
    },
    async listen(channel, onNotify) {
      if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new Error(`invalid channel name ${channel}`);
      let stopped = false;
      let client: pg.Client | undefined;
      let retryTimer: NodeJS.Timeout | undefined;
      const connect = async (): Promise<void> => {
        const c = new pg.Client({ connectionString: url, application_name: options.applicationName ?? 'videoqa' });
        c.on('notification', (msg) => {
          if (msg.channel === channel) onNotify(msg.payload ?? '');
        });
        // On a lost connection, reconnect after a pause; polling covers the gap.
        c.on('error', (err) => {
          options.onError?.(err);
          scheduleReconnect(c);
        });
        c.on('end', () => scheduleReconnect(c));
        try {
          await c.connect();
          await c.query(`LISTEN ${channel}`);
        } catch (err) {
          c.end().catch(() => {});
          throw translate(err, url);
        }
        client = c;
        listeners.add(c);
      };
      const scheduleReconnect = (c: pg.Client) => {
        listeners.delete(c);
        if (stopped || client !== c || retryTimer) return;
        client = undefined;
        retryTimer = setTimeout(() => {
          retryTimer = undefined;
          if (!stopped)
            connect().catch((err) => {
              options.onError?.(err as Error);
              if (!stopped && isRetryable(err)) scheduleReconnect(c);
            });
        }, 1000);
        retryTimer.unref();
      };
      await connect();
      return async () => {
        stopped = true;
        if (retryTimer) clearTimeout(retryTimer);
        const c = client;
        client = undefined;
        if (c) {
          listeners.delete(c);
          await c.end().catch(() => {});
        }
      };
    },
    async close() {
      await Promise.all([...listeners].map((c) => c.end().catch(() => {})));
      listeners.clear();
      await pool.end();
    },
  };
  return db;
}
