import type { Queryable } from '../db.ts';

export interface MigrationContext {
  /** Column type for embeddings: vector(1536) with pgvector, real[] without. */
  vectorType: string;
  hasVector: boolean;
}

export interface Migration {
  version: number;
  name: string;
  up(tx: Queryable, ctx: MigrationContext): Promise<void>;
}
