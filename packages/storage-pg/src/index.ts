export type { Db, Queryable, QueryResult } from './db.ts';
export { createNodePostgresDb, type NodePostgresOptions } from './node-postgres-db.ts';
export { createPgliteDb, type PgliteDb, type PgliteOptions } from './pglite-db.ts';
export { openDatabase, DatabaseInUseError, type OpenDatabaseOptions } from './open-database.ts';
export {
  migrate,
  schemaVersion,
  vectorColumnsInUse,
  EMBEDDING_DIMENSIONS,
  LATEST_SCHEMA_VERSION,
  type MigrateResult,
  type MigrateOptions,
} from './migrate.ts';
export {
  anyEmbeddingStored,
  clearVideoEmbeddings,
  embeddingColumns,
  EmbeddingDimensionsMismatchError,
  HNSW_MAX_DIMENSIONS,
  resetEmbeddingColumns,
  storedEmbeddingDimensions,
} from './embedding-dimensions.ts';
export { migrations, type Migration, type MigrationContext } from './migrations/index.ts';
export { PgStore, embeddingLiteral } from './pg-store.ts';
export { searchContent, SEARCH_KINDS, type SearchHit, type SearchOptions, type SearchKind } from './search.ts';
export {
  findVideoByContent,
  listVideos,
  setVideoContentHash,
  type ListVideosOptions,
  type VideoSummary,
} from './videos.ts';
export { setVideoSourceUrl, getVideoSourceUrl } from './video-source.ts';
// Row mapping (JobRow, JOB_COLUMNS, jobFromRow, the delivery equivalents) stays inside the package.
export { JOB_KINDS, type Job, type JobKind, type JobStatus } from './queue/job.ts';
export {
  WEBHOOKS_CHANNEL,
  type WebhookDelivery,
  type WebhookDeliveryStatus,
  type WebhookEventType,
  type WebhookPayload,
} from './webhooks/delivery.ts';
export { claimWebhookDeliveries, type ClaimWebhookOptions } from './webhooks/claimWebhookDeliveries.ts';
export { recordWebhookAttempt, type WebhookAttemptOutcome } from './webhooks/recordWebhookAttempt.ts';
export { listWebhookDeliveries, type WebhookAttempt } from './webhooks/listWebhookDeliveries.ts';
export { claimJob, type ClaimOptions } from './queue/claimJob.ts';
export { completeJob } from './queue/completeJob.ts';
export { failJob, type FailJobOptions } from './queue/failJob.ts';
export { renewLease } from './queue/renewLease.ts';
export { releaseJob } from './queue/releaseJob.ts';
export { retryJob } from './queue/retryJob.ts';
export { enqueueJob, type EnqueueOptions } from './queue/enqueueJob.ts';
export { activeJobForVideo, getJob, listJobsForVideo } from './queue/getJob.ts';
export { queueStats, peekJobs, type QueueStats } from './queue/queueStats.ts';
export { createJobNotifier, type JobNotifier } from './queue/jobNotifier.ts';
export { setExternalJobState, type ExternalJobState } from './queue/externalJobState.ts';
export {
  retrievePassages,
  captionText,
  estimateTokens,
  type RetrieveOptions,
  type RetrievedPassages,
} from './passages.ts';
export { ask, type AskOptions, type AskResult } from './ask.ts';
export {
  askUsageSummary,
  questionHash,
  recordAskUsage,
  type AskOutcome,
  type AskUsageRecord,
  type AskUsageSummary,
} from './ask-usage.ts';
export { EVENTS_CHANNEL, listenEvents, type VideoqaEvent } from './events.ts';
export { cancelJob, acknowledgeCancel, jobStillHeld, CANCEL_CHANNEL, type CancelResult } from './queue/cancelJob.ts';
export {
  databaseSize,
  deleteVideoRows,
  mediaDueForRemoval,
  removeMediaIfIdle,
  videoMediaStates,
  videoRowUsage,
  videoTables,
  type DeletedVideoRows,
  type MediaKind,
  type RowUsage,
  type VideoMediaState,
} from './lifecycle.ts';
