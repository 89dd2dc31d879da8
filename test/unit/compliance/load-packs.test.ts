import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  compareVersions,
  latestPack,
  loadRulePacks,
  parseRulePack,
  RulePackError,
} from '../../../src/compliance/load-packs.ts';
import { RULE_KINDS, Rule } from '../../../src/compliance/rule-pack.ts';
import { fixture, SHIPPED_PACKS } from './evidence-builders.ts';

const PACKS_DIR = fileURLToPath(new URL('../../../config/certification/', import.meta.url));

function problemsOf(file: { name: string; text: string }): string[] {
  try {
    parseRulePack(file.text, file.name);
  } catch (error) {
    expect(error).toBeInstanceOf(RulePackError);
    return (error as RulePackError).problems;
  }
  throw new Error(`${file.name} loaded without error`);
}

describe('parseRulePack errors', () => {
  // Each message must name the file, the rule (index and id) and the field, and point at the line.
  it.each([
    ['bad-yaml.yaml.txt', /^test\/fixtures\/certification\/bad-yaml\.yaml\.txt: line 1[45]: YAML syntax: /],
    [
      'unknown-kind.yaml',
      /^test\/fixtures\/certification\/unknown-kind\.yaml: rules\[1\] \(clock-drift\) kind: unknown rule kind 'clock-drift'; expected one of availability, .* \(line 13\)$/,
    ],
    [
      'missing-source.yaml',
      /^test\/fixtures\/certification\/missing-source\.yaml: rules\[1\] \(codec\) source: is required: a one-line citation of the principle or standard clause \(line 12\)$/,
    ],
    [
      'wrong-param-type.yaml',
      /^test\/fixtures\/certification\/wrong-param-type\.yaml: rules\[2\] \(clock-offset\) params\.failMs: Expected number \(line 24\)$/,
    ],
    [
      'duplicate-rule-id.yaml',
      /^test\/fixtures\/certification\/duplicate-rule-id\.yaml: rules\[1\] \(availability\) id: duplicate rule id, also rules\[0\] \(line 12\)$/,
    ],
    [
      'unknown-param.yaml',
      /^test\/fixtures\/certification\/unknown-param\.yaml: rules\[1\] \(clock-offset\) params\.maxOffsetMs: Unexpected property \(line 18\)$/,
    ],
    [
      'bad-overridable.yaml',
      /^test\/fixtures\/certification\/bad-overridable\.yaml: rules\[1\] \(firmware\) overridable\[1\]: 'allowed' is not a param of firmware \(approved, maxAgeMs\) \(line 17\)$/,
    ],
    [
      'warn-above-fail.yaml',
      /^test\/fixtures\/certification\/warn-above-fail\.yaml: rules\[1\] \(clock-offset\) params\.warnMs: must not exceed params\.failMs \(line 18\)$/,
    ],
  ])('%s', (file, want) => {
    const problems = problemsOf(fixture(file));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(want);
  });

  it('reports every problem of a pack at once, with pack-level fields named', () => {
    const text = [
      'code: Not A Slug',
      'version: one',
      'title: x',
      'description: x',
      'appliesTo: []',
      'extra: 1',
      'rules:',
      '  - id: a',
      '    kind: codec',
      '    title: A',
      '    source: s',
      '    severity: fatal',
      '    params: { allowed: [] }',
      '  - kind: observed',
      '    title: B',
      '    source: s',
      '    severity: warn',
    ].join('\n');
    const problems = problemsOf({ name: 'p.yaml', text });
    expect(problems).toEqual([
      'p.yaml: extra: Unexpected property (line 6)',
      expect.stringMatching(/^p\.yaml: code: Expected string to match .* \(line 1\)$/),
      'p.yaml: version: must be a positive integer or a semver-like string such as 1.2.0 (line 2)',
      'p.yaml: rules[0] (a) severity: must be one of fail, warn (got "fatal") (line 12)',
      expect.stringMatching(/^p\.yaml: rules\[0\] \(a\) params\.allowed: .* \(line 13\)$/),
      expect.stringMatching(/^p\.yaml: rules\[1\] id: is required \(line 14\)$/),
    ]);
  });

  it.each([
    ['an empty file', ''],
    ['a list', '- a\n- b\n'],
    ['no rules', 'code: a\nversion: 1\ntitle: x\ndescription: x\nappliesTo: []\nrules: []\n'],
  ])('rejects %s', (_name, text) => {
    expect(() => parseRulePack(text, 'x.yaml')).toThrow(/x\.yaml: /);
  });

  it('rejects a multi-line source: a citation is one line', () => {
    const text = `code: a\nversion: 1\ntitle: x\ndescription: x\nappliesTo: []\nrules:\n  - id: s\n    kind: storage\n    title: S\n    source: "line one\\nline two"\n    severity: fail\n`;
    expect(problemsOf({ name: 'x.yaml', text })[0]).toMatch(/rules\[0\] \(s\) source: /);
  });
});

