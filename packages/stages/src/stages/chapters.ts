import {
  type ProviderFallback,
  chapterId,
  type ChapterDraft,
  type ChapterRow,
  type ProviderUsage,
  type SummaryDraft,
  type ChapterSourceItem,
  type ChaptersProvider,
  type Stage,
  type StageContext,
} from '@videoqa/core';
import { pickKeyPoints, repairDraft, repairSummary, toSummaryDraft, type RepairContext } from '../chapters/repair.ts';
import { groupForMerge, planWindows } from '../chapters/windows.ts';
import { reportFallbacks } from '../providers/fallbacks.ts';
import { chaptersFromConfig } from '../providers/from-config.ts';

export interface ChaptersOptions {
  /** Default: OpenAI chat (OPENAI_CHAT_MODEL) from config. */
  provider?: ChaptersProvider;
}

export interface ChaptersData {
  chapters: number;
  keyPoints: number;
  tags: number;
  /** Windows the video was cut into (map requests). */
  windows: number;
  /** Merge (reduce) requests. */
  merges: number;
  /** What was fixed in the model's output (empty when nothing was). */
  repairs: string[];
  /** How the provider degraded for its server (json_object instead of json_schema), when it did. */
  fallbacks?: ProviderFallback[];
}

/** The summary of a stretch of the video, with the range it covers. */
type MergePart = SummaryDraft & { range_start: number; range_end: number };

/** What the model reads: transcript segments (with speakers), plus a caption per captioned scene. */
async function sourceItems(
  ctx: StageContext,
): Promise<{ items: ChapterSourceItem[]; sceneStarts: number[]; segmentStarts: number[] }> {
  const [segments, scenes, frames, captions] = await Promise.all([
    ctx.store.listSegments(ctx.video.id),
    ctx.store.listScenes(ctx.video.id),
    ctx.store.listFrames(ctx.video.id),
    ctx.store.listCaptions(ctx.video.id),
  ]);
  const items: ChapterSourceItem[] = segments.map((s) => ({
    start: s.tStart,
    end: s.tEnd,
    kind: 'speech',
    text: s.text,
    ...(s.speaker ? { speaker: s.speaker } : {}),
  }));
  const captionOf = new Map(captions.map((c) => [c.frameId, c.caption]));
  for (const scene of scenes) {
    // The scene's first captioned frame (a duplicate frame has no caption of its own).
    const caption = frames
      .filter((f) => f.sceneId === scene.id)
      .map((f) => captionOf.get(f.id))
      .find(Boolean);
    if (caption) items.push({ start: scene.tStart, end: scene.tEnd, kind: 'screen', text: caption });
  }
  items.sort((a, b) => a.start - b.start || (a.kind === b.kind ? 0 : a.kind === 'screen' ? -1 : 1));
  return { items, sceneStarts: scenes.map((s) => s.tStart), segmentStarts: segments.map((s) => s.tStart) };
}

/**
 * chapters: chapters (title, summary, time range), a summary paragraph with key points
 * and tags, written by a chat model from the transcript and scene captions. Videos whose
 * text exceeds CHAPTERS_TOKEN_BUDGET are drafted window by window and the drafts merged
 * (map-reduce), so every prompt stays bounded and requests grow linearly with length.
 * Every reply is repaired (clamped, sorted, snapped to scene starts, short chapters
 * merged) or rejected with CHAPTERS_INVALID; nothing unchecked is stored.
 */
