import type { Webhook } from 'standardwebhooks';
import type { Dispatcher } from 'undici';
import { errorCode, type OutboundErrorCode } from '@videoqa/core';
import type { WebhookDelivery } from '@videoqa/storage-pg';
import { loadUndici } from '../outbound/undici.ts';

export interface SendResult {
  delivered: boolean;
  statusCode: number | null;
  /** Why it was not delivered (never the secret: it is not in anything said here). */
  error: string | null;
  durationMs: number;
  /** Not worth retrying: the guard refused the target. */
  final: boolean;
}

/** The body as sent: the documented key order, whatever order the database stored. */
export function webhookBody(delivery: WebhookDelivery): string {
  const { type, timestamp, data } = delivery.payload;
  const { video_id, job_id, status, error } = data;
  return JSON.stringify({ type, timestamp, data: { video_id, job_id, status, ...(error != null ? { error } : {}) } });
}

/**
 * POSTs one delivery, signed per the Standard Webhooks spec by the `standardwebhooks`
 * package: `webhook-id` (the delivery id, the same on retries), `webhook-timestamp`
 * (this attempt, in seconds) and `webhook-signature` (v1, HMAC-SHA256 of
 * id.timestamp.body). Any 2xx is delivered; redirects are not followed (a receiver
 * must answer at the URL it gave).
 */
export async function sendWebhook(
  delivery: WebhookDelivery,
  options: { signer: Webhook; dispatcher: Dispatcher; timeoutMs: number },
): Promise<SendResult> {
  const { request } = await loadUndici();
  const body = webhookBody(delivery);
  const now = new Date();
  const started = performance.now();
  const headers = {
    'content-type': 'application/json',
    'user-agent': 'videoqa-webhooks',
    'webhook-id': delivery.id,
    'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
    'webhook-signature': options.signer.sign(delivery.id, now, body),
  };
  try {
    const res = await request(delivery.url, {
      method: 'POST',
      body,
      headers,
      dispatcher: options.dispatcher,
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    // The answer's body is not needed; read a little so the connection can be reused.
    await res.body.dump({ limit: 64 * 1024 }).catch(() => {});
    const delivered = res.statusCode >= 200 && res.statusCode < 300;
    return {
      delivered,
      statusCode: res.statusCode,
      error: delivered ? null : `HTTP ${res.statusCode}`,
      durationMs: performance.now() - started,
      final: false,
    };
  } catch (err) {
    const code = errorCode(err);
    const timedOut = (err as Error).name === 'TimeoutError';
    const message = timedOut
      ? `no answer within WEBHOOK_TIMEOUT_MS (${options.timeoutMs} ms)`
      : `${code}: ${(err as Error).message}`;
    return {
      delivered: false,
      statusCode: null,
      error: message.slice(0, 1000),
      durationMs: performance.now() - started,
      final: code === ('URL_NOT_ALLOWED' satisfies OutboundErrorCode),
    };
  }
}
