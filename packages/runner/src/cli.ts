#!/usr/bin/env node
// Log lines name their [file:line] in the TypeScript sources, not the bundle:
// source maps must be on before the code is loaded, hence the dynamic import.
process.setSourceMapsEnabled(true);
// Restart with bounded memory first: `node --liftoff-only` on the embedded database, and
// MALLOC_ARENA_MAX=2 (see memory-launch.ts).
const { relaunchForBoundedMemory } = await import('./memory-launch.ts');
relaunchForBoundedMemory();
const { main } = await import('./main.ts');
const { stopWhenParentScriptExits } = await import('./parent-watch.ts');
stopWhenParentScriptExits();
process.exitCode = await main(process.argv);
