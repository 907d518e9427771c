import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError, OutboundError } from '@videoqa/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadUndici } from './undici.ts';
import {
  addressAllowed,
  assertUrlAllowed,
  checkOutboundUrl,
  classifyAddress,
  guardedAgent,
  parseAllowCidrs,
  resolveAllowed,
  type AddressPolicy,
  type LookupAll,
} from './address-guard.ts';

const closed: AddressPolicy = { allowPrivate: false, setting: 'INGEST_ALLOW_PRIVATE' };
const request = async (...args: Parameters<Awaited<ReturnType<typeof loadUndici>>['request']>) =>
  (await loadUndici()).request(...args);

describe('loading undici', () => {
  it("leaves the process-wide dispatcher (what Node's fetch and the openai SDK use) as it was", async () => {
    const g = globalThis as unknown as Record<symbol, unknown>;
    const keys = [Symbol.for('undici.globalDispatcher.1'), Symbol.for('undici.globalDispatcher.2')];
    const before = keys.map((k) => g[k]);
    const undici = await loadUndici();
    expect(keys.map((k) => g[k])).toEqual(before);
    expect(g[keys[0]!]).not.toBeInstanceOf(undici.Dispatcher);
    expect(g[keys[1]!]).not.toBeInstanceOf(undici.Dispatcher);
    // and fetch still works through Node's own dispatcher
    expect(typeof fetch).toBe('function');
  });
});

describe('classifyAddress', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'linkLocal'], // cloud metadata
    ['100.64.0.1', 'carrierGradeNat'],
    ['0.0.0.0', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['192.0.2.10', 'reserved'], // documentation range
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fe80::1', 'linkLocal'],
    ['fc00::1', 'uniqueLocal'],
    ['fd12:3456::1', 'uniqueLocal'],
    ['ff02::1', 'multicast'],
    ['2002:7f00:1::', '6to4'], // 6to4 wrapping 127.0.0.1
    ['64:ff9b::a00:1', 'rfc6052'], // NAT64 wrapping 10.0.0.1
    ['2001:db8::1', 'reserved'],
  ])('%s is %s and not public', (ip, range) => {
    const v = classifyAddress(ip);
    expect(v.range).toBe(range);
    expect(v.public).toBe(false);
    expect(addressAllowed(ip, closed)).toBe(false);
  });

  it.each([
    ['::ffff:127.0.0.1', '127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', '127.0.0.1', 'loopback'],
    ['::ffff:10.0.0.1', '10.0.0.1', 'private'],
    ['::ffff:169.254.169.254', '169.254.169.254', 'linkLocal'],
    ['[::ffff:192.168.0.1]', '192.168.0.1', 'private'],
  ])('IPv4-mapped %s is judged as %s (%s)', (ip, v4, range) => {
    const v = classifyAddress(ip);
    expect(v.address).toBe(v4);
    expect(v.range).toBe(range);
    expect(addressAllowed(ip, closed)).toBe(false);
  });

  it.each([
    '93.184.215.14',
    '8.8.8.8',
    '1.1.1.1',
    '2606:4700:4700::1111',
    '2a00:1450:4001:80b::200e',
    '::ffff:8.8.8.8',
  ])('%s is public', (ip) => {
    expect(classifyAddress(ip).public).toBe(true);
    expect(addressAllowed(ip, closed)).toBe(true);
  });

  it('refuses what is not an IP address', () => {
    expect(() => classifyAddress('example.com')).toThrow(TypeError);
    expect(() => classifyAddress('127.1')).toThrow(TypeError);
  });

  it('opens everything with allowPrivate, and exactly the listed ranges with allowCidrs', () => {
    expect(addressAllowed('127.0.0.1', { ...closed, allowPrivate: true })).toBe(true);
    const some = { ...closed, allowCidrs: parseAllowCidrs(['10.0.5.0/24', 'fd00::/8', '::ffff:127.0.0.1/128']) };
    expect(addressAllowed('10.0.5.7', some)).toBe(true);
    expect(addressAllowed('10.0.6.7', some)).toBe(false);
    expect(addressAllowed('fd00::5', some)).toBe(true);
    expect(addressAllowed('fc00::5', some)).toBe(false);
    expect(addressAllowed('127.0.0.1', some)).toBe(true); // the mapped form in the list means the IPv4 address
    expect(addressAllowed('127.0.0.2', some)).toBe(false);
    expect(() => parseAllowCidrs(['10.0.0.0/33'])).toThrow(ConfigError);
    expect(() => parseAllowCidrs(['nonsense'])).toThrow(/OUTBOUND_ALLOW_CIDRS/);
  });
});

