import type { Logger, PipelineEvents } from '@videoqa/core';

/** The seed's event word for each standard stage finishing. */
export const STAGE_EVENTS: Record<string, string> = {
  normalize: 'NORMALIZED',
  transcribe: 'TRANSCRIBED',
  scenes: 'SCENES',
  frames: 'FRAMES',
  ocr: 'OCR',
  vision: 'VISION',
  chapters: 'CHAPTERS',
  embeddings: 'EMBEDDINGS',
};

export const eventWord = (stage: string): string => STAGE_EVENTS[stage] ?? `STAGE ${stage.toUpperCase()}`;

function describeCounts(counts: Record<string, number>): string {
  return Object.entries(counts)
    .map(([k, v]) => `${v} ${k}`)
    .join(', ');
}

/** Logs each stage's end with the seed's event words (NORMALIZED, TRANSCRIBED, ...). */
export function logPipelineEvents(events: PipelineEvents, log: Logger, context: Record<string, unknown>): void {
  events.on('stage:done', (e) => {
    log.info(
      { ...context, stage: e.stage, durationMs: e.durationMs, counts: e.counts, usage: e.usage },
      `${eventWord(e.stage)}: ${e.stage} complete in ${(e.durationMs / 1000).toFixed(2)} s${Object.keys(e.counts).length ? ` (${describeCounts(e.counts)})` : ''}`,
    );
  });
  events.on('stage:skipped', (e) => {
    log.info(
      { ...context, stage: e.stage, reason: e.reason, resumed: e.resumed },
      `${eventWord(e.stage)}: ${e.stage} skipped (${e.reason})`,
    );
  });
  events.on('stage:error', (e) => {
    log.warn(
      { ...context, stage: e.stage, durationMs: e.durationMs, err: e.error },
      `${e.stage} failed after ${(e.durationMs / 1000).toFixed(2)} s: ${e.error.message}`,
    );
  });
}
