import type { Queryable } from '../db.ts';
import { DELIVERY_COLUMNS, deliveryFromRow, type WebhookDelivery, type WebhookDeliveryRow } from './delivery.ts';

export interface ClaimWebhookOptions {
  workerId: string;
  /** How long the claim holds; a dispatcher that dies is replaced once it expires. */
  leaseMs: number;
  limit: number;
}

/**
 * Claims due deliveries in one statement: pending ones whose time has come, and ones
 * whose dispatcher died mid-attempt (lease expired). Rows others are claiming are
 * skipped, never waited for; each claim counts an attempt.
 */
export async function claimWebhookDeliveries(db: Queryable, options: ClaimWebhookOptions): Promise<WebhookDelivery[]> {
  const res = await db.query<WebhookDeliveryRow>(
    `WITH due AS (
       SELECT id FROM webhook_deliveries
        WHERE (status = 'pending' AND next_attempt_at <= now())
           OR (status = 'delivering' AND locked_until < now())
        ORDER BY next_attempt_at, created_at
        LIMIT $3
        FOR UPDATE SKIP LOCKED
     )
     UPDATE webhook_deliveries d
        SET status = 'delivering', attempts = d.attempts + 1, locked_by = $1,
            locked_until = now() + $2 * interval '1 millisecond', updated_at = now()
       FROM due WHERE d.id = due.id
     RETURNING ${DELIVERY_COLUMNS.split(', ')
       .map((c) => `d.${c}`)
       .join(', ')}`,
    [options.workerId, options.leaseMs, options.limit],
  );
  return res.rows.map(deliveryFromRow);
}
