import { Kind, type TObject, type TSchema } from '@sinclair/typebox';

function isObject(schema: TSchema): schema is TObject {
  return schema[Kind] === 'Object';
}

function typeName(schema: TSchema): string {
  if (schema[Kind] === 'Union') {
    const parts = (schema.anyOf as TSchema[]).map(typeName);
    return [...new Set(parts)].join(' \\| ');
  }
  if (schema[Kind] === 'Literal') return `\`${String(schema.const)}\``;
  if (schema[Kind] === 'Array') return `${typeName(schema.items as TSchema)}[]`;
  return String(schema[Kind]).toLowerCase();
}

function cell(value: unknown): string {
  if (value === undefined) return '(required)';
  return `\`${JSON.stringify(value)}\``;
}

/** A Markdown table of every setting (key, type, default, description), generated from the schema. */
export function configReference(schema: TSchema, prefix = ''): string[] {
  if (!isObject(schema)) return [];
  const rows: string[] = [];
  for (const [key, child] of Object.entries(schema.properties)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (isObject(child) && child.default !== undefined) {
      rows.push(...configReference(child, path));
      continue;
    }
    const description = (child.description ?? '').replaceAll('|', '\\|');
    rows.push(`| \`${path}\` | ${typeName(child)} | ${cell(child.default)} | ${description} |`);
  }
  return rows;
}

export function configTable(schema: TSchema): string {
  return ['| key | type | default | description |', '|---|---|---|---|', ...configReference(schema)].join(
    '\n',
  );
}
