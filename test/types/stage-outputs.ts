// Compiled by test/types.test.ts with tsc: each line either type-checks or, when the line
// above it expects an error, must fail to. Typed stage outputs without casts, and a plugin entry.
import { defineStage, runPipeline, type StageContext } from '@videoqa/core';
import { defaultStages, type NormalizeData, type ScenesData } from '@videoqa/stages';

declare module '@videoqa/core' {
  interface StageOutputs {
    loudness: { lufs: number | null };
  }
}

export const loudness = defineStage({
  name: 'loudness',
  after: ['normalize'],
  async run(ctx: StageContext) {
    const norm = ctx.outputs.get('normalize'); // NormalizeData | undefined, no cast
    const hasAudio: boolean | undefined = norm?.hasAudio;
    // @ts-expect-error: NormalizeData has no field "lufs"
    void norm?.lufs;
    const other: unknown = ctx.outputs.get('not-a-stage'); // any other name is unknown
    void other;
    return { data: { lufs: hasAudio ? -23 : null } };
  },
});

export const wrongData = defineStage({
  name: 'loudness',
  // @ts-expect-error: a stage named "loudness" must return StageOutputs['loudness']
  async run() {
    return { data: { lufs: 'loud' } };
  },
});

export async function readResults(): Promise<void> {
  const result = await runPipeline({ video: 'clip.mp4', stages: [...defaultStages(), loudness] });
  const scenes: ScenesData | undefined = result.stages.scenes?.data;
  const norm: NormalizeData | undefined = result.stages.normalize?.data;
  const lufs: number | null | undefined = result.stages.loudness?.data?.lufs;
  // @ts-expect-error: scenes data is not a string
  const wrong: string | undefined = result.stages.scenes?.data;
  void [scenes, norm, lufs, wrong];
}
