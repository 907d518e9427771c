import { LeaseLostError } from '@videoqa/core';
import type { Queryable } from '../db.ts';
import type { WebhookDeliveryStatus } from './delivery.ts';

export interface WebhookAttemptOutcome {
  deliveryId: string;
  workerId: string;
  /** The receiver answered 2xx. */
  delivered: boolean;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
  /** Give up now whatever the count (a refused URL will not become allowed by waiting). */
  final: boolean;
  maxAttempts: number;
  /** Delay before the next attempt (exponential backoff with jitter, computed by the caller). */
  retryDelayMs: number;
}

/**
 * Records one attempt and moves the delivery on, only if this dispatcher still holds
 * it: delivered, pending again after the backoff, or failed once attempts run out.
 * The attempt row and the state change are one statement.
 */
export async function recordWebhookAttempt(db: Queryable, o: WebhookAttemptOutcome): Promise<WebhookDeliveryStatus> {
  const res = await db.query<{ status: WebhookDeliveryStatus }>(
    `WITH d AS (
       UPDATE webhook_deliveries
          SET status = CASE WHEN $3 THEN 'delivered' WHEN $7 OR attempts >= $8 THEN 'failed' ELSE 'pending' END,
              next_attempt_at = CASE WHEN $3 OR $7 OR attempts >= $8 THEN next_attempt_at ELSE now() + $9 * interval '1 millisecond' END,
              delivered_at = CASE WHEN $3 THEN now() ELSE NULL END,
              last_status_code = $4, last_error = $5, locked_by = NULL, locked_until = NULL, updated_at = now()
        WHERE id = $1 AND locked_by = $2 AND status = 'delivering'
        RETURNING id, attempts, status
     ), a AS (
       INSERT INTO webhook_attempts (delivery_id, attempt, worker_id, status_code, error, duration_ms)
       SELECT id, attempts, $2, $4, $5, $6 FROM d
     )
     SELECT status FROM d`,
    [
      o.deliveryId,
      o.workerId,
      o.delivered,
      o.statusCode,
      o.error,
      Math.round(o.durationMs),
      o.final,
      o.maxAttempts,
      Math.max(0, Math.round(o.retryDelayMs)),
    ],
  );
  const status = res.rows[0]?.status;
  if (!status) throw new LeaseLostError(o.deliveryId, o.workerId);
  return status;
}
