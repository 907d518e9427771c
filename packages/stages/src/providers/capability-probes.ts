import sharp from 'sharp';
import {
  aiEndpoint,
  AI_CAPABILITIES,
  ProviderError,
  type AiCapability,
  type Config,
  type ProviderFallback,
} from '@videoqa/core';
import { chatFromConfig, embeddingsFromConfig, transcriptionFromConfig, visionFromConfig } from './from-config.ts';

/** What one cheap real request to a capability's endpoint showed. */
export interface CapabilityProbe {
  capability: AiCapability;
  /** Where the request went and with which model, for the report (never a key). */
  endpoint: string;
  model: string;
  /** Not configured (no key and no own base URL): nothing was sent. */
  skipped?: string;
  ok: boolean;
  /** What worked, or the error. */
  detail: string;
  /** Embeddings: the size the model returned. */
  measuredDimensions?: number;
  fallbacks: ProviderFallback[];
  /** The variable prefix of the capability's own settings. */
  envPrefix: string;
}

/** One second of a 440 Hz tone as a 16 kHz mono WAV: the smallest real audio to transcribe. */
export function toneWav(seconds = 1, rate = 16_000): Uint8Array {
  const samples = Math.round(seconds * rate);
  const wav = Buffer.alloc(44 + samples * 2);
  wav.write('RIFF', 0);
  wav.writeUInt32LE(36 + samples * 2, 4);
  wav.write('WAVEfmt ', 8);
  wav.writeUInt32LE(16, 16);
  wav.writeUInt16LE(1, 20);
  wav.writeUInt16LE(1, 22);
  wav.writeUInt32LE(rate, 24);
  wav.writeUInt32LE(rate * 2, 28);
  wav.writeUInt16LE(2, 32);
  wav.writeUInt16LE(16, 34);
  wav.write('data', 36);
  wav.writeUInt32LE(samples * 2, 40);
  for (let i = 0; i < samples; i++)
    wav.writeInt16LE(Math.round(Math.sin((2 * Math.PI * 440 * i) / rate) * 8000), 44 + i * 2);
  return new Uint8Array(wav);
}

const probeConfig = (config: Config): Config => ({
  ...config,
  // Quick answers: a doctor should not wait two minutes or retry four times per capability.
  openaiTimeoutMs: Math.min(config.openaiTimeoutMs, 20_000),
  openaiMaxRetries: Math.min(config.openaiMaxRetries, 1),
  transcriptionTimeoutMs: config.transcriptionTimeoutMs && Math.min(config.transcriptionTimeoutMs, 20_000),
  visionTimeoutMs: config.visionTimeoutMs && Math.min(config.visionTimeoutMs, 20_000),
  embeddingTimeoutMs: config.embeddingTimeoutMs && Math.min(config.embeddingTimeoutMs, 20_000),
  chatTimeoutMs: config.chatTimeoutMs && Math.min(config.chatTimeoutMs, 20_000),
  transcriptionMaxRetries: config.transcriptionMaxRetries && Math.min(config.transcriptionMaxRetries, 1),
  visionMaxRetries: config.visionMaxRetries && Math.min(config.visionMaxRetries, 1),
  embeddingMaxRetries: config.embeddingMaxRetries && Math.min(config.embeddingMaxRetries, 1),
  chatMaxRetries: config.chatMaxRetries && Math.min(config.chatMaxRetries, 1),
});

/**
 * One cheap real request per capability, each to its own endpoint (not GET /models, which
 * many compatible servers lack): a tone transcribed, a tiny generated image described, one
 * word embedded (its size measured), one question answered from one passage.
 */
export async function probeCapabilities(input: Config): Promise<CapabilityProbe[]> {
  const config = probeConfig(input);
  return Promise.all(AI_CAPABILITIES.map((capability) => probeOne(config, capability)));
}

async function probeOne(config: Config, capability: AiCapability): Promise<CapabilityProbe> {
  const endpoint = aiEndpoint(config, capability);
  const base: Omit<CapabilityProbe, 'ok' | 'detail'> = {
    capability,
    endpoint: endpoint.baseUrl ?? 'https://api.openai.com/v1',
    model: endpoint.model,
    fallbacks: [],
    envPrefix: endpoint.envPrefix,
  };
  if (capability === 'transcription' && config.transcriptionProvider === 'supadata') {
    return {
      ...base,
      endpoint: config.supadataBaseUrl,
      model: 'supadata',
      ok: true,
      skipped: 'TRANSCRIPTION_PROVIDER=supadata (fetches media by URL; not probed)',
      detail: 'not probed',
    };
  }
  if (!endpoint.enabled)
    return {
      ...base,
      ok: true,
      skipped: `no key: set OPENAI_API_KEY, or ${endpoint.envPrefix}_BASE_URL (and _API_KEY if the server needs one)`,
      detail: 'not configured',
    };
  let provider: object | undefined;
  const fallbacksOf = () => [
    ...((provider as { fallbacks?: readonly ProviderFallback[] } | undefined)?.fallbacks ?? []),
  ];
  try {
    let detail: string;
    let measuredDimensions: number | undefined;
    if (capability === 'transcription') {
      const p = transcriptionFromConfig(config).provider!;
      provider = p;
      const res = await p.transcribe({ audio: toneWav(), fileName: 'doctor.wav', durationSec: 1 });
      detail = `a 1 s test tone was transcribed (${res.segments.length} segment(s))`;
    } else if (capability === 'vision') {
      const p = visionFromConfig(config).provider!;
      provider = p;
      const image = await sharp({
        create: { width: 64, height: 64, channels: 3, background: { r: 30, g: 60, b: 220 } },
      })
        .png()
        .toBuffer();
      const res = await p.describeFrame({ image: new Uint8Array(image), mimeType: 'image/png' });
      detail = `a 64×64 test image was described ("${res.caption.slice(0, 60)}")`;
    } else if (capability === 'embeddings') {
      const p = embeddingsFromConfig(config).provider!;
      provider = p;
      try {
        const res = await p.embed(['videoqa doctor']);
        measuredDimensions = res.vectors[0]?.length;
      } catch (err) {
        // The provider refuses vectors of another size than configured: that size is the measurement.
        const size = err instanceof ProviderError ? /has (\d+) dimensions/.exec(err.message)?.[1] : undefined;
        if (!size) throw err;
        measuredDimensions = Number(size);
      }
      detail = `one word embedded: ${measuredDimensions} dimensions`;
    } else {
      const p = chatFromConfig(config).provider!;
      provider = p;
      const reply = await p.answer({
        question: 'What colour is the car?',
        passages: [
          {
            id: 'doctor:segment:0.0',
            videoId: 'doctor',
            kind: 'segment',
            tStart: 0,
            tEnd: 2,
            text: 'The car is red.',
            score: 1,
            sources: [],
          },
        ],
      });
      detail = `a one-passage question was answered (found: ${reply.found})`;
    }
    return { ...base, ok: true, detail, measuredDimensions, fallbacks: fallbacksOf() };
  } catch (err) {
    return { ...base, ok: false, detail: (err as Error).message, fallbacks: fallbacksOf() };
  }
}
