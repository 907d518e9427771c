export type WebhookEventType = 'video.ready' | 'video.failed';
export type WebhookDeliveryStatus = 'pending' | 'delivering' | 'delivered' | 'failed';

/** The body a receiver gets (snake_case, like the rest of the API). */
export interface WebhookPayload {
  type: WebhookEventType;
  /** ISO 8601, when the job finished. */
  timestamp: string;
  data: { video_id: string; job_id: string; status: 'ready' | 'failed'; error?: string };
}

/** One event for one URL: the outbox row. Its id is the `webhook-id` header, the same on every attempt. */
export interface WebhookDelivery {
  id: string;
  jobId: string;
  videoId: string;
  eventType: WebhookEventType;
  url: string;
  payload: WebhookPayload;
  status: WebhookDeliveryStatus;
  /** Attempts started so far (counted when claimed). */
  attempts: number;
  nextAttemptAt: Date;
  lastStatusCode: number | null;
  lastError: string | null;
  deliveredAt: Date | null;
  createdAt: Date;
}

export interface WebhookDeliveryRow {
  id: string;
  job_id: string;
  video_id: string;
  event_type: WebhookEventType;
  url: string;
  payload: WebhookPayload;
  status: WebhookDeliveryStatus;
  attempts: number;
  next_attempt_at: Date;
  last_status_code: number | null;
  last_error: string | null;
  delivered_at: Date | null;
  created_at: Date;
}

export const DELIVERY_COLUMNS =
  'id, job_id, video_id, event_type, url, payload, status, attempts, next_attempt_at, last_status_code, last_error, delivered_at, created_at';

export function deliveryFromRow(r: WebhookDeliveryRow): WebhookDelivery {
  return {
    id: r.id,
    jobId: r.job_id,
    videoId: r.video_id,
    eventType: r.event_type,
    url: r.url,
    // node-postgres parses jsonb; keep the documented key order whatever the driver gives
    payload: typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload,
    status: r.status,
    attempts: r.attempts,
    nextAttemptAt: new Date(r.next_attempt_at),
    lastStatusCode: r.last_status_code,
    lastError: r.last_error,
    deliveredAt: r.delivered_at ? new Date(r.delivered_at) : null,
    createdAt: new Date(r.created_at),
  };
}

/** The channel the outbox trigger notifies when an event is written. */
export const WEBHOOKS_CHANNEL = 'videoqa_webhooks';
