import type { QueueStats } from '@videoqa/storage-pg';

/** Counters the worker keeps for /metrics. */
export class WorkerMetrics {
  readonly startedAt = Date.now();
  active = 0;
  readonly jobs = { done: 0, failed: 0, retried: 0, released: 0, cancelled: 0 };
  readonly stageSeconds = new Map<string, { sum: number; count: number }>();
  claimErrors = 0;

  observeStage(stage: string, durationMs: number): void {
    const s = this.stageSeconds.get(stage) ?? { sum: 0, count: 0 };
    s.sum += durationMs / 1000;
    s.count++;
    this.stageSeconds.set(stage, s);
  }
}

const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

/** Prometheus text exposition (format 0.0.4). */
export function renderMetrics(stats: QueueStats | null, m: WorkerMetrics): string {
  const lines: string[] = [];
  const metric = (name: string, type: string, help: string, samples: [Record<string, string>, number][]) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of samples) {
      const l = Object.entries(labels)
        .map(([k, v]) => `${k}="${esc(v)}"`)
        .join(',');
      lines.push(`${name}${l ? `{${l}}` : ''} ${Number.isFinite(value) ? value : 0}`);
    }
  };
  if (stats) {
    metric(
      'videoqa_jobs',
      'gauge',
      'Jobs in the queue by status.',
      (['pending', 'processing', 'done', 'failed'] as const).map((s) => [{ status: s }, stats.jobs[s]]),
    );
    metric(
      'videoqa_videos',
      'gauge',
      'Videos by status.',
      (['pending', 'processing', 'ready', 'failed'] as const).map((s) => [{ status: s }, stats.videos[s]]),
    );
    metric('videoqa_oldest_pending_job_age_seconds', 'gauge', 'How long the oldest due job has waited.', [
      [{}, stats.oldestPendingAgeSec],
    ]);
    metric('videoqa_scheduled_retries', 'gauge', 'Pending jobs waiting out a retry backoff.', [
      [{}, stats.scheduledRetries],
    ]);
  }
  metric('videoqa_worker_active_jobs', 'gauge', 'Jobs this worker is running now.', [[{}, m.active]]);
  metric(
    'videoqa_worker_jobs_total',
    'counter',
    'Jobs this worker finished, by outcome.',
    Object.entries(m.jobs).map(([k, v]) => [{ outcome: k }, v]),
  );
  metric('videoqa_worker_claim_errors_total', 'counter', 'Failed attempts to claim a job (database trouble).', [
    [{}, m.claimErrors],
  ]);
  lines.push(
    '# HELP videoqa_stage_duration_seconds Time spent in each stage.',
    '# TYPE videoqa_stage_duration_seconds summary',
  );
  for (const [stage, s] of m.stageSeconds)
    lines.push(
      `videoqa_stage_duration_seconds_sum{stage="${esc(stage)}"} ${s.sum}`,
      `videoqa_stage_duration_seconds_count{stage="${esc(stage)}"} ${s.count}`,
    );
  metric('videoqa_worker_uptime_seconds', 'gauge', 'Seconds since the worker started.', [
    [{}, (Date.now() - m.startedAt) / 1000],
  ]);
  return `${lines.join('\n')}\n`;
}
