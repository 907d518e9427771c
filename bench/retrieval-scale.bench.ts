// Retrieval at scale: full-text, vector, hybrid (searchContent) and ask's passage retrieval
// (retrievePassages) over synthetic transcript segments, in PostgreSQL and in PGlite, at
// growing sizes (10k, 100k, 1M rows by default), p50/p95 over 20 queries per measure.
//
//   node bench/retrieval-scale.bench.ts [--budget-min 10] [--sizes 10000,100000,1000000]
//       [--queries 20] [--vector-max 100000] [--only postgres|pglite]
//   (pnpm bench retrieval-scale runs it with the defaults; SCALE_BUDGET_MIN sets the budget there)
//
// Rows are generated in SQL (generate_series), not through the store: text is ten words per
// segment drawn from a 4,000-word synthetic vocabulary with a skewed (Zipf-like) frequency,
// so full-text queries match realistic fractions of the rows; embeddings are sums of three
// vectors from a seeded pool of 512, chosen by the segment's first three words, so vector
// neighbours share words with the query. 1,000 segments per video.
//
// Each configuration has a time budget: a step (loading a size, building the HNSW index,
// measuring vectors) whose cost, predicted from the previous size, does not fit in what is
// left is skipped and reported as skipped, with the prediction labelled as an extrapolation.
// Full text is measured at every size that can be loaded. PostgreSQL here has no pgvector,
// so its embeddings are real[] and vector search is the exact scan of search.ts; PGlite has
// pgvector, so its embeddings are vector(1536) with an HNSW index (built after loading, timed).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { EmbeddingsProvider } from '@videoqa/core';
import {
  EMBEDDING_DIMENSIONS,
  embeddingLiteral,
  openDatabase,
  retrievePassages,
  searchContent,
  vectorColumnsInUse,
  type Db,
} from '@videoqa/storage-pg';
import { createTestDatabase, seededRandom, startTestPostgres } from '@videoqa/testing';
import { round, writeResult } from './lib.ts';

const { values: flags } = parseArgs({
  options: {
    'budget-min': { type: 'string', default: process.env.SCALE_BUDGET_MIN ?? '10' },
    sizes: { type: 'string', default: '10000,100000,1000000' },
    queries: { type: 'string', default: '20' },
    'vector-max': { type: 'string', default: '100000' },
    only: { type: 'string' },
  },
});
const BUDGET_MS = Number(flags['budget-min']) * 60_000;
const SIZES = flags.sizes!.split(',').map(Number);
const QUERIES = Number(flags.queries);
const VECTOR_MAX = Number(flags['vector-max']);
const SEGMENTS_PER_VIDEO = 1000;
const VOCAB_SIZE = 4000;
const POOL_SIZE = 512;
const WORDS_PER_SEGMENT = 10;

// ---- the synthetic vocabulary and embedding pool (seeded: the same on every run) ----
const rand = seededRandom(20261129);
const SYLLABLES = [
  'ka',
  'lo',
  'mi',
  'tu',
  're',
  'sa',
  'no',
  'vi',
  'de',
  'pa',
  'zu',
  'ge',
  'ri',
  'fo',
  'ba',
  'ne',
  'ti',
  'mo',
  'lu',
  'se',
  'ha',
  'ko',
  'wi',
  'ja',
];
const vocab: string[] = [];
const seen = new Set<string>();
while (vocab.length < VOCAB_SIZE) {
  const n = 2 + Math.floor(rand() * 2);
  const w = `${Array.from({ length: n }, () => SYLLABLES[Math.floor(rand() * SYLLABLES.length)]).join('')}x`;
  if (!seen.has(w)) {
    seen.add(w);
    vocab.push(w);
  }
}
const rankOf = new Map(vocab.map((w, i) => [w, i]));
const pool = Array.from({ length: POOL_SIZE }, () => Array.from({ length: EMBEDDING_DIMENSIONS }, () => rand() - 0.5));

/** Word rank of draw j for row i: hash → uniform u → floor(V·u²), so low ranks are common. Same expression in SQL. */
const rankSql = (j: number) =>
  `floor(${VOCAB_SIZE} * power(((hashint8(i::bigint * 16 + ${j}) & 2147483647)::float8 / 2147483648), 2))::int`;

/** The question's vector, built the way segment vectors are: from its first three words. */
const queryEmbeddings: EmbeddingsProvider = {
  name: 'synthetic',
  dimensions: EMBEDDING_DIMENSIONS,
  maxBatchSize: 16,
  async embed(texts) {
    return {
      vectors: texts.map((t) => {
        const ranks = t
          .split(' ')
          .slice(0, 3)
          .map((w) => rankOf.get(w) ?? 0);
        return pool[0]!.map((_, d) => ranks.reduce((s, r) => s + pool[r % POOL_SIZE]![d]!, 0));
      }),
    };
  },
};

