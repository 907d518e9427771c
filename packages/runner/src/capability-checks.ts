import { aiEndpoint, AI_CAPABILITIES, type Config } from '@videoqa/core';
import { probeCapabilities } from '@videoqa/stages';

export interface DoctorCheck {
  name: string;
  ok: boolean;
  detail: string;
  fix?: string;
  warning?: boolean;
}

const where = (p: { model: string; endpoint: string }, ownKey: boolean, key: boolean) =>
  `${p.model} at ${p.endpoint}${key ? (ownKey ? ' (own key)' : '') : ' (no key)'}`;

/**
 * doctor's AI checks: one cheap real request per capability to its own endpoint, the
 * embedding size measured and compared with the configuration and the schema, and any
 * feature the server lacks (and what videoqa does instead) named as a warning.
 */
export async function capabilityChecks(config: Config, schemaDimensions: number | null): Promise<DoctorCheck[]> {
  if (AI_CAPABILITIES.every((c) => !aiEndpoint(config, c).enabled)) {
    return [
      {
        name: 'AI endpoints',
        ok: true,
        warning: true,
        detail: 'OPENAI_API_KEY is not set: transcription, vision, embeddings and ask will be skipped',
        fix: 'set OPENAI_API_KEY, or per capability OPENAI_<CAPABILITY>_BASE_URL for local servers (docs/configuration.md)',
      },
    ];
  }
  const checks: DoctorCheck[] = [];
  for (const p of await probeCapabilities(config)) {
    const e = aiEndpoint(config, p.capability);
    if (p.skipped) {
      checks.push({ name: p.capability, ok: true, warning: true, detail: p.skipped });
      continue;
    }
    if (!p.ok) {
      const keyVar = e.ownApiKey ? `${p.envPrefix}_API_KEY` : 'OPENAI_API_KEY';
      const urlVar = e.ownBaseUrl ? `${p.envPrefix}_BASE_URL` : 'OPENAI_BASE_URL';
      checks.push({
        name: p.capability,
        ok: false,
        detail: `${where(p, e.ownApiKey, Boolean(e.apiKey))}: ${p.detail}`,
        fix: `verify ${keyVar} is valid (and has credits), ${urlVar} is reachable and serves ${p.model} (${p.envPrefix}_MODEL)`,
      });
      continue;
    }
    const degraded = p.fallbacks.map((f) => `the server refused ${f.from}: using ${f.to}`).join('; ');
    checks.push({
      name: p.capability,
      ok: true,
      detail: `${where(p, e.ownApiKey, Boolean(e.apiKey))}: ${p.detail}${degraded ? ` — ${degraded}` : ''}`,
      ...(degraded ? { warning: true, fix: 'works; a server with these features gives better results' } : {}),
    });
    if (p.capability === 'embeddings' && p.measuredDimensions !== undefined) {
      const measured = p.measuredDimensions;
      const configured = config.embeddingDimensions;
      if (measured !== configured) {
        checks.push({
          name: 'embedding size',
          ok: false,
          detail: `${p.model} returns ${measured} dimensions, OPENAI_EMBEDDING_DIMENSIONS is ${configured}`,
          fix: `set OPENAI_EMBEDDING_DIMENSIONS=${measured}${schemaDimensions !== null && schemaDimensions !== measured ? ', then run: videoqa reembed' : ''}`,
        });
      } else if (schemaDimensions !== null && schemaDimensions !== measured) {
        checks.push({
          name: 'embedding size',
          ok: false,
          detail: `${p.model} returns ${measured} dimensions, the database stores ${schemaDimensions}`,
          fix: 'run: videoqa reembed (rebuilds the vectors without processing the videos again)',
        });
      } else {
        checks.push({
          name: 'embedding size',
          ok: true,
          detail: `${measured} dimensions: model, OPENAI_EMBEDDING_DIMENSIONS${schemaDimensions !== null ? ' and database' : ''} agree`,
        });
      }
    }
  }
  return checks;
}
