import type { TestProject } from 'vitest/node';
import { startTestPostgres } from '../packages/testing/src/postgres-server.ts';
import { startTestRedis } from '../packages/testing/src/redis-server.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A PostgreSQL server for tests: DATABASE_URL, or a throwaway embedded one. */
    pgUrl: string;
    /** A Redis server for tests: REDIS_URL, or a throwaway redis-server. */
    redisUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const postgres = await startTestPostgres();
  project.provide('pgUrl', postgres.url);
  const redis = await startTestRedis();
  project.provide('redisUrl', redis.url);
  return async () => {
    await redis.stop();
    await postgres.stop();
  };
}
