import type { RouteOptions } from 'fastify';

type Schema = Record<string, unknown>;

/**
 * Fails route registration when a body or query schema accepts fields it does not name
 * (every object must say `additionalProperties: false`). Checked as routes are added, so a new
 * route with a loose schema stops the hub at start-up (and its tests) instead of reaching users.
 */
export function assertClosedSchemas(route: RouteOptions): void {
  const schema = route.schema as Schema | undefined;
  if (!schema) return;
  // Path params are fixed by the URL pattern; bodies and queries are what callers can stuff.
  for (const part of ['body', 'querystring'] as const) {
    const where = openObjectIn(schema[part], part);
    if (where)
      throw new Error(
        `route ${String(route.method)} ${route.url}: ${where} accepts unknown fields (set additionalProperties: false)`,
      );
  }
}

function openObjectIn(schema: unknown, path: string): string | null {
  if (!schema || typeof schema !== 'object') return null;
  const s = schema as Schema;
  // A map (patternProperties) has data for keys; its values are checked below.
  if ((s.type === 'object' || s.properties) && !s.patternProperties && s.additionalProperties !== false)
    return path;
  for (const child of Object.values((s.patternProperties as Record<string, unknown>) ?? {})) {
    const found = openObjectIn(child, `${path}.*`);
    if (found) return found;
  }
  for (const [key, child] of Object.entries((s.properties as Record<string, unknown>) ?? {})) {
    const found = openObjectIn(child, `${path}.${key}`);
    if (found) return found;
  }
  for (const keyword of ['items', 'anyOf', 'oneOf', 'allOf'] as const) {
    const value = s[keyword];
    const children = Array.isArray(value) ? value : value ? [value] : [];
    for (const [index, child] of children.entries()) {
      const found = openObjectIn(child, `${path}.${keyword}[${index}]`);
      if (found) return found;
    }
  }
  return null;
}
