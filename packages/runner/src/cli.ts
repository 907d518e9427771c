#!/usr/bin/env node
// Log lines name their [file:line] in the TypeScript sources, not the bundle:
// source maps must be on before the code is loaded, hence the dynamic import.
process.setSourceMapsEnabled(true);
const { main } = await import('./main.ts');
process.exitCode = await main(process.argv);
