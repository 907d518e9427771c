import { resolveInDataDir, sceneId, type SceneRow, type Stage } from '@videoqa/core';
import { cutsToScenes } from '../scenes/adaptive-detector.ts';
import { detectSceneCuts, type SceneDetectionOptions } from '../scenes/detect-scenes.ts';
import { scoreVideoFile } from '../scenes/score-video.ts';
import { readSceneScores } from '../scenes/scores-file.ts';
import { normalizedInput } from './normalized-input.ts';

export interface ScenesData {
  scenes: { tStart: number; tEnd: number }[];
  cuts: number[];
  /** The two detectors' cuts before merging (adaptive HSV; settled-content changes). */
  hsvCuts: number[];
  contentCuts: number[];
  fps: number;
}

/**
 * scenes: adaptive content detection (PySceneDetect's AdaptiveDetector, plus
 * flash rejection) merged with settled-content changes (slides, screen
 * recordings), over the scores normalize computed, falling back to decoding
 * the normalized video. Scenes cover the whole video without gaps.
 */
export function scenesStage(options: Partial<SceneDetectionOptions> = {}): Stage<ScenesData> {
  return {
    name: 'scenes',
    after: ['normalize'],
    description: 'scene boundaries: adaptive content detection plus settled-picture changes (slides, screens)',
    async run(ctx) {
      const input = normalizedInput(ctx, 'scenes');
      if (!input) return { skipped: 'the input has no video stream' };
      const { norm, durationSec } = input;
      let scores = norm?.sceneScoresPath
        ? await readSceneScores(resolveInDataDir(ctx.paths.dataDir, norm.sceneScoresPath))
        : null;
      if (!scores) {
        ctx.log.debug({}, 'no scene scores from normalize: decoding the normalized video');
        scores = await scoreVideoFile(input.file, {
          ffmpegPath: ctx.config.ffmpegPath,
          size: { width: norm?.width ?? 1280, height: norm?.height ?? 720 },
          fps: norm?.fps ?? 30,
          signal: ctx.signal,
          onProgress: (sec) => ctx.progress(sec, durationSec || undefined),
        });
      }
      const { cuts, hsvCuts, contentCuts } = detectSceneCuts(scores, {
        adaptiveThreshold: ctx.config.sceneThreshold,
        minContentVal: ctx.config.sceneMinContent,
        minSceneLen: ctx.config.sceneMinLenFrames,
        ...options,
      });
      const duration = durationSec > 0 ? durationSec : scores.frameCount / scores.fps;
      const spans = cutsToScenes(cuts, scores.fps, duration);
      const rows: SceneRow[] = spans.map((s, i) => ({
        id: sceneId(ctx.video.id, i),
        videoId: ctx.video.id,
        idx: i,
        tStart: s.tStart,
        tEnd: s.tEnd,
      }));
      await ctx.store.replaceScenes(ctx.video.id, rows);
      return {
        data: { scenes: spans, cuts, hsvCuts, contentCuts, fps: scores.fps },
        counts: { scenes: rows.length, framesAnalysed: scores.frameCount },
      };
    },
  };
}
