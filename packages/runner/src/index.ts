export {
  createVideoqa,
  type CreateVideoqaOptions,
  type Videoqa,
  type VideoqaProviders,
  type ProcessOptions,
  type EnqueueOptions,
  type ClientSearchOptions,
} from './client.ts';
export {
  buildVideoExport,
  exportVideo,
  exportToMarkdown,
  chapterLines,
  EXPORT_FORMATS,
  type ExportFormat,
  type VideoExport,
} from './export.ts';
export { Worker, type WorkerOptions } from './worker.ts';
export type { ClaimedJob, JobSource } from './job-source.ts';
export { PostgresJobSource } from './postgres-job-source.ts';
export { JobPoller, type JobPollerOptions } from './job-poller.ts';
export { RedisJobSource } from './redis-job-source.ts';
export { createJobSource, type EnqueuingJobSource } from './job-sources.ts';
export { startDevServer, type DevServer, type DevServerOptions } from './dev-http.ts';
export { WorkerMetrics, renderMetrics } from './metrics.ts';
export { createLogger, formatTextLine, scrub, type LoggerOptions, type VideoqaLogger } from './logging.ts';
export { logPipelineEvents, STAGE_EVENTS, eventWord } from './pipeline-log.ts';
export { openRuntime, type Runtime, type OpenRuntimeOptions } from './runtime.ts';
export { showProgress } from './progress.ts';
export { main } from './main.ts';
export { EXIT, exitCodeFor } from './commands.ts';
export { startApiServer, type ApiServer, type ApiServerOptions } from './api-http.ts';
export {
  cancelJobById,
  collectGarbage,
  deleteVideo,
  diskUsage,
  startRetentionTimer,
  USAGE_KINDS,
  type CancelView,
  type DeleteOptions,
  type DeleteResult,
  type GcResult,
  type LifecycleContext,
  type StorageUsage,
  type UsageKind,
  type VideoUsage,
} from './lifecycle.ts';
export {
  classifyAddress,
  addressAllowed,
  resolveAllowed,
  assertUrlAllowed,
  checkOutboundUrl,
  guardedAgent,
  parseAllowCidrs,
  ingestPolicy,
  webhookPolicy,
  type AddressPolicy,
  type AddressVerdict,
  type LookupAll,
  type ResolvedAddress,
} from './outbound/address-guard.ts';
export { downloadVideo, displayUrl, type DownloadOptions, type DownloadResult } from './outbound/url-download.ts';
export { isHttpUrl, fileNameFromUrl } from './outbound/url-ingest.ts';
export {
  WebhookDispatcher,
  startWebhookDispatcher,
  type WebhookDispatcherOptions,
} from './webhooks/webhook-dispatcher.ts';
export { sendWebhook, webhookBody, type SendResult } from './webhooks/send-webhook.ts';
