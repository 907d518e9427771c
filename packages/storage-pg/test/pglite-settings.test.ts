import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPgliteDb } from '@videoqa/storage-pg';
import { describe, expect, it } from 'vitest';

describe('embedded database settings', () => {
  it('PGlite runs with small shared buffers (they live in this process and never shrink), pgvector still loaded', async () => {
    const db = await createPgliteDb({ dataDir: join(mkdtempSync(join(tmpdir(), 'vq-pglite-')), 'db') });
    try {
      const { rows } = await db.query<{ shared_buffers: string }>('SHOW shared_buffers');
      expect(rows[0]!.shared_buffers).toBe('16MB');
      expect((await db.query<{ temp_buffers: string }>('SHOW temp_buffers')).rows[0]!.temp_buffers).toBe('2MB');
      await db.exec('CREATE EXTENSION IF NOT EXISTS vector');
      expect((await db.query<{ d: number }>("SELECT '[1,0]'::vector <=> '[0,1]'::vector AS d")).rows[0]!.d).toBe(1);
    } finally {
      await db.close();
    }
  });
});
