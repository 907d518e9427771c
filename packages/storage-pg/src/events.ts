import type { Db } from './db.ts';

/** The NOTIFY channel the job, stage and video triggers (migration 8) publish on. */
export const EVENTS_CHANNEL = 'videoqa_events';

/** What a job, stage or video went through; the payload of one NOTIFY on EVENTS_CHANNEL. */
export interface VideoqaEvent {
  /** Increasing across the database (a sequence); gaps are normal. */
  id: number;
  /**
   * job.queued | job.claimed | job.retrying | job.done | job.failed |
   * stage.started | stage.done | stage.skipped | stage.failed | stage.cancelled |
   * video.created | video.pending | video.processing | video.ready | video.failed
   */
  type: string;
  video_id: string;
  job_id: string | null;
  stage: string | null;
  status: string;
  /** The first 500 characters of the error, for failures. */
  error: string | null;
  at: string;
}

/**
 * Calls onEvent for every event any process commits (workers elsewhere included); the
 * returned function stops listening. A payload that is not an event is ignored.
 */
export function listenEvents(db: Db, onEvent: (event: VideoqaEvent) => void): Promise<() => Promise<void>> {
  return db.listen(EVENTS_CHANNEL, (payload) => {
    let event: VideoqaEvent;
    try {
      event = JSON.parse(payload) as VideoqaEvent;
    } catch {
      return;
    }
    if (typeof event?.type === 'string' && typeof event.video_id === 'string') onEvent(event);
  });
}
