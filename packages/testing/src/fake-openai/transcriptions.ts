import { diarize, medianPitchHz, type KnownVoice } from '../fake-diarize.ts';
import { decodeToPcm, detectSpeech, PCM_RATE } from '../speech-regions.ts';
import { HttpError } from './http-error.ts';
import { DIARIZE_MODEL, TRANSCRIPTION_MODELS } from './models.ts';
import type { MultipartBody } from './request-body.ts';
import type { Malformed, RecordedRequest, RouteContext } from './types.ts';

/**
 * POST /v1/audio/transcriptions. The "transcript" is the speech regions found in the
 * audio (each given a line of the script, or a description of itself), so tests can
 * check times against media they generated. Formats: json and text (text only),
 * verbose_json (segments, whisper-1 only) and diarized_json (speaker-labelled
 * segments, gpt-4o-transcribe-diarize only), with the rules the real API enforces.
 */
export async function transcribe(
  body: MultipartBody,
  ctx: RouteContext,
  malformed?: Malformed,
  record?: RecordedRequest,
): Promise<unknown> {
  const model = body.fields.model?.[0];
  if (!model) throw new HttpError(400, 'you must provide a model parameter', 'invalid_request_error', null, 'model');
  if (!TRANSCRIPTION_MODELS.has(model) && !ctx.local)
    throw new HttpError(400, `Invalid model ${model}`, 'invalid_request_error', 'model_not_found', 'model');
  if (!body.file || body.file.length === 0)
    throw new HttpError(400, 'Missing file', 'invalid_request_error', null, 'file');
  const format = body.fields.response_format?.[0] ?? 'json';
  if (ctx.local && format === 'verbose_json')
    throw new HttpError(400, "response_format 'verbose_json' is not supported by this server; use json or text");
  if (format === 'verbose_json' && model !== 'whisper-1')
    throw new HttpError(400, `response_format 'verbose_json' is not compatible with model '${model}'`);
  checkDiarizeRules(body, model, format);
  const diarizing = model === DIARIZE_MODEL;
  const knownNames = body.fields['known_speaker_names[]'] ?? [];
  const knownRefs = body.fields['known_speaker_references[]'] ?? [];
  if (record) {
    record.knownSpeakerNames = knownNames;
    record.chunkingStrategy = body.fields.chunking_strategy?.[0];
  }
  const known = await knownVoices(knownNames, knownRefs, diarizing, ctx.ffmpegPath);
  let pcm: Int16Array;
  try {
    pcm = await decodeToPcm(body.file, ctx.ffmpegPath);
  } catch {
    throw new HttpError(
      400,
      'Audio file might be corrupted or unsupported',
      'invalid_request_error',
      'invalid_value',
      'file',
    );
  }
  const duration = pcm.length / PCM_RATE;
  if (diarizing && duration > 30 && !body.fields.chunking_strategy) {
    throw new HttpError(
      400,
      `chunking_strategy is required when using ${DIARIZE_MODEL} for inputs longer than 30 seconds`,
      'invalid_request_error',
      null,
      'chunking_strategy',
    );
  }
  const regions = detectSpeech(pcm);
  const script = ctx.transcriptScript;
  if (format === 'diarized_json') {
    const segments = diarize(pcm, regions, known).map((r, i) => ({
      type: 'transcript.text.segment',
      id: `seg_${i}`,
      start: Math.round(r.start * 100) / 100,
      end: Math.round(r.end * 100) / 100,
      text: script?.[i] ?? `speech of ${(r.end - r.start).toFixed(2)} seconds`,
      speaker: r.speaker,
    }));
    if (malformed === 'schema') return { text: 'x', segments: [{ start: 'soon' }] };
    return {
      task: 'transcribe',
      duration,
      text: segments.map((s) => s.text).join(' '),
      segments,
      usage: { type: 'duration', seconds: Math.ceil(duration) },
    };
  }
  const segments = regions.map((r, i) => ({
    id: i,
    seek: 0,
    start: Math.round(r.start * 100) / 100,
    end: Math.round(r.end * 100) / 100,
    text: ` ${script?.[i] ?? `speech of ${(r.end - r.start).toFixed(2)} seconds`}`,
    tokens: [],
    temperature: 0,
    avg_logprob: -0.2,
    compression_ratio: 1.2,
    no_speech_prob: 0.01,
  }));
  if (malformed === 'schema') return { text: 'no segments here', segments: 'oops' };
  const text = segments.map((s) => s.text.trim()).join(' ');
  if (format === 'verbose_json') return { task: 'transcribe', language: 'english', duration, text, segments };
  return { text };
}

/** The rules of gpt-4o-transcribe-diarize, as the openai SDK's types document them. */
function checkDiarizeRules(body: MultipartBody, model: string, format: string): void {
  if (format === 'diarized_json' && model !== DIARIZE_MODEL)
    throw new HttpError(
      400,
      `response_format 'diarized_json' is only supported by ${DIARIZE_MODEL}`,
      'invalid_request_error',
      null,
      'response_format',
    );
  if (model !== DIARIZE_MODEL) return;
  if (body.fields.prompt)
    throw new HttpError(400, `prompt is not supported with ${DIARIZE_MODEL}`, 'invalid_request_error', null, 'prompt');
  if (body.fields['timestamp_granularities[]'])
    throw new HttpError(
      400,
      `timestamp_granularities is not supported with ${DIARIZE_MODEL}`,
      'invalid_request_error',
      null,
      'timestamp_granularities',
    );
}

/**
 * The voices named by known_speaker_names[] / known_speaker_references[] (2–10 s audio
 * clips as data URLs), each reduced to its median pitch, which is how the fake tells voices apart.
 */
async function knownVoices(
  knownNames: string[],
  knownRefs: string[],
  diarizing: boolean,
  ffmpegPath: string | undefined,
): Promise<KnownVoice[]> {
  const known: KnownVoice[] = [];
  if (knownNames.length === 0 && knownRefs.length === 0) return known;
  const refused = (message: string, param: string) => new HttpError(400, message, 'invalid_request_error', null, param);
  if (!diarizing) throw refused(`known_speaker_names is only supported by ${DIARIZE_MODEL}`, 'known_speaker_names');
  if (knownNames.length !== knownRefs.length)
    throw refused(
      'known_speaker_names and known_speaker_references must have the same length',
      'known_speaker_references',
    );
  if (knownNames.length > 4) throw refused('At most 4 known speakers are supported', 'known_speaker_names');
  for (const [i, ref] of knownRefs.entries()) {
    const m = /^data:audio\/[\w.+-]+;base64,(.+)$/s.exec(ref);
    if (!m)
      throw refused(`known_speaker_references[${i}] must be a data URL of an audio file`, 'known_speaker_references');
    const refPcm = await decodeToPcm(Buffer.from(m[1]!, 'base64'), ffmpegPath).catch(() => {
      throw refused(`known_speaker_references[${i}] could not be decoded`, 'known_speaker_references');
    });
    const seconds = refPcm.length / PCM_RATE;
    if (seconds < 2 || seconds > 10)
      throw refused(
        `known_speaker_references[${i}] must be between 2 and 10 seconds long (got ${seconds.toFixed(2)})`,
        'known_speaker_references',
      );
    known.push({ name: knownNames[i]!, pitchHz: medianPitchHz(refPcm) });
  }
  return known;
}
