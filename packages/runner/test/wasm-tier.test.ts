import { describe, expect, it } from 'vitest';
import { wantsBaselineWasm } from '../src/wasm-tier.ts';

describe('WebAssembly tier of the CLI (wasm-tier.ts)', () => {
  it('runs the embedded database with the baseline compiler only by default', () => {
    expect(wantsBaselineWasm({}, [])).toBe(true);
    expect(wantsBaselineWasm({ DATABASE_URL: '' }, [])).toBe(true);
    expect(wantsBaselineWasm({ DATABASE_URL: '  ' }, [])).toBe(true);
    expect(wantsBaselineWasm({ WASM_OPTIMIZE: 'false' }, [])).toBe(true);
  });

  it('leaves the process as it is on PostgreSQL, with WASM_OPTIMIZE=true, or with the user’s own flags', () => {
    expect(wantsBaselineWasm({ DATABASE_URL: 'postgres://x@127.0.0.1/db' }, [])).toBe(false);
    for (const v of ['true', '1', 'yes', 'ON']) expect(wantsBaselineWasm({ WASM_OPTIMIZE: v }, [])).toBe(false);
    expect(wantsBaselineWasm({}, ['--liftoff-only'])).toBe(false);
    expect(wantsBaselineWasm({}, ['--no-liftoff'])).toBe(false);
    expect(wantsBaselineWasm({}, ['--wasm-tier-up'])).toBe(false);
    expect(wantsBaselineWasm({}, ['--enable-source-maps'])).toBe(true);
  });

  it('an invalid WASM_OPTIMIZE does not stop the relaunch (the config check reports it)', () => {
    expect(wantsBaselineWasm({ WASM_OPTIMIZE: 'maybe' }, [])).toBe(true);
  });
});
