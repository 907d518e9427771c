// The CLI's commands, one module each; this module gathers them for main.ts and the package index.
export * from './command-support.ts';
export * from './process-command.ts';
export * from './enqueue-command.ts';
export * from './worker-command.ts';
export * from './search-command.ts';
export * from './admin-commands.ts';
export * from './doctor-command.ts';
