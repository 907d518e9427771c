import type { Queryable } from '../db.ts';
import { DELIVERY_COLUMNS, deliveryFromRow, type WebhookDelivery, type WebhookDeliveryRow } from './delivery.ts';

export interface WebhookAttempt {
  attempt: number;
  attemptedAt: Date;
  workerId: string | null;
  statusCode: number | null;
  error: string | null;
  durationMs: number | null;
}

/** A job's webhook deliveries, oldest first, each with its attempts in order. */
export async function listWebhookDeliveries(
  db: Queryable,
  jobId: string,
): Promise<(WebhookDelivery & { attemptLog: WebhookAttempt[] })[]> {
  const deliveries = await db.query<WebhookDeliveryRow>(
    `SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries WHERE job_id = $1 ORDER BY created_at, id`,
    [jobId],
  );
  const attempts = await db.query<{
    delivery_id: string;
    attempt: number;
    attempted_at: Date;
    worker_id: string | null;
    status_code: number | null;
    error: string | null;
    duration_ms: number | null;
  }>(
    `SELECT a.delivery_id, a.attempt, a.attempted_at, a.worker_id, a.status_code, a.error, a.duration_ms
       FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id
      WHERE d.job_id = $1 ORDER BY a.delivery_id, a.attempt`,
    [jobId],
  );
  return deliveries.rows.map((r) => ({
    ...deliveryFromRow(r),
    attemptLog: attempts.rows
      .filter((a) => a.delivery_id === r.id)
      .map((a) => ({
        attempt: a.attempt,
        attemptedAt: new Date(a.attempted_at),
        workerId: a.worker_id,
        statusCode: a.status_code,
        error: a.error,
        durationMs: a.duration_ms,
      })),
  }));
}
