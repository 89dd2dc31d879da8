import { Kind, type TObject, type TSchema } from '@sinclair/typebox';
import { stringify } from 'yaml';

function isObjectSchema(schema: TSchema): schema is TObject {
  return schema[Kind] === 'Object';
}

function scalar(value: unknown): string {
  // yaml's stringify gives the canonical form (quotes where needed, null, numbers).
  return stringify(value, { lineWidth: 0 }).trimEnd();
}

/**
 * Renders a config value as YAML with each setting's description as a comment, so the example
 * files document themselves from the schema and cannot drift from it (a test compares them).
 */
export function renderExample(schema: TSchema, value: unknown, indent = ''): string {
  if (!isObjectSchema(schema) || typeof value !== 'object' || value === null || Array.isArray(value)) {
    return `${indent}${scalar(value)}\n`;
  }
  const lines: string[] = [];
  for (const [key, child] of Object.entries(schema.properties)) {
    const v = (value as Record<string, unknown>)[key];
    if (v === undefined) continue;
    if (child.description) lines.push(`${indent}# ${child.description}`);
    if (isObjectSchema(child) && typeof v === 'object' && v !== null && !Array.isArray(v)) {
      lines.push(`${indent}${key}:`);
      lines.push(renderExample(child, v, `${indent}  `).trimEnd());
    } else if (Array.isArray(v) || (typeof v === 'object' && v !== null)) {
      const block = stringify({ [key]: v }, { lineWidth: 0 }).trimEnd();
      lines.push(...block.split('\n').map((l) => `${indent}${l}`));
    } else {
      lines.push(`${indent}${key}: ${scalar(v)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
