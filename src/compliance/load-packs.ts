import { Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { type Document, isNode, LineCounter, parseDocument } from 'yaml';
import { checkRule, schemaProblems } from './check-rule.ts';
import { packRef, type Rule, RulePack } from './rule-pack.ts';

export class RulePackError extends Error {
  readonly code = 'RULE_PACK_INVALID';
  /** Each problem names the file, the rule (index and id) and the field. */
  constructor(readonly problems: string[]) {
    super(`invalid certification rule pack:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** Registry keyed by `code@version`: several versions of one code coexist so old results stay reproducible. */
export type RulePackRegistry = ReadonlyMap<string, RulePack>;

// The pack's own fields; rules are checked one by one so each message names its rule.
const PackEnvelope = Type.Object(
  { ...RulePack.properties, rules: Type.Array(Type.Unknown(), { minItems: 1 }) },
  { additionalProperties: false },
);

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** `params.allowed[1]` -> ['params', 'allowed', 1] for looking the node up in the YAML document. */
function pathOf(field: string): (string | number)[] {
  return [...field.matchAll(/([^.[\]]+)|\[(\d+)\]/g)].map((m) =>
    m[2] === undefined ? (m[1] as string) : Number(m[2]),
  );
}

/** Line of the nearest node that exists on the way to `path`: a missing field points at its parent. */
function lineAt(doc: Document, lines: LineCounter, path: (string | number)[]): number | null {
  for (let n = path.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
    if (isNode(node) && node.range) return lines.linePos(node.range[0]).line;
  }
  return null;
}

/**
 * Parses and validates one pack. Every problem is reported, each as
 * `<file>: rules[<i>] (<id>) <field>: <message> (line <n>)`; defaults are filled in and the pack is frozen.
 */
export function parseRulePack(text: string, fileName: string): RulePack {
  const lines = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true, lineCounter: lines });
  if (doc.errors.length > 0) {
    throw new RulePackError(
      doc.errors.map((e) => {
        const line = e.linePos?.[0]?.line ?? lines.linePos(e.pos[0]).line;
        return `${fileName}: line ${line}: YAML syntax: ${e.message.split('\n')[0]}`;
      }),
    );
  }
  const value: unknown = doc.toJS();
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new RulePackError([
      `${fileName}: the file must contain a mapping with code, version, title and rules`,
    ]);
  }
  const problems: string[] = [];
  const where = (path: (string | number)[]) => {
    const line = lineAt(doc, lines, path);
    return line === null ? '' : ` (line ${line})`;
  };

  for (const p of schemaProblems(PackEnvelope, value)) {
    if (p.field.startsWith('rules[')) continue;
    const field = p.field.replace('(rule)', '(pack)');
    problems.push(`${fileName}: ${field}: ${p.message}${where(pathOf(field))}`);
  }

  const rawRules = (value as { rules?: unknown }).rules;
  const rules: Rule[] = [];
  const firstIndexById = new Map<string, number>();
  if (Array.isArray(rawRules)) {
    rawRules.forEach((raw, i) => {
      const id = typeof raw === 'object' && raw !== null ? (raw as { id?: unknown }).id : undefined;
      const label = `rules[${i}]${typeof id === 'string' ? ` (${id})` : ''}`;
      const checked = checkRule(raw);
      if (!checked.ok) {
        for (const p of checked.problems) {
          const path = ['rules', i, ...(p.field === '(rule)' ? [] : pathOf(p.field))];
          problems.push(`${fileName}: ${label} ${p.field}: ${p.message}${where(path)}`);
        }
      } else {
        rules.push(checked.rule);
      }
      if (typeof id === 'string') {
        const first = firstIndexById.get(id);
        if (first === undefined) firstIndexById.set(id, i);
        else
          problems.push(
            `${fileName}: ${label} id: duplicate rule id, also rules[${first}]${where(['rules', i, 'id'])}`,
          );
      }
    });
  }
  if (problems.length > 0) throw new RulePackError(problems);
  return deepFreeze({ ...(Value.Clone(value) as RulePack), rules });
}

/**
 * Validates every file (reporting the problems of all of them at once) and builds the registry.
 * The hub reads `config/certification/*.yaml` and passes the texts here; this module does no I/O.
 */
export function loadRulePacks(files: readonly { name: string; text: string }[]): RulePackRegistry {
  const problems: string[] = [];
  const registry = new Map<string, RulePack>();
  const fileByRef = new Map<string, string>();
  for (const file of files) {
    let pack: RulePack;
    try {
      pack = parseRulePack(file.text, file.name);
    } catch (error) {
      if (!(error instanceof RulePackError)) throw error;
      problems.push(...error.problems);
      continue;
    }
    const ref = packRef(pack);
    const other = fileByRef.get(ref);
    if (other !== undefined) {
      problems.push(`${file.name}: version: ${ref} is already defined in ${other}; bump the version`);
      continue;
    }
    fileByRef.set(ref, file.name);
    registry.set(ref, pack);
  }
  if (problems.length > 0) throw new RulePackError(problems);
  return registry;
}

/** Orders versions numerically by dotted parts (1 < 1.1 < 2 < 10); a pre-release sorts before its release. */
export function compareVersions(a: RulePack['version'], b: RulePack['version']): number {
  const split = (v: RulePack['version']) => {
    const [main = '', pre] = String(v).split('-', 2);
    return { parts: main.split('.').map(Number), pre };
  };
  const x = split(a);
  const y = split(b);
  for (let i = 0; i < Math.max(x.parts.length, y.parts.length); i++) {
    const d = (x.parts[i] ?? 0) - (y.parts[i] ?? 0);
    if (d !== 0) return d;
  }
  if (x.pre === y.pre) return 0;
  if (x.pre === undefined) return 1;
  if (y.pre === undefined) return -1;
  return x.pre < y.pre ? -1 : 1;
}

/** The highest version of a code, for new assignments; existing results keep the ref they recorded. */
export function latestPack(registry: RulePackRegistry, code: string): RulePack | undefined {
  let best: RulePack | undefined;
  for (const pack of registry.values()) {
    if (pack.code === code && (!best || compareVersions(pack.version, best.version) > 0)) best = pack;
  }
  return best;
}