describe('shipped packs', () => {
  it('load, validate and cite a one-line source for every rule', () => {
    const registry = loadRulePacks(SHIPPED_PACKS);
    expect([...registry.keys()].sort()).toEqual(['police-evidential@3', 'public-space-baseline@3']);
    for (const pack of registry.values()) {
      expect(new Set(pack.rules.map((r) => r.id)).size).toBe(pack.rules.length);
      for (const rule of pack.rules) expect(rule.source).toMatch(/^[^\n]{10,}$/);
    }
  });

  it('the directory keeps versions 1 and 2 beside version 3, so @1 and @2 results stay reproducible', () => {
    const files = readdirSync(PACKS_DIR).filter((n) => n.endsWith('.yaml'));
    const registry = loadRulePacks(
      files.map((name) => ({ name, text: readFileSync(join(PACKS_DIR, name), 'utf8') })),
    );
    expect([...registry.keys()].sort()).toEqual([
      'police-evidential@1',
      'police-evidential@2',
      'police-evidential@3',
      'public-space-baseline@1',
      'public-space-baseline@2',
      'public-space-baseline@3',
    ]);
    const kinds = (ref: string) => registry.get(ref)?.rules.map((r) => r.kind) ?? [];
    for (const code of ['police-evidential', 'public-space-baseline']) {
      expect(latestPack(registry, code)?.version).toBe(3);
      // Version 2 added the video rule, version 3 the bitrate-declared rule.
      expect(kinds(`${code}@1`)).not.toContain('video');
      expect(kinds(`${code}@2`).filter((k) => k !== 'video')).toEqual(kinds(`${code}@1`));
      expect(kinds(`${code}@2`)).not.toContain('bitrate-declared');
      expect(kinds(`${code}@3`).filter((k) => k === 'bitrate-declared')).toHaveLength(1);
      // Nothing else changed: version 3 without its new rule is version 2, rule for rule.
      const v2 = registry.get(`${code}@2`);
      const v3 = registry.get(`${code}@3`);
      const v3WithoutNewRule = { ...v3, rules: v3?.rules.filter((r) => r.kind !== 'bitrate-declared') };
      expect({ ...v3WithoutNewRule, version: 2 }).toEqual(v2);
    }
  });

  it('police-evidential states the DESIGN thresholds', () => {
    const pack = loadRulePacks(SHIPPED_PACKS).get('police-evidential@3');
    const byId = new Map(pack?.rules.map((r) => [r.id, r]));
    expect(byId.get('availability')?.params).toMatchObject({ minShare: 0.995, period: 'calendar-month' });
    expect(byId.get('observed')?.params).toMatchObject({ minShare: 0.99 });
    expect(byId.get('clock-offset')?.params).toMatchObject({ warnMs: 1000, failMs: 5000 });
    expect(byId.get('pixel-density')?.params).toMatchObject({ table: 'bs-en-62676-4-2015' });
    expect(byId.get('retention')?.params).toMatchObject({ minDays: 31 });
    expect(byId.get('image')?.params).toMatchObject({ maxActiveMinutes: 15 });
    expect(byId.get('access-audit')?.kind).toBe('access-audit');
    expect(byId.get('bitrate-declared')?.params).toEqual({
      minShareOfDeclared: 0.25,
      maxShareOfDeclared: 2,
      maxAgeMs: 93_600_000,
    });
  });

  it('are frozen, so an evaluation can never change a loaded pack', () => {
    const pack = loadRulePacks(SHIPPED_PACKS).get('public-space-baseline@3');
    expect(Object.isFrozen(pack)).toBe(true);
    expect(Object.isFrozen(pack?.rules[0]?.params)).toBe(true);
  });
});

describe('loadRulePacks', () => {
  it('keeps several versions of one code, keyed by code@version', () => {
    const registry = loadRulePacks([fixture('versioned-v1.yaml'), fixture('versioned-v2.yaml')]);
    expect([...registry.keys()]).toEqual(['versioned@1', 'versioned@2']);
    expect(latestPack(registry, 'versioned')?.version).toBe(2);
    expect(latestPack(registry, 'nope')).toBeUndefined();
  });

  it('rejects the same code@version twice, naming both files', () => {
    const v1 = fixture('versioned-v1.yaml');
    expect(() => loadRulePacks([v1, { ...v1, name: 'copy.yaml' }])).toThrow(
      /copy\.yaml: version: versioned@1 is already defined in test\/fixtures\/certification\/versioned-v1\.yaml/,
    );
  });

  it('reports the problems of every file together', () => {
    try {
      loadRulePacks([fixture('unknown-kind.yaml'), ...SHIPPED_PACKS, fixture('missing-source.yaml')]);
      expect.unreachable();
    } catch (error) {
      expect((error as RulePackError).problems.map((p) => p.split(':')[0])).toEqual([
        'test/fixtures/certification/unknown-kind.yaml',
        'test/fixtures/certification/missing-source.yaml',
      ]);
      expect((error as RulePackError).code).toBe('RULE_PACK_INVALID');
    }
  });
});

describe('compareVersions', () => {
  it.each([
    [1, 2, -1],
    ['1.10.0', '1.9.0', 1],
    ['2', 2, 0],
    ['1.0.0-rc.1', '1.0.0', -1],
    ['1.0.0', '1.0.0-rc.1', 1],
    ['1.2', '1.2.0', 0],
  ] as const)('%s vs %s', (a, b, sign) => {
    expect(Math.sign(compareVersions(a, b))).toBe(sign);
  });
});

it('every rule kind has a variant in the Rule schema', () => {
  expect(Rule.anyOf.map((s) => s.properties.kind.const).sort()).toEqual([...RULE_KINDS].sort());
});
