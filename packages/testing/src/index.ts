export { freePort } from './net.ts';
export { startTestPostgres } from './postgres-server.ts';
export { startTestRedis, pingRedis } from './redis-server.ts';
export { createTestDatabase, openTestDb, type TestDb, type TestDbKind } from './databases.ts';
export { hashingEmbedding, hashingEmbeddingsProvider, tokens } from './hashing-embeddings.ts';
export type { ChaptersMode } from './fake-chapters.ts';
export {
  FakeOpenAIServer,
  MAX_AUDIO_BYTES,
  LOCAL_EMBEDDING_DIMENSIONS,
  type AskMode,
  type FakeOpenAIOptions,
  type FakeRoute,
  type Fault,
  type RecordedRequest,
} from './fake-openai.ts';
export { decodeToPcm, detectSpeech, PCM_RATE, type SpeechRegion } from './speech-regions.ts';
export { medianPitchHz, diarize, type DiarizedRegion, type KnownVoice } from './fake-diarize.ts';
export {
  badInputs,
  copyAs,
  cutFixtures,
  fixtureDir,
  head,
  makeRotated,
  makeScreenRecording,
  makeScroll,
  makeSlideDeck,
  makeSpeechTrack,
  cachedFile,
  ffmpeg,
  makeToneWav,
  makeVariableFrameRate,
  makeVideo,
  makeVideoWithAudio,
  scoreBoundaries,
  slideFixtures,
  toneRegions,
  TWO_VOICES,
  type EspeakVoice,
  type AudioSpec,
  type GeneratedSlides,
  type GeneratedVideo,
  type ScreenRecordingSpec,
  type ScrollSpec,
  type Slide,
  type SlideDeckSpec,
  type Shot,
  type ShotSource,
  type SpeechTrack,
  type ToneRegion,
  type VideoSpec,
} from './media.ts';
export { FakeSupadataServer, serveDirectory, type FakeSupadataOptions } from './fake-supadata.ts';
export { seededRandom } from './seeded-random.ts';
