export { freePort } from './net.ts';
export { startTestPostgres } from './postgres-server.ts';
export { startTestRedis, pingRedis } from './redis-server.ts';
export { createTestDatabase, openTestDb, type TestDb, type TestDbKind } from './databases.ts';
export { hashingEmbedding, hashingEmbeddingsProvider, tokens } from './hashing-embeddings.ts';
