import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import type { Agent } from 'undici';
import { ConfigError, OutboundError } from '@videoqa/core';
import { loadUndici } from './undici.ts';

/**
 * The one SSRF guard for every request videoqa sends to a URL someone else chose
 * (URL ingest, webhooks). A server that fetches user-given URLs can otherwise be
 * pointed at what only it can reach: cloud metadata (169.254.169.254), the database,
 * admin ports on loopback, the private network. So only public unicast addresses are
 * allowed unless the operator opts in, and the check runs inside the connector on the
 * very address the socket connects to: a DNS answer that changes between a check and
 * the connection (DNS rebinding) cannot slip through.
 */

export type ResolvedAddress = { address: string; family: 4 | 6 };
/** dns.lookup(host, {all: true}) in shape; injectable for tests. */
export type LookupAll = (hostname: string) => Promise<ResolvedAddress[]>;

export interface AddressPolicy {
  /** Allow every address (the operator trusts all targets): INGEST_ALLOW_PRIVATE / WEBHOOK_ALLOW_PRIVATE. */
  allowPrivate: boolean;
  /** Ranges allowed although not public (OUTBOUND_ALLOW_CIDRS). */
  allowCidrs?: readonly (readonly [ipaddr.IPv4 | ipaddr.IPv6, number])[];
  /** The setting that opens the guard, named in refusals. */
  setting: string;
  lookup?: LookupAll;
}

export interface AddressVerdict {
  /** The address as classified (IPv4-mapped IPv6 unwrapped to IPv4). */
  address: string;
  /** ipaddr.js's range name: 'unicast' is a public address; anything else is special. */
  range: string;
  public: boolean;
}

/**
 * Classifies an IP address. Only ipaddr.js's 'unicast' (no special range) is public:
 * loopback, private, link-local, unique-local, carrier-grade NAT, multicast,
 * unspecified, broadcast, reserved and documentation ranges are not, and neither are
 * the IPv6 forms that carry an IPv4 address inside (6to4, Teredo, NAT64), which could
 * lead to a private IPv4 one. IPv4-mapped IPv6 (::ffff:127.0.0.1) is judged as IPv4.
 */
export function classifyAddress(ip: string): AddressVerdict {
  const bare = ip.startsWith('[') && ip.endsWith(']') ? ip.slice(1, -1) : ip;
  if (!isIP(bare)) throw new TypeError(`not an IP address: ${JSON.stringify(ip)}`);
  const parsed = ipaddr.process(bare);
  const range = parsed.range();
  return { address: parsed.toString(), range, public: range === 'unicast' };
}

/** Parses OUTBOUND_ALLOW_CIDRS; a bad entry is a configuration error naming the variable. */
export function parseAllowCidrs(cidrs: readonly string[]): NonNullable<AddressPolicy['allowCidrs']> {
  return cidrs.map((c) => {
    try {
      const [addr, bits] = ipaddr.parseCIDR(c);
      return [
        addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress()
          ? (addr as ipaddr.IPv6).toIPv4Address()
          : addr,
        bits,
      ] as const;
    } catch {
      throw new ConfigError([
        { variable: 'OUTBOUND_ALLOW_CIDRS', message: `${JSON.stringify(c)} is not a CIDR range (e.g. 10.0.5.0/24)` },
      ]);
    }
  });
}

/** Is this address allowed by the policy? */
export function addressAllowed(ip: string, policy: AddressPolicy): boolean {
  if (policy.allowPrivate) return true;
  const verdict = classifyAddress(ip);
  if (verdict.public) return true;
  const parsed = ipaddr.parse(verdict.address);
  return (policy.allowCidrs ?? []).some(([range, bits]) => range.kind() === parsed.kind() && parsed.match(range, bits));
}

/** ipaddr.js range names in words, for refusals. */
const RANGE_WORDS: Record<string, string> = {
  loopback: 'a loopback',
  private: 'a private',
  linkLocal: 'a link-local',
  uniqueLocal: 'a unique-local',
  carrierGradeNat: 'a carrier-grade NAT',
  unspecified: 'an unspecified',
  multicast: 'a multicast',
  broadcast: 'a broadcast',
  reserved: 'a reserved',
};

const systemLookup: LookupAll = async (hostname) =>
  (await dnsLookup(hostname, { all: true })).map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));