/** Questions of three words: one common (rank 10-100), one middling (100-1000), one rare (1000-4000). */
const queries = Array.from({ length: QUERIES + 1 }, () => {
  const pick = (lo: number, hi: number) => vocab[lo + Math.floor(rand() * (hi - lo))]!;
  return [pick(10, 100), pick(100, 1000), pick(1000, VOCAB_SIZE)].join(' ');
});

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

/** p50/p95 (ms) of fn over the queries, after one warm-up query not counted. */
async function timeQueries(
  fn: (q: string, i: number) => Promise<unknown>,
): Promise<{ p50: number; p95: number; n: number; totalMs: number }> {
  await fn(queries[QUERIES]!, QUERIES);
  const ms: number[] = [];
  const t0 = performance.now();
  for (let i = 0; i < QUERIES; i++) {
    const s = performance.now();
    await fn(queries[i]!, i);
    ms.push(performance.now() - s);
  }
  return {
    p50: round(percentile(ms, 50), 1),
    p95: round(percentile(ms, 95), 1),
    n: ms.length,
    totalMs: round(performance.now() - t0, 0),
  };
}

async function prepare(db: Db, pgvector: boolean): Promise<void> {
  const vtype = pgvector ? `vector(${EMBEDDING_DIMENSIONS})` : 'real[]';
  await db.exec(
    `CREATE TABLE bench_vocab (i int PRIMARY KEY, w text NOT NULL); CREATE TABLE bench_pool (k int PRIMARY KEY, v ${vtype} NOT NULL);`,
  );
  await db.query('INSERT INTO bench_vocab (i, w) SELECT g - 1, w FROM unnest($1::text[]) WITH ORDINALITY AS u(w, g)', [
    vocab,
  ]);
  for (let k = 0; k < POOL_SIZE; k += 64) {
    const chunk = pool.slice(k, k + 64).map((v) => embeddingLiteral(v, pgvector));
    await db.query(
      `INSERT INTO bench_pool (k, v) SELECT $1::int + g - 1, v::${pgvector ? 'vector' : 'real[]'} FROM unnest($2::text[]) WITH ORDINALITY AS u(v, g)`,
      [k, chunk],
    );
  }
  // The index is built after loading (and timed): inserting into HNSW row by row is the slow way.
  await db.exec('DROP INDEX IF EXISTS transcript_segments_embedding_idx');
}

/** Inserts segments [from, to), with embeddings when `vectors`, in batches of 50k rows. */
async function load(db: Db, from: number, to: number, vectors: boolean, pgvector: boolean): Promise<void> {
  const words = Array.from({ length: WORDS_PER_SEGMENT }, (_, j) => `vocab.a[1 + ${rankSql(j)}]`).join(', ');
  const pick = (j: number) => `(SELECT v FROM bench_pool WHERE k = ${rankSql(j)} % ${POOL_SIZE})`;
  const embedding = !vectors
    ? 'NULL'
    : pgvector
      ? `${pick(0)} + ${pick(1)} + ${pick(2)}`
      : `ARRAY(SELECT x + y + z FROM unnest(${pick(0)}, ${pick(1)}, ${pick(2)}) AS u(x, y, z))`;
  for (let lo = from; lo < to; lo += 50_000) {
    const hi = Math.min(to, lo + 50_000);
    await db.query(
      `INSERT INTO videos (id, original_path, status)
       SELECT 'sv' || lpad(v::text, 5, '0'), 'uploads/synthetic.mp4', 'ready' FROM generate_series($1::int / ${SEGMENTS_PER_VIDEO}, ($2::int - 1) / ${SEGMENTS_PER_VIDEO}) v
       ON CONFLICT (id) DO NOTHING`,
      [lo, hi],
    );
    await db.query(
      `WITH vocab AS (SELECT array_agg(w ORDER BY i) AS a FROM bench_vocab)
       INSERT INTO transcript_segments (id, video_id, idx, t_start, t_end, text, embedding)
       SELECT 'sv' || lpad((i / ${SEGMENTS_PER_VIDEO})::text, 5, '0') || '_segment_' || lpad((i % ${SEGMENTS_PER_VIDEO})::text, 3, '0'),
              'sv' || lpad((i / ${SEGMENTS_PER_VIDEO})::text, 5, '0'), i % ${SEGMENTS_PER_VIDEO},
              (i % ${SEGMENTS_PER_VIDEO}) * 5.0, (i % ${SEGMENTS_PER_VIDEO}) * 5.0 + 4.5,
              array_to_string(ARRAY[${words}], ' '), ${embedding}
         FROM generate_series($1::int, $2::int - 1) i, vocab`,
      [lo, hi],
    );
  }
  await db.exec('ANALYZE transcript_segments');
}

