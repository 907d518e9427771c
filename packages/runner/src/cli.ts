#!/usr/bin/env node
// Log lines name their [file:line] in the TypeScript sources, not the bundle:
// source maps must be on before the code is loaded, hence the dynamic import.
process.setSourceMapsEnabled(true);
const { main } = await import('./main.ts');
const { stopWhenParentScriptExits } = await import('./parent-watch.ts');
stopWhenParentScriptExits();
process.exitCode = await main(process.argv);