export function chaptersStage(options: ChaptersOptions = {}): Stage<ChaptersData> {
  return {
    name: 'chapters',
    after: ['transcribe'],
    // Scenes give the boundaries chapters snap to, vision the on-screen captions: used when present.
    afterIfPresent: ['scenes', 'vision'],
    description: 'chapters, summary, key points and tags from the transcript and captions',
    async run(ctx) {
      if (!ctx.config.chaptersEnabled) return { skipped: 'CHAPTERS_ENABLED is false' };
      const resolved = options.provider ? { provider: options.provider } : chaptersFromConfig(ctx.config);
      if (!resolved.provider) return { skipped: `${resolved.missing}: chapters skipped` };
      const provider = resolved.provider;
      const { items, sceneStarts, segmentStarts } = await sourceItems(ctx);
      const durationSec =
        ctx.video.durationSec ?? ctx.outputs.get('normalize')?.durationSec ?? Math.max(0, ...items.map((i) => i.end));
      if (items.length === 0 || !(durationSec > 0)) {
        await ctx.store.replaceChapters(ctx.video.id, [], null);
        return { skipped: 'nothing to summarise: no transcript and no captions' };
      }
      const minChapterSec = ctx.config.chaptersMinSec;
      const budget = ctx.config.chaptersTokenBudget;
      const repairCtx = (rangeStart: number, rangeEnd: number): RepairContext => ({
        rangeStart,
        rangeEnd,
        minChapterSec,
        sceneStarts,
        segmentStarts,
      });
      const repairs: string[] = [];
      let model: string | null = provider.model ?? null;

      const windows = planWindows(items, durationSec, budget);
      let requestsDone = 0;
      // Map requests plus at most one merge per window beyond the first: the progress total.
      const expected = windows.length * 2 - 1;
      const counted = <T extends { usage?: ProviderUsage; model?: string }>(reply: T): T => {
        ctx.addUsage({
          requests: 1,
          inputTokens: reply.usage?.inputTokens ?? 0,
          outputTokens: reply.usage?.outputTokens ?? 0,
        });
        model = reply.model ?? model;
        ctx.progress(++requestsDone, expected);
        return reply;
      };

      // Map: one request per window, in order (sequential, so a long video does not add a
      // burst of requests beside vision's). Each reply is repaired against its own window.
      const chapters: ChapterDraft['chapters'] = [];
      let parts: MergePart[] = [];
      for (const w of windows) {
        ctx.signal.throwIfAborted();
        const reply = counted(
          await provider.draftChapters(
            {
              task: 'chapters',
              durationSec,
              rangeStart: w.rangeStart,
              rangeEnd: w.rangeEnd,
              minChapterSec,
              items: w.items,
            },
            { signal: ctx.signal },
          ),
        );
        const r = repairDraft(reply.draft, repairCtx(w.rangeStart, w.rangeEnd));
        repairs.push(...r.repairs);
        chapters.push(
          ...r.chapters.map((c) => ({ t_start: c.tStart, t_end: c.tEnd, title: c.title, summary: c.summary })),
        );
        parts.push({ ...toSummaryDraft(r), range_start: w.rangeStart, range_end: w.rangeEnd });
      }
      // Reduce: fold consecutive windows' summaries in groups that fit the budget until one is
      // left. Chapters are joined in code above, so merge prompts do not grow with the video.
      let merges = 0;
      while (parts.length > 1) {
        const next: MergePart[] = [];
        for (const group of groupForMerge(parts, budget)) {
          ctx.signal.throwIfAborted();
          const rangeStart = group[0]!.range_start;
          const rangeEnd = group.at(-1)!.range_end;
          const reply = counted(
            await provider.mergeSummaries(
              { task: 'merge', durationSec, rangeStart, rangeEnd, minChapterSec, parts: group },
              { signal: ctx.signal },
            ),
          );
          merges++;
          const r = repairSummary(reply.draft, { rangeStart, rangeEnd });
          repairs.push(...r.repairs);
          next.push({ ...toSummaryDraft(r), range_start: rangeStart, range_end: rangeEnd });
        }
        parts = next;
      }
      // The joined chapters once more against the whole video: window edges snap to scenes, short chapters merge.
      const final = repairDraft({ chapters, ...parts[0]! }, repairCtx(0, durationSec));
      repairs.push(...final.repairs);

      const rows: ChapterRow[] = final.chapters.map((c, i) => ({
        id: chapterId(ctx.video.id, i),
        videoId: ctx.video.id,
        idx: i,
        tStart: c.tStart,
        tEnd: c.tEnd,
        title: c.title,
        summary: c.summary,
      }));
      const keyPoints = pickKeyPoints(final.keyPoints);
      await ctx.store.replaceChapters(ctx.video.id, rows, {
        videoId: ctx.video.id,
        summary: final.summary,
        keyPoints,
        tags: final.tags,
        model,
      });
      const uniqueRepairs = [...new Set(repairs)];
      if (uniqueRepairs.length > 0)
        ctx.log.warn({ videoId: ctx.video.id, repairs: uniqueRepairs }, 'chapters: the model output was repaired');
      const fallbacks = reportFallbacks(provider, ctx.log);
      return {
        data: {
          chapters: rows.length,
          keyPoints: keyPoints.length,
          tags: final.tags.length,
          windows: windows.length,
          merges,
          repairs: uniqueRepairs,
          ...(fallbacks.length > 0 ? { fallbacks } : {}),
        },
        counts: { chapters: rows.length, keyPoints: keyPoints.length, windows: windows.length, requests: requestsDone },
      };
    },
  };
}