interface SizeResult {
  rows: number;
  embeddedRows: number;
  loadSec: number;
  /** Part of loadSec: building the full-text (GIN) index over all rows. */
  ginBuildSec?: number;
  databaseMB: number;
  fullTextMatchesPerQuery?: number;
  text?: unknown;
  passagesTextOnly?: unknown;
  hnswBuildSec?: number;
  vector?: unknown;
  hybrid?: unknown;
  passages?: unknown;
  hybridOneVideo?: unknown;
  skipped?: string[];
}

async function runConfiguration(name: string, db: Db): Promise<Record<string, unknown>> {
  const start = performance.now();
  const left = () => BUDGET_MS - (performance.now() - start);
  const pgvector = await vectorColumnsInUse(db);
  await prepare(db, pgvector);
  const sizes: SizeResult[] = [];
  let loaded = 0;
  let embedded = 0;
  let textLoadRate = 0; // ms per row, text only
  let vectorLoadRate = 0; // ms per row, with embeddings
  let lastVector: { rows: number; ms: number; buildMs?: number } | undefined;
  for (const size of SIZES) {
    const skipped: string[] = [];
    const wantVectors = size <= VECTOR_MAX && embedded === loaded;
    // Predicted vector cost at this size: loading embeddings, building HNSW (n log n), 4 measures × (queries + 1).
    let predictVectorMs = 0;
    if (wantVectors && lastVector) {
      const scale = size / lastVector.rows;
      predictVectorMs =
        (size - loaded) * vectorLoadRate +
        lastVector.ms * scale +
        (lastVector.buildMs ?? 0) * scale * (Math.log(size) / Math.log(lastVector.rows));
    }
    const predictTextMs = (size - loaded) * textLoadRate * 1.2;
    let vectors = wantVectors;
    if (vectors && lastVector && predictVectorMs + predictTextMs > left()) {
      vectors = false;
      skipped.push(
        `vectors at ${size} rows: predicted ${round(predictVectorMs / 1000, 0)} s (extrapolated from ${lastVector.rows} rows) exceeds the ${round(left() / 1000, 0)} s left of the budget`,
      );
    }
    if (loaded > 0 && predictTextMs > left()) {
      sizes.push({
        rows: size,
        embeddedRows: 0,
        loadSec: 0,
        databaseMB: 0,
        skipped: [
          `loading to ${size} rows: predicted ${round(predictTextMs / 1000, 0)} s exceeds the ${round(left() / 1000, 0)} s left of the budget`,
        ],
      });
      break;
    }
    console.log(
      `${name}: loading to ${size} rows${vectors ? ' with embeddings' : ' (text only)'}; ${round(left() / 1000, 0)} s of budget left`,
    );
    const t0 = performance.now();
    // Indexes are dropped while loading and built afterwards (timed with the load): inserting row by
    // row into GIN, and above all into HNSW (70 ms a row in PGlite), is the slow way to fill a table.
    await db.exec(
      'DROP INDEX IF EXISTS transcript_segments_embedding_idx; DROP INDEX IF EXISTS transcript_segments_tsv_idx',
    );
    // Rows already loaded without embeddings stay without: vector measures need every row embedded.
    await load(db, loaded, size, vectors, pgvector);
    const g0 = performance.now();
    await db.exec('CREATE INDEX transcript_segments_tsv_idx ON transcript_segments USING gin (tsv)');
    const ginMs = performance.now() - g0;
    const loadMs = performance.now() - t0;
    if (vectors) vectorLoadRate = loadMs / (size - loaded);
    else textLoadRate = loadMs / (size - loaded);
    if (vectors) embedded = size;
    loaded = size;
    const r: SizeResult = {
      rows: size,
      embeddedRows: embedded,
      loadSec: round(loadMs / 1000, 1),
      ginBuildSec: round(ginMs / 1000, 1),
      databaseMB: 0,
    };

    const matches = await db.query<{ n: number }>(
      `SELECT avg(n)::float8 AS n FROM (SELECT (SELECT count(*) FROM transcript_segments s WHERE s.tsv @@ to_tsquery('english', replace(plainto_tsquery('english', q)::text, '&', '|'))) AS n FROM unnest($1::text[]) q) x`,
      [queries.slice(0, QUERIES)],
    );
    r.fullTextMatchesPerQuery = round(matches.rows[0]!.n, 0);
    r.text = await timeQueries((q) => searchContent(db, q, { limit: 10, methods: ['text'] }));
    r.passagesTextOnly = await timeQueries((q) => retrievePassages(db, q, { limit: 8 }));
    console.log(`${name} ${size}: text ${JSON.stringify(r.text)}`);

    if (vectors) {
      const v0 = performance.now();
      if (pgvector) {
        const b0 = performance.now();
        await db.exec(
          'CREATE INDEX transcript_segments_embedding_idx ON transcript_segments USING hnsw (embedding vector_cosine_ops)',
        );
        r.hnswBuildSec = round((performance.now() - b0) / 1000, 1);
        console.log(`${name} ${size}: HNSW built in ${r.hnswBuildSec} s`);
      }
      const m0 = performance.now();
      r.vector = await timeQueries((q) =>
        searchContent(db, q, { limit: 10, methods: ['vector'], embeddings: queryEmbeddings }),
      );
      r.hybrid = await timeQueries((q) => searchContent(db, q, { limit: 10, embeddings: queryEmbeddings }));
      r.passages = await timeQueries((q) => retrievePassages(db, q, { limit: 8, embeddings: queryEmbeddings }));
      const videos = Math.ceil(size / SEGMENTS_PER_VIDEO);
      r.hybridOneVideo = await timeQueries((q, i) =>
        searchContent(db, q, {
          limit: 10,
          embeddings: queryEmbeddings,
          videoId: `sv${String((i * 7919) % videos).padStart(5, '0')}`,
        }),
      );
      lastVector = {
        rows: size,
        ms: performance.now() - m0,
        buildMs: r.hnswBuildSec !== undefined ? r.hnswBuildSec * 1000 : undefined,
      };
      console.log(
        `${name} ${size}: vector ${JSON.stringify(r.vector)} hybrid ${JSON.stringify(r.hybrid)} (${round((performance.now() - v0) / 1000, 0)} s)`,
      );
    } else if (!wantVectors) {
      skipped.push(
        size > VECTOR_MAX
          ? `vectors at ${size} rows: above --vector-max ${VECTOR_MAX}`
          : `vectors at ${size} rows: rows loaded at a smaller size have no embeddings`,
      );
    }
    r.databaseMB = round(
      Number((await db.query<{ b: string }>('SELECT pg_database_size(current_database())::text AS b')).rows[0]!.b) /
        1024 ** 2,
      0,
    );
    if (skipped.length > 0) r.skipped = skipped;
    sizes.push(r);
  }
  return {
    embeddings: pgvector
      ? `vector(${EMBEDDING_DIMENSIONS}), HNSW (m 16, ef_construction 64, ef_search 40: the defaults)`
      : `real[] (no pgvector on this server): exact cosine in SQL, no index`,
    budgetMin: BUDGET_MS / 60_000,
    elapsedSec: round((performance.now() - start) / 1000, 0),
    sizes,
  };
}

