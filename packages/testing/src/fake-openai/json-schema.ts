import { HttpError } from './http-error.ts';

/** The part of JSON Schema that structured outputs use. */
export type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean;
  items?: JsonSchema;
  enum?: unknown[];
  anyOf?: JsonSchema[];
  $ref?: string;
  definitions?: Record<string, JsonSchema>;
  $defs?: Record<string, JsonSchema>;
  minimum?: number;
};

/**
 * Rejects schemas the real structured-outputs API rejects in strict mode, so a schema
 * videoqa builds (from zod) fails here in tests rather than against the real API.
 */
export function checkStrictSchema(schema: JsonSchema, path = '$'): void {
  if (schema.anyOf) {
    schema.anyOf.forEach((s, i) => {
      checkStrictSchema(s, `${path}.anyOf[${i}]`);
    });
    return;
  }
  if (schema.$ref) return;
  const types = Array.isArray(schema.type) ? schema.type : [schema.type];
  if (types.includes('object')) {
    const props = Object.keys(schema.properties ?? {});
    if (schema.additionalProperties !== false)
      throw new HttpError(
        400,
        `Invalid schema for response_format: In context=${path}, 'additionalProperties' is required to be supplied and to be false.`,
      );
    const required = new Set(schema.required ?? []);
    const missing = props.filter((p) => !required.has(p));
    if (missing.length > 0)
      throw new HttpError(
        400,
        `Invalid schema for response_format: In context=${path}, 'required' is required to be supplied and to be an array including every key in properties. Missing '${missing[0]}'.`,
      );
    for (const [k, v] of Object.entries(schema.properties ?? {})) checkStrictSchema(v, `${path}.${k}`);
  }
  if (types.includes('array') && schema.items) checkStrictSchema(schema.items, `${path}[]`);
}

/**
 * The JSON Schema a json_object request states in its prompt (the last JSON object after
 * "JSON Schema"), if any: local servers only know json_object, so videoqa puts the schema
 * in the system message and the fake answers it as if it were strict.
 */
export function schemaFromPrompt(messages: { role: string; content: string }[]): JsonSchema | undefined {
  for (const m of messages) {
    if (m.role !== 'system' || !/JSON Schema/i.test(m.content)) continue;
    const start = m.content.indexOf('{', m.content.search(/JSON Schema/i));
    if (start < 0) continue;
    try {
      return JSON.parse(m.content.slice(start)) as JsonSchema;
    } catch {
      /* not a bare schema: keep looking */
    }
  }
  return undefined;
}

/**
 * Builds a value that satisfies the schema, taking a value from `fill` where it has one
 * for a path (e.g. "caption", "entities.objects") and a placeholder elsewhere.
 */
export function instance(schema: JsonSchema, root: JsonSchema, fill: (path: string) => unknown, path = ''): unknown {
  if (schema.$ref) {
    const name = schema.$ref.split('/').pop()!;
    return instance((root.$defs ?? root.definitions)?.[name] ?? {}, root, fill, path);
  }
  if (schema.anyOf) return instance(schema.anyOf.find((s) => s.type !== 'null') ?? schema.anyOf[0]!, root, fill, path);
  const custom = fill(path);
  if (custom !== undefined) return custom;
  if (schema.enum) return schema.enum[0];
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
  switch (type) {
    case 'object':
      return Object.fromEntries(
        Object.entries(schema.properties ?? {}).map(([k, v]) => [
          k,
          instance(v, root, fill, path ? `${path}.${k}` : k),
        ]),
      );
    case 'array':
      return schema.items ? [instance(schema.items, root, fill, `${path}[]`)] : [];
    case 'integer':
    case 'number':
      return Math.max(0, schema.minimum ?? 0);
    case 'boolean':
      return false;
    case 'null':
      return null;
    default:
      return `${path || 'value'}`;
  }
}
