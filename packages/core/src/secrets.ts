/**
 * The one secret scrubber (logs, error messages, provider replies): the configured
 * secrets literally, passwords in URLs, anything shaped like an OpenAI key, and bearer
 * tokens. Secrets shorter than 4 characters are left alone: masking them would mangle
 * ordinary text.
 */
export function scrubSecrets(text: string, secrets: readonly (string | undefined)[] = []): string {
  let out = text;
  for (const s of secrets) if (s && s.length >= 4) out = out.split(s).join('***');
  return out
    .replace(/(\w+:\/\/[^:/@\s]+:)[^@\s/]+@/g, '$1***@')
    .replace(/\bsk-[A-Za-z0-9_*-]{6,}/g, 'sk-***')
    .replace(/(Bearer\s+)[A-Za-z0-9._~+/-]{6,}=*/gi, '$1***');
}