describe('URL checks', () => {
  it('accepts http(s) only, without credentials', () => {
    expect(checkOutboundUrl('https://example.com/a.mp4').hostname).toBe('example.com');
    for (const bad of [
      'ftp://example.com/a.mp4',
      'file:///etc/passwd',
      'gopher://x/',
      'not a url',
      'https://user:pw@example.com/a.mp4',
    ]) {
      expect(() => checkOutboundUrl(bad), bad).toThrow(OutboundError);
    }
  });

  it('refuses hosts whose DNS answer has any non-public address, naming the setting that would allow it', async () => {
    const lookup: LookupAll = async (host) =>
      ({
        'metadata.test': [{ address: '169.254.169.254', family: 4 as const }],
        'mixed.test': [
          { address: '8.8.8.8', family: 4 as const },
          { address: '10.0.0.1', family: 4 as const },
        ],
        'public.test': [{ address: '8.8.4.4', family: 4 as const }],
      })[host] ?? [];
    const policy = { ...closed, lookup };
    const err = await resolveAllowed('metadata.test', policy).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OutboundError);
    expect((err as OutboundError).code).toBe('URL_NOT_ALLOWED');
    expect((err as OutboundError).message).toMatch(/a link-local address.*INGEST_ALLOW_PRIVATE=true/);
    await expect(resolveAllowed('mixed.test', policy)).rejects.toMatchObject({ code: 'URL_NOT_ALLOWED' });
    await expect(resolveAllowed('public.test', policy)).resolves.toEqual({ address: '8.8.4.4', family: 4 });
    await expect(resolveAllowed('nowhere.test', policy)).rejects.toMatchObject({ code: 'INGEST_NETWORK' });
    // literals never reach DNS: decimal and hex IPv4 forms are normalised by the URL parser first
    await expect(assertUrlAllowed('http://2130706433/', policy)).rejects.toMatchObject({ code: 'URL_NOT_ALLOWED' });
    await expect(assertUrlAllowed('http://0x7f.1/', policy)).rejects.toMatchObject({ code: 'URL_NOT_ALLOWED' });
    await expect(assertUrlAllowed('http://[::ffff:127.0.0.1]:8080/', policy)).rejects.toMatchObject({
      code: 'URL_NOT_ALLOWED',
    });
    await expect(assertUrlAllowed('http://localhost/', closed)).rejects.toMatchObject({ code: 'URL_NOT_ALLOWED' }); // the system resolver
  });
});

describe('guardedAgent', () => {
  let server: Server;
  let port: number;
  let hits = 0;
  beforeAll(async () => {
    server = createServer((_req, res) => {
      hits++;
      res.end('ok');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('never opens a connection to a refused address, by literal or by name', async () => {
    const before = hits;
    const agent = await guardedAgent(closed);
    for (const url of [
      `http://127.0.0.1:${port}/`,
      `http://localhost:${port}/`,
      `http://[::ffff:127.0.0.1]:${port}/`,
    ]) {
      await expect(request(url, { dispatcher: agent }), url).rejects.toMatchObject({ code: 'URL_NOT_ALLOWED' });
    }
    await agent.destroy();
    expect(hits).toBe(before);
  });

  it('connects to the address it checked: a name whose second answer is private still reaches the first', async () => {
    // DNS rebinding: the answer flips to a private address after the first look-up.
    let calls = 0;
    const lookup: LookupAll = async () =>
      calls++ === 0 ? [{ address: '127.0.0.1', family: 4 }] : [{ address: '10.9.9.9', family: 4 }];
    const agent = await guardedAgent({ ...closed, allowCidrs: parseAllowCidrs(['127.0.0.1/32']), lookup });
    const res = await request(`http://rebind.test:${port}/`, { dispatcher: agent });
    expect(await res.body.text()).toBe('ok');
    expect(calls).toBe(1);
    await agent.destroy();
    // a fresh connection looks up again and gets the private answer: refused
    const again = await guardedAgent({ ...closed, allowCidrs: parseAllowCidrs(['127.0.0.1/32']), lookup });
    await expect(request(`http://rebind.test:${port}/`, { dispatcher: again })).rejects.toMatchObject({
      code: 'URL_NOT_ALLOWED',
    });
    await again.destroy();
  });

  it('allows loopback when the policy is open', async () => {
    const agent = await guardedAgent({ ...closed, allowPrivate: true });
    const res = await request(`http://localhost:${port}/`, { dispatcher: agent });
    expect(res.statusCode).toBe(200);
    await res.body.dump();
    await agent.destroy();
  });
});
