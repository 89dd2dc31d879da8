import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { latestPack, loadRulePacks, type RulePackRegistry } from '../../../src/compliance/load-packs.ts';
import type { RulePack } from '../../../src/compliance/rule-pack.ts';

/** Reads and validates every *.yaml pack in the directory; any broken pack stops start-up. */
export function loadPackDir(dir: string): RulePackRegistry {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.yaml') || n.endsWith('.yml'));
  } catch (error) {
    throw new Error(
      `cannot read certification packs from ${dir}: ${(error as Error).message} (set compliance.packsDir)`,
    );
  }
  if (names.length === 0)
    throw new Error(`no certification packs (*.yaml) in ${dir} (set compliance.packsDir)`);
  return loadRulePacks(
    names.sort().map((name) => ({ name: join(dir, name), text: readFileSync(join(dir, name), 'utf8') })),
  );
}

/** A code (latest version) or an exact code@version from the registry. */
export function resolvePack(
  registry: RulePackRegistry,
  code: string,
  version: string | null,
): RulePack | undefined {
  if (version !== null) return registry.get(`${code}@${version}`);
  return latestPack(registry, code);
}