/**
 * Resolves a host and checks every address it resolves to; returns the one to connect
 * to. A name with any refused address is refused whole: a public name has no business
 * resolving into a private network, and that mix is how rebinding attacks look.
 */
export async function resolveAllowed(host: string, policy: AddressPolicy): Promise<ResolvedAddress> {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  const family = isIP(bare);
  let addresses: ResolvedAddress[];
  if (family !== 0) addresses = [{ address: bare, family: family as 4 | 6 }];
  else {
    try {
      addresses = await (policy.lookup ?? systemLookup)(bare);
    } catch (err) {
      throw new OutboundError(
        'INGEST_NETWORK',
        `cannot resolve ${bare}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
        { cause: err },
      );
    }
    if (addresses.length === 0) throw new OutboundError('INGEST_NETWORK', `cannot resolve ${bare}: no addresses`);
  }
  for (const a of addresses) {
    if (!addressAllowed(a.address, policy)) {
      const { range } = classifyAddress(a.address);
      throw new OutboundError(
        'URL_NOT_ALLOWED',
        `refused to connect to ${bare}: it is ${RANGE_WORDS[range] ?? `a reserved (${range})`} address, and requests to private, loopback and other non-public addresses are refused (server-side request forgery)`,
        {
          fix: `if this target is trusted, set ${policy.setting}=true or list its range in OUTBOUND_ALLOW_CIDRS`,
          details: { host: bare, range },
        },
      );
    }
  }
  return addresses[0]!;
}

/**
 * Checks a URL before anything is sent: http(s) only, no user:password (it would be
 * stored and logged with the URL). Returns the parsed URL.
 */
export function checkOutboundUrl(value: string, what = 'URL'): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new OutboundError('URL_NOT_ALLOWED', `${what} ${JSON.stringify(value.slice(0, 200))} is not a valid URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new OutboundError('URL_NOT_ALLOWED', `${what} must start with http:// or https:// (got ${url.protocol})`);
  if (url.username || url.password)
    throw new OutboundError('URL_NOT_ALLOWED', `${what} must not carry a user name or password`, {
      fix: 'use a token in the query string or a pre-signed URL',
    });
  return url;
}

/** Checks the URL and the addresses its host resolves to now (early, clear refusals; the connector checks again). */
export async function assertUrlAllowed(value: string, policy: AddressPolicy, what = 'URL'): Promise<URL> {
  const url = checkOutboundUrl(value, what);
  await resolveAllowed(url.hostname, policy);
  return url;
}

/**
 * An undici Agent whose every connection goes to an address the policy allows: the
 * connector resolves the host itself, checks the result and connects to that IP
 * (TLS still verifies the certificate against the host name).
 */
export async function guardedAgent(policy: AddressPolicy, options: { connectTimeoutMs?: number } = {}): Promise<Agent> {
  const { Agent, buildConnector } = await loadUndici();
  const connectTo = buildConnector({ timeout: options.connectTimeoutMs ?? 10_000, allowH2: false });
  return new Agent({
    connect: (opts, callback) => {
      const host = opts.hostname.startsWith('[') ? opts.hostname.slice(1, -1) : opts.hostname;
      resolveAllowed(host, policy).then(
        (target) =>
          connectTo(
            { ...opts, hostname: target.address, servername: opts.servername ?? (isIP(host) ? undefined : host) },
            callback,
          ),
        (err: Error) => callback(err, null),
      );
    },
  });
}

/** The ingest policy from configuration. */
export function ingestPolicy(
  config: { ingestAllowPrivate: boolean; outboundAllowCidrs: readonly string[] },
  lookup?: LookupAll,
): AddressPolicy {
  return {
    allowPrivate: config.ingestAllowPrivate,
    allowCidrs: parseAllowCidrs(config.outboundAllowCidrs),
    setting: 'INGEST_ALLOW_PRIVATE',
    lookup,
  };
}

/** The webhook policy from configuration. */
export function webhookPolicy(
  config: { webhookAllowPrivate: boolean; outboundAllowCidrs: readonly string[] },
  lookup?: LookupAll,
): AddressPolicy {
  return {
    allowPrivate: config.webhookAllowPrivate,
    allowCidrs: parseAllowCidrs(config.outboundAllowCidrs),
    setting: 'WEBHOOK_ALLOW_PRIVATE',
    lookup,
  };
}
