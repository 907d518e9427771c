import type { Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A JSON reply that no cache keeps (both servers answer state that changes). */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

/**
 * Listens and returns the server's URL; rejects on a listen error (a port in use) instead
 * of emitting it, so the caller can close what it opened and print one line.
 */
export async function listenOn(server: Server, port: number, host: string): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  return `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
}
