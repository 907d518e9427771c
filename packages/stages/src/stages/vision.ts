import sharp from 'sharp';
import PQueue from 'p-queue';
import {
  captionId,
  isRetryable,
  resolveInDataDir,
  VideoqaError,
  type FrameRow,
  type ProviderFallback,
  type Stage,
  type VisionProvider,
} from '@videoqa/core';
import { reportFallbacks } from '../providers/fallbacks.ts';
import { visionFromConfig } from '../providers/from-config.ts';

export interface VisionOptions {
  /** Default: OpenAI from config. */
  provider?: VisionProvider;
  /** Longest side of the image sent (default 768: enough for text, cheap in tokens). */
  maxImageSide?: number;
  jpegQuality?: number;
}

export interface VisionData {
  captioned: number;
  alreadyCaptioned: number;
  duplicatesSkipped: number;
  /** How the provider degraded for its server (json_object instead of json_schema), when it did. */
  fallbacks?: ProviderFallback[];
}

/** One frame's failure, named, with the retryability of its cause. */
export class FrameVisionError extends VideoqaError {
  constructor(frame: FrameRow, cause: unknown) {
    super(
      'VISION_FRAME_FAILED',
      `vision failed on frame ${frame.id} (${frame.path}): ${(cause as Error)?.message ?? String(cause)}`,
      isRetryable(cause),
      {
        cause,
        details: { frameId: frame.id },
      },
    );
  }
}

/** A smaller JPEG for upload: fewer tokens, faster requests. */
export async function downscaleForVision(file: string, maxSide: number, quality: number): Promise<Buffer> {
  return sharp(file).resize(maxSide, maxSide, { fit: 'inside', withoutEnlargement: true }).jpeg({ quality }).toBuffer();
}

/**
 * vision: structured captions (caption, objects, on-screen text, UI controls,
 * people count) for frames that are not duplicates, VISION_MAX_CONCURRENT
 * requests at a time. Each caption is saved as it arrives, so after a failure
 * a retry only sends the frames still missing.
 */
export function visionStage(options: VisionOptions = {}): Stage<VisionData> {
  return {
    name: 'vision',
    after: ['frames'],
    // OCR text, when the ocr stage runs, is sent along as a hint for the on-screen text.
    afterIfPresent: ['ocr'],
    description: 'structured captions of non-duplicate frames',
    async run(ctx) {
      const resolved = options.provider ? { provider: options.provider } : visionFromConfig(ctx.config);
      if (!resolved.provider) return { skipped: `${resolved.missing}: vision skipped` };
      const provider = resolved.provider;
      const frames = await ctx.store.listFrames(ctx.video.id);
      const done = new Set((await ctx.store.listCaptions(ctx.video.id)).map((c) => c.frameId));
      const originals = frames.filter((f) => !f.duplicateOf);
      const todo = originals.filter((f) => !done.has(f.id));
      const ocrText = new Map((await ctx.store.listOcr(ctx.video.id)).map((o) => [o.frameId, o.text]));
      const queue = new PQueue({ concurrency: ctx.config.visionMaxConcurrent });
      let failure: FrameVisionError | undefined;
      let captioned = 0;
      const maxSide = options.maxImageSide ?? 768;
      const quality = options.jpegQuality ?? 80;

      for (const frame of todo) {
        queue.add(async () => {
          if (failure || ctx.signal.aborted) return;
          try {
            const image = await downscaleForVision(resolveInDataDir(ctx.paths.dataDir, frame.path), maxSide, quality);
            const res = await provider.describeFrame({
              image,
              mimeType: 'image/jpeg',
              ocrText: ocrText.get(frame.id),
              signal: ctx.signal,
            });
            await ctx.store.saveCaptions(ctx.video.id, [
              {
                id: captionId(frame.id),
                frameId: frame.id,
                videoId: ctx.video.id,
                caption: res.caption,
                entities: { ...res.entities },
              },
            ]);
            ctx.addUsage({
              requests: 1,
              inputTokens: res.usage?.inputTokens ?? 0,
              outputTokens: res.usage?.outputTokens ?? 0,
            });
            ctx.progress(++captioned, todo.length);
          } catch (err) {
            if (!failure && !ctx.signal.aborted) {
              failure = new FrameVisionError(frame, err);
              // Start nothing new; requests in flight finish and keep their captions.
              queue.clear();
            }
          }
        });
      }
      await queue.onIdle();
      ctx.signal.throwIfAborted();
      if (failure) throw failure;
      const fallbacks = reportFallbacks(provider, ctx.log);
      const data = {
        captioned,
        alreadyCaptioned: originals.length - todo.length,
        duplicatesSkipped: frames.length - originals.length,
        ...(fallbacks.length ? { fallbacks } : {}),
      };
      return {
        data,
        counts: {
          captions: captioned + data.alreadyCaptioned,
          sent: captioned,
          duplicatesSkipped: data.duplicatesSkipped,
        },
      };
    },
  };
}