const results: Record<string, unknown> = {
  corpus: `synthetic transcript segments generated in SQL: ${WORDS_PER_SEGMENT} words each from a ${VOCAB_SIZE}-word vocabulary (rank = floor(V·u²), Zipf-like), ${SEGMENTS_PER_VIDEO} segments per video; embeddings = sum of 3 of ${POOL_SIZE} seeded random ${EMBEDDING_DIMENSIONS}-d vectors picked by the first three words`,
  queries: `${QUERIES} three-word questions (one word of rank 10-100, one 100-1000, one 1000-4000), OR-ed by full-text search; limit 10 hits, 8 passages`,
  machine:
    'shared: 2 cores, with six other agents building and testing at the same time; latencies are upper bounds of an idle machine',
};

if (flags.only !== 'pglite') {
  const pg = await startTestPostgres();
  const created = await createTestDatabase(pg.url);
  const db = await openDatabase({ databaseUrl: created.url });
  try {
    results.postgres = await runConfiguration('postgres', db);
  } finally {
    await db.close();
    await created.drop();
    await pg.stop();
  }
}
if (flags.only !== 'postgres') {
  const dir = mkdtempSync(join(tmpdir(), 'vq-scale-'));
  try {
    const db = await openDatabase({ dataDir: dir });
    try {
      results.pglite = await runConfiguration('pglite', db);
    } finally {
      await db.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
writeResult(flags.only ? `retrieval-scale-${flags.only}` : 'retrieval-scale', results);
