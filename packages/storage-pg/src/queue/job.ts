export type JobStatus = 'pending' | 'processing' | 'done' | 'failed' | 'cancelled';
/** 'process' runs the whole pipeline; 'transcribe' runs normalize + transcribe and fills jobs.transcription. */
export type JobKind = 'process' | 'transcribe';
export const JOB_KINDS: readonly JobKind[] = ['process', 'transcribe'];

export interface Job {
  id: string;
  videoId: string;
  kind: JobKind;
  status: JobStatus;
  attempts: number;
  /** null: the worker's WORKER_MAX_ATTEMPTS applies. */
  maxAttempts: number | null;
  runAt: Date;
  lockedBy: string | null;
  lockedUntil: Date | null;
  error: string | null;
  errorStack: string | null;
  transcription: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface JobRow {
  id: string;
  video_id: string;
  kind: JobKind;
  status: JobStatus;
  attempts: number;
  max_attempts: number | null;
  run_at: Date;
  locked_by: string | null;
  locked_until: Date | null;
  error: string | null;
  error_stack: string | null;
  transcription: string | null;
  created_at: Date;
  updated_at: Date;
}

export const JOB_COLUMNS =
  'id, video_id, kind, status, attempts, max_attempts, run_at, locked_by, locked_until, error, error_stack, transcription, created_at, updated_at';

export function jobFromRow(r: JobRow): Job {
  return {
    id: r.id,
    videoId: r.video_id,
    kind: r.kind,
    status: r.status,
    attempts: r.attempts,
    maxAttempts: r.max_attempts,
    runAt: r.run_at,
    lockedBy: r.locked_by,
    lockedUntil: r.locked_until,
    error: r.error,
    errorStack: r.error_stack,
    transcription: r.transcription,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/** The channel the jobs trigger notifies when a job becomes due. */
export const JOBS_CHANNEL = 'videoqa_jobs';
