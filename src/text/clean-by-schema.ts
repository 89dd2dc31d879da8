import { Kind, type TSchema } from '@sinclair/typebox';
import { cleanSiteText } from './site-text.ts';

/**
 * Free text is a string the schema leaves open: no pattern, format or constant. Ids, timestamps and
 * enumerations are already pinned by their schema, and a slug with a control character in it must
 * stay refused, not be cleaned into a valid id.
 */
function isFreeText(schema: TSchema): boolean {
  if (schema[Kind] === 'Union') return (schema.anyOf as TSchema[]).some(isFreeText);
  return (
    schema[Kind] === 'String' &&
    schema.pattern === undefined &&
    schema.format === undefined &&
    schema.const === undefined
  );
}

/** The branch of a union an already validated object belongs to: an object schema naming all its keys. */
function objectBranch(schema: TSchema, value: Record<string, unknown>): TSchema | null {
  if (schema[Kind] === 'Object') return schema;
  if (schema[Kind] !== 'Union') return null;
  for (const branch of schema.anyOf as TSchema[]) {
    const found = objectBranch(branch, value);
    if (found && namesAll(found, value)) return found;
  }
  return null;
}

function namesAll(schema: TSchema, value: Record<string, unknown>): boolean {
  const properties = schema.properties as object;
  for (const key in value) if (Object.hasOwn(value, key) && !(key in properties)) return false;
  return true;
}

function arrayItems(schema: TSchema): TSchema | null {
  if (schema[Kind] === 'Array') return schema.items as TSchema;
  if (schema[Kind] !== 'Union') return null;
  for (const branch of schema.anyOf as TSchema[]) {
    const items = arrayItems(branch);
    if (items) return items;
  }
  return null;
}

/**
 * Cleans every free-text string of a value that already passed `schema` (cleanSiteText). Returns the
 * same value when nothing needed cleaning, else a copy: the input is never changed.
 */
export function cleanTextBySchema<T>(schema: TSchema, value: T): T {
  if (typeof value === 'string') return (isFreeText(schema) ? cleanSiteText(value) : value) as T;
  if (Array.isArray(value)) {
    const items = arrayItems(schema);
    if (!items) return value;
    let copy: unknown[] | null = null;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      const cleaned = cleanTextBySchema(items, item);
      if (cleaned !== item) {
        copy ??= [...value];
        copy[i] = cleaned;
      }
    }
    return (copy ?? value) as T;
  }
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    const object = objectBranch(schema, record);
    if (!object) return value;
    const properties = object.properties as Record<string, TSchema>;
    let copy: Record<string, unknown> | null = null;
    // A key loop, not Object.entries: this runs on every message a site sends (no pair arrays).
    for (const key in record) {
      if (!Object.hasOwn(record, key)) continue;
      const property = properties[key];
      if (!property) continue;
      const child = record[key];
      const cleaned = cleanTextBySchema(property, child);
      if (cleaned !== child) {
        copy ??= { ...record };
        copy[key] = cleaned;
      }
    }
    return (copy ?? value) as T;
  }
  return value;
}
