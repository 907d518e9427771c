import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '@videoqa/core';
import { listenEvents, type Db, type VideoqaEvent } from '@videoqa/storage-pg';

interface Subscriber {
  res: ServerResponse;
  /** Only this video's events, when set. */
  videoId?: string;
}

/**
 * GET /v1/events: the database's job, stage and video events (NOTIFY videoqa_events, sent by
 * triggers whichever worker made the change) fanned out to Server-Sent-Events clients.
 * One LISTEN for all clients, opened with the first and kept until close(); every event is
 * one `id:` + `data:` message (the default "message" type, so `EventSource.onmessage` gets
 * all of them), with a comment line as heartbeat.
 */
export class EventStream {
  private readonly db: Db;
  private readonly heartbeatMs: number;
  private readonly log?: Logger;
  private readonly subscribers = new Set<Subscriber>();
  private listening: Promise<() => Promise<void>> | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(options: { db: Db; heartbeatMs: number; log?: Logger }) {
    this.db = options.db;
    this.heartbeatMs = options.heartbeatMs;
    this.log = options.log;
  }

  get clientCount(): number {
    return this.subscribers.size;
  }

  /** Opens the stream; resolves once the client is subscribed (events committed after that reach it). */
  async subscribe(req: IncomingMessage, res: ServerResponse, videoId?: string): Promise<void> {
    await this.ensureListening();
    // The stream is meant to stay open: the server's idle timeout would cut it between events.
    req.socket.setTimeout(0);
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      // nginx buffers responses by default, which would hold events back.
      'x-accel-buffering': 'no',
    });
    // `retry` tells EventSource how long to wait before reconnecting after a drop.
    res.write(`retry: 3000\n: subscribed${videoId ? ` to video ${videoId}` : ''}\n\n`);
    const sub: Subscriber = { res, videoId };
    this.subscribers.add(sub);
    res.on('close', () => this.subscribers.delete(sub));
  }

  private ensureListening(): Promise<unknown> {
    if (this.closed) return Promise.reject(new Error('event stream closed'));
    if (!this.listening) {
      this.listening = listenEvents(this.db, (e) => this.broadcast(e));
      // A failed LISTEN (database away) is retried by the next subscriber, not cached.
      this.listening.catch(() => (this.listening = undefined));
      this.heartbeat = setInterval(() => {
        for (const s of this.subscribers) s.res.write(': heartbeat\n\n');
      }, this.heartbeatMs);
      this.heartbeat.unref();
    }
    return this.listening;
  }

  private broadcast(event: VideoqaEvent): void {
    const message = `id: ${event.id}\ndata: ${JSON.stringify(event)}\n\n`;
    for (const s of this.subscribers) {
      if (s.videoId && s.videoId !== event.video_id) continue;
      s.res.write(message);
    }
    this.log?.debug({ event: event.type, videoId: event.video_id, clients: this.subscribers.size }, 'event sent');
  }

  /** Ends every client's stream and stops listening (server shutdown). */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.heartbeat);
    for (const s of this.subscribers) s.res.end();
    this.subscribers.clear();
    const unlisten = await this.listening?.catch(() => undefined);
    await unlisten?.();
  }
}
