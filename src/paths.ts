import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The project's root directory (the one holding package.json), found upwards from this module: the
 * same whether the code runs from its TypeScript source or from the start bundle in build/, so files
 * the code reads or starts (migrations, the dashboard build, child-process scripts, demo data) are
 * found by their place in the project, not by where the running module happens to be.
 */
function findRoot(): string {
  const start = dirname(fileURLToPath(import.meta.url));
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${start}: cannot find the project root`);
  }
}

export const PROJECT_ROOT = findRoot();

/** A path inside the project, e.g. fromRoot('hub-server', 'migrations'). */
export function fromRoot(...parts: string[]): string {
  return join(PROJECT_ROOT, ...parts);
}
