import { inject } from 'vitest';
import { openTestDb, type TestDb, type TestDbKind } from '@videoqa/testing';

export const DB_KINDS: TestDbKind[] = ['postgres', 'pglite'];

/** A fresh migrated database of this kind (a new database on the real server, or in-memory PGlite). */
export function testDb(
  kind: TestDbKind,
  options: { vector?: 'auto' | 'off'; migrate?: boolean } = {},
): Promise<TestDb> {
  return openTestDb(kind, inject('pgUrl'), options);
}
