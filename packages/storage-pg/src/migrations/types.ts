import type { Queryable } from '../db.ts';

export interface MigrationContext {
  /** Column type for embeddings: vector(N) with pgvector (N = dimensions), real[] without. */
  vectorType: string;
  hasVector: boolean;
  /** OPENAI_EMBEDDING_DIMENSIONS: the size new vector columns are made for. */
  dimensions: number;
}

export interface Migration {
  version: number;
  name: string;
  up(tx: Queryable, ctx: MigrationContext): Promise<void>;
}
