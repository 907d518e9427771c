import { isIP } from 'node:net';
import { ConfigError, OutboundError, type Config } from '@videoqa/core';
import { checkOutboundUrl, resolveAllowed, webhookPolicy, type LookupAll } from '../outbound/address-guard.ts';

/**
 * The URL a new job's completion goes to: the one given with the job, else WEBHOOK_URL,
 * else none. Checked now so a bad URL is refused when the job is submitted: http(s)
 * only, and not a private or loopback target unless WEBHOOK_ALLOW_PRIVATE is set. A name
 * that does not resolve yet is accepted (the receiver may come up later); every
 * delivery is checked again at connect time.
 */
export async function resolveJobWebhook(
  config: Config,
  given?: string | null,
  lookup?: LookupAll,
): Promise<string | undefined> {
  const value = given ?? config.webhookUrl;
  if (!value) return undefined;
  if (!config.webhookSecret) {
    throw new ConfigError([
      { variable: 'WEBHOOK_SECRET', message: 'must be set (whsec_…) for completion webhooks to be signed and sent' },
    ]);
  }
  const url = checkOutboundUrl(value, 'webhook URL');
  try {
    await resolveAllowed(url.hostname, webhookPolicy(config, lookup));
  } catch (err) {
    const unresolvable =
      err instanceof OutboundError &&
      err.code !== 'URL_NOT_ALLOWED' &&
      isIP(url.hostname.replace(/^\[|\]$/g, '')) === 0;
    if (!unresolvable) throw err;
  }
  return url.toString();
}
