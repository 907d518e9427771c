import sharp from 'sharp';
import { instance, type JsonSchema } from './json-schema.ts';
import type { Malformed } from './types.ts';

const COLOUR_NAMES: [string, [number, number, number]][] = [
  ['black', [0, 0, 0]],
  ['white', [255, 255, 255]],
  ['grey', [128, 128, 128]],
  ['red', [220, 30, 30]],
  ['green', [30, 160, 60]],
  ['blue', [30, 60, 220]],
  ['yellow', [230, 220, 40]],
  ['magenta', [200, 40, 200]],
  ['cyan', [40, 200, 220]],
  ['orange', [240, 140, 30]],
];

/** A deterministic description of an image: its dominant colour and brightness. */
async function describeImage(
  image: Buffer,
): Promise<{ colour: string; brightness: number; width: number; height: number }> {
  const stats = await sharp(image).stats();
  const meta = await sharp(image).metadata();
  const mean = stats.channels.slice(0, 3).map((c) => c.mean) as [number, number, number];
  const [colour] = COLOUR_NAMES.reduce((best, cur) => {
    const d = (c: [number, number, number]) => (c[0] - mean[0]) ** 2 + (c[1] - mean[1]) ** 2 + (c[2] - mean[2]) ** 2;
    return d(cur[1]) < d(best[1]) ? cur : best;
  });
  return {
    colour,
    brightness: Math.round(((mean[0] + mean[1] + mean[2]) / 3 / 255) * 100),
    width: meta.width ?? 0,
    height: meta.height ?? 0,
  };
}

/**
 * The reply to any other structured request, in practice a keyframe caption: the schema
 * filled in, with the caption and entities taken from the first image's colours, so
 * tests can tell frames apart without a vision model.
 */
export async function visionAnswer(schema: JsonSchema, images: Buffer[], malformed?: Malformed): Promise<string> {
  const seen = images[0] ? await describeImage(images[0]) : undefined;
  const value = instance(schema, schema, (path) => {
    if (path === 'caption')
      return seen
        ? `A frame with mostly ${seen.colour} tones at ${seen.brightness}% brightness (${seen.width}x${seen.height})`
        : 'No image was given';
    if (path === 'entities.objects') return seen ? [`${seen.colour} area`] : [];
    if (path === 'entities.text') return [];
    if (path === 'entities.controls') return [];
    if (path === 'entities.people_count') return 0;
    return undefined;
  });
  return JSON.stringify(malformed === 'schema' ? { caption: 42, entities: 'none' } : value);
}
