// Writes dist/pglite-template.tar.gz: an empty PGlite database, just after initdb, with
// pgvector available. A new embedded database starts as a copy of it instead of running
// initdb (seconds of CPU and ~600 MB in a child process; docs/benchmarks.md, "Memory").
// Made at build time by the PGlite version installed, so the files always match it.
import { writeFileSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';

const out = new URL('../dist/pglite-template.tar.gz', import.meta.url);
const pg = await PGlite.create({ extensions: { vector } });
const dump = await pg.dumpDataDir('gzip');
await pg.close();
writeFileSync(out, Buffer.from(await dump.arrayBuffer()));
