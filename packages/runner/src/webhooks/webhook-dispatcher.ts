import { Webhook } from 'standardwebhooks';
import type { Agent } from 'undici';
import { backoffDelayMs, ConfigError, LeaseLostError, sleep, type Config, type Logger } from '@videoqa/core';
import {
  claimWebhookDeliveries,
  recordWebhookAttempt,
  WEBHOOKS_CHANNEL,
  type Db,
  type WebhookDelivery,
} from '@videoqa/storage-pg';
import { guardedAgent, webhookPolicy, type LookupAll } from '../outbound/address-guard.ts';
import { displayUrl } from '../outbound/url-download.ts';
import { sendWebhook } from './send-webhook.ts';

export interface WebhookDispatcherOptions {
  db: Db;
  config: Config;
  log: Logger;
  /** Deliveries sent at once by this process. */
  concurrency?: number;
  /** Injected DNS for tests of the guard. */
  lookup?: LookupAll;
}

/**
 * Sends the outbox: claims due deliveries (SKIP LOCKED, so every worker and API
 * process can run one), POSTs them signed, records each attempt, and schedules
 * retries with exponential backoff and jitter up to WEBHOOK_MAX_ATTEMPTS. Wakes on
 * the outbox trigger's NOTIFY, and polls every WEBHOOK_POLL_MS for retries that
 * come due. Delivery is at least once: a process that dies after sending but before
 * recording leaves the row to be claimed again when its lease expires, and the
 * receiver sees the same webhook-id twice.
 */
export class WebhookDispatcher {
  private readonly options: WebhookDispatcherOptions;
  private readonly signer: Webhook;
  private agent: Agent | undefined;
  private readonly abort = new AbortController();
  private loop: Promise<void> | undefined;
  private unlisten: (() => Promise<void>) | undefined;
  private wake: (() => void) | undefined;
  private notified = false;
  /** Attempts recorded by this dispatcher (for tests and metrics). */
  attemptsRecorded = 0;

  constructor(options: WebhookDispatcherOptions) {
    const secret = options.config.webhookSecret;
    if (!secret)
      throw new ConfigError([{ variable: 'WEBHOOK_SECRET', message: 'must be set (whsec_…) to send webhooks' }]);
    this.options = options;
    try {
      this.signer = new Webhook(secret);
    } catch {
      // The library's message could echo the secret: say only what is wrong.
      throw new ConfigError([{ variable: 'WEBHOOK_SECRET', message: 'is not a valid whsec_ base64 secret' }]);
    }
  }

  async start(): Promise<void> {
    this.agent = await guardedAgent(webhookPolicy(this.options.config, this.options.lookup), {
      connectTimeoutMs: this.options.config.webhookTimeoutMs,
    });
    this.unlisten = await this.options.db.listen(WEBHOOKS_CHANNEL, () => {
      this.notified = true;
      this.wake?.();
    });
    this.loop = this.run();
  }

  /** Stops claiming, lets attempts in flight finish (each is bounded by WEBHOOK_TIMEOUT_MS), and closes connections. */
  async stop(): Promise<void> {
    this.abort.abort();
    this.wake?.();
    await this.loop;
    await this.unlisten?.().catch(() => {});
    await this.agent?.close().catch(() => {});
  }

  private get workerId(): string {
    return this.options.config.workerId;
  }

  private async idle(ms: number): Promise<void> {
    if (this.notified) {
      this.notified = false;
      return;
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
    this.wake = undefined;
    this.notified = false;
  }

  private async run(): Promise<void> {
    const { db, config, log } = this.options;
    const signal = this.abort.signal;
    const limit = this.options.concurrency ?? 4;
    while (!signal.aborted) {
      let batch: WebhookDelivery[];
      try {
        batch = await claimWebhookDeliveries(db, {
          workerId: this.workerId,
          leaseMs: config.webhookTimeoutMs + 30_000,
          limit,
        });
      } catch (err) {
        log.warn({ err }, 'could not claim webhook deliveries; retrying');
        await sleep(config.webhookPollMs, signal).catch(() => {});
        continue;
      }
      if (batch.length === 0) {
        await this.idle(config.webhookPollMs);
        continue;
      }
      await Promise.all(batch.map((d) => this.deliver(d)));
    }
  }

  private async deliver(delivery: WebhookDelivery): Promise<void> {
    const { db, config, log } = this.options;
    const result = await sendWebhook(delivery, {
      signer: this.signer,
      dispatcher: this.agent!,
      timeoutMs: config.webhookTimeoutMs,
    });
    const retryDelayMs = backoffDelayMs(delivery.attempts, {
      baseMs: config.webhookRetryDelaySec * 1000,
      maxMs: config.webhookRetryDelayMaxSec * 1000,
    });
    const where = displayUrl(delivery.url);
    try {
      const status = await recordWebhookAttempt(db, {
        deliveryId: delivery.id,
        workerId: this.workerId,
        delivered: result.delivered,
        statusCode: result.statusCode,
        error: result.error,
        durationMs: result.durationMs,
        final: result.final,
        maxAttempts: config.webhookMaxAttempts,
        retryDelayMs,
      });
      this.attemptsRecorded++;
      const fields = {
        deliveryId: delivery.id,
        jobId: delivery.jobId,
        videoId: delivery.videoId,
        event: delivery.eventType,
        url: where,
        attempt: delivery.attempts,
        statusCode: result.statusCode,
      };
      if (status === 'delivered')
        log.info(
          fields,
          `WEBHOOK: ${delivery.eventType} for job ${delivery.jobId} delivered to ${where} (attempt ${delivery.attempts})`,
        );
      else if (status === 'failed')
        log.error(
          { ...fields, error: result.error },
          `WEBHOOK: ${delivery.eventType} for job ${delivery.jobId} to ${where} failed for good after ${delivery.attempts} attempt(s): ${result.error}`,
        );
      else
        log.warn(
          { ...fields, error: result.error, retryInMs: retryDelayMs },
          `WEBHOOK: ${delivery.eventType} for job ${delivery.jobId} to ${where} not delivered (${result.error}); retrying in ${Math.round(retryDelayMs / 1000)} s`,
        );
    } catch (err) {
      if (err instanceof LeaseLostError)
        log.warn({ deliveryId: delivery.id }, `webhook delivery ${delivery.id} was taken over by another process`);
      else
        log.warn(
          { err, deliveryId: delivery.id },
          `could not record webhook attempt for ${delivery.id}; it will be retried when its lease expires`,
        );
    }
  }
}

/**
 * A dispatcher when WEBHOOK_SECRET is set (webhooks are off otherwise), started.
 * WEBHOOK_URL without a secret fails at start, not at the first enqueue.
 */
export async function startWebhookDispatcher(
  options: WebhookDispatcherOptions,
): Promise<WebhookDispatcher | undefined> {
  if (!options.config.webhookSecret) {
    if (options.config.webhookUrl)
      throw new ConfigError([{ variable: 'WEBHOOK_SECRET', message: 'must be set (whsec_…) when WEBHOOK_URL is' }]);
    return undefined;
  }
  const dispatcher = new WebhookDispatcher(options);
  await dispatcher.start();
  const defaultUrl = options.config.webhookUrl ? displayUrl(options.config.webhookUrl) : null;
  options.log.info(
    { defaultUrl },
    `webhook delivery started (default URL: ${defaultUrl ?? 'none, only jobs that name one'})`,
  );
  return dispatcher;
}
