#!/usr/bin/env node
// Log lines name their [file:line] in the TypeScript sources, not the bundle:
// source maps must be on before the code is loaded, hence the dynamic import.
process.setSourceMapsEnabled(true);
// On the embedded database, restart under `node --liftoff-only` first (see wasm-tier.ts).
const { relaunchWithBaselineWasm } = await import('./wasm-tier.ts');
relaunchWithBaselineWasm();
const { main } = await import('./main.ts');
const { stopWhenParentScriptExits } = await import('./parent-watch.ts');
stopWhenParentScriptExits();
process.exitCode = await main(process.argv);
