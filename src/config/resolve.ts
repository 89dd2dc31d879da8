import { Kind, type TObject, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { parseDocument } from 'yaml';
import { validate } from '../validation.ts';

export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`invalid configuration (${source}):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

export interface ResolveInput {
  /** YAML text of the config file, if any. */
  fileText?: string;
  /** Name used in messages, e.g. the file path. */
  source?: string;
  env?: Record<string, string | undefined>;
  /** Well-known variables (e.g. PORT) mapped to a dotted config path. */
  envAliases?: Record<string, string>;
  /** Prefix for generic overrides: `${prefix}__http__port=9000` sets `http.port`. */
  envPrefix?: string;
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function schemaAt(schema: TSchema, path: string[]): TSchema | undefined {
  let current: TSchema | undefined = schema;
  for (const key of path) {
    if (!current) return undefined;
    if (current[Kind] === 'Union') {
      current = (current.anyOf as TSchema[]).find((s) => s[Kind] === 'Object');
    }
    if (!current || current[Kind] !== 'Object') return undefined;
    current = (current as TObject).properties[key];
  }
  return current;
}

function kindsOf(schema: TSchema): string[] {
  if (schema[Kind] === 'Union') return (schema.anyOf as TSchema[]).flatMap(kindsOf);
  return [String(schema[Kind])];
}

/** Environment values are strings: convert to what the schema at that path expects, or leave for validation to reject. */
function convertEnv(schema: TSchema | undefined, raw: string): unknown {
  if (!schema) return raw;
  const kinds = kindsOf(schema);
  if (kinds.includes('Null') && (raw === '' || raw === 'null')) return null;
  if (
    (kinds.includes('Number') || kinds.includes('Integer')) &&
    raw.trim() !== '' &&
    !Number.isNaN(Number(raw))
  ) {
    return Number(raw);
  }
  if (kinds.includes('Boolean')) {
    if (['true', '1', 'yes', 'on'].includes(raw.toLowerCase())) return true;
    if (['false', '0', 'no', 'off'].includes(raw.toLowerCase())) return false;
  }
  if (kinds.includes('Array') || (kinds.includes('Object') && !kinds.includes('String'))) {
    try {
      return JSON.parse(raw);
    } catch {
      return raw;
    }
  }
  return raw;
}

function setPath(target: Json, path: string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    if (!isObject(node[key])) node[key] = {};
    node = node[key] as Json;
  }
  node[path[path.length - 1] as string] = value;
}

function deepMerge(base: unknown, over: unknown): unknown {
  if (!isObject(base) || !isObject(over)) return over === undefined ? base : over;
  const out: Json = { ...base };
  for (const [key, value] of Object.entries(over)) out[key] = deepMerge(base[key], value);
  return out;
}

function parseYaml(text: string, source: string): Json {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      source,
      doc.errors.map((e) => `line ${e.linePos?.[0]?.line ?? '?'}: ${e.message.split('\n')[0]}`),
    );
  }
  const value: unknown = doc.toJS();
  if (value === null || value === undefined) return {};
  if (!isObject(value)) throw new ConfigError(source, ['/: the file must contain a mapping of settings']);
  return value;
}

/**
 * Four steps, failing fast with every problem listed as `path: message`:
 * defaults -> file -> environment -> validate (unknown keys are errors).
 */
export function resolveConfig<S extends TSchema>(schema: S, input: ResolveInput = {}): S['static'] {
  const source = input.source ?? 'defaults';
  const fromFile = input.fileText === undefined ? {} : parseYaml(input.fileText, source);
  const overrides: Json = {};
  const env = input.env ?? {};
  for (const [name, dotted] of Object.entries(input.envAliases ?? {})) {
    const raw = env[name];
    if (raw === undefined) continue;
    const path = dotted.split('.');
    setPath(overrides, path, convertEnv(schemaAt(schema, path), raw));
  }
  if (input.envPrefix) {
    const prefix = `${input.envPrefix}__`;
    for (const [name, raw] of Object.entries(env)) {
      if (!name.startsWith(prefix) || raw === undefined) continue;
      const path = name.slice(prefix.length).split('__');
      setPath(overrides, path, convertEnv(schemaAt(schema, path), raw));
    }
  }
  const merged = deepMerge(fromFile, overrides);
  const withDefaults = Value.Default(schema, Value.Clone(merged));
  const result = validate(schema, withDefaults, 50);
  if (!result.ok) {
    // One message per key: TypeBox reports a union mismatch again after the first error.
    const byPath = new Map<string, string>();
    for (const i of result.issues) {
      const key = i.path.slice(1).replaceAll('/', '.') || '(root)';
      if (!byPath.has(key)) byPath.set(key, `${key}: ${i.message}`);
    }
    throw new ConfigError(input.source ?? 'environment', [...byPath.values()]);
  }
  return result.value;
}

/** The defaults alone, as they would be written in an example file. */
export function defaultsOf<S extends TSchema>(schema: S): unknown {
  return Value.Default(schema, {});
}

const SECRET_KEY = /(password|secret|token|apikey|credential)/i;

/** A copy safe to log: secret-looking keys masked, credentials stripped from URLs. */
export function redactConfig(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactConfig);
  if (isObject(value)) {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [
        k,
        SECRET_KEY.test(k) && !/(File|Env)$/.test(k) && v !== null ? '[redacted]' : redactConfig(v),
      ]),
    );
  }
  if (typeof value === 'string') return stripUrlCredentials(value);
  return value;
}

/** Removes `user:pass@` from any URL-looking string (also used for every URL an agent reports). */
export function stripUrlCredentials(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/gi, '$1');
}
