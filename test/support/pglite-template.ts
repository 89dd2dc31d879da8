import { createHash } from 'node:crypto';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database } from '../../hub-server/src/db/database.ts';
import { fromRoot } from '../../src/paths.ts';
import { hashMigrations } from './pg-template.ts';

// A new embedded database costs 12-24 s (PGlite creating its cluster, CREATE EXTENSION postgis, then
// every migration); copying a data directory that already has all that costs under half a second.
// The copy carries the PostGIS core bundle the first start leaves there (postgis-bundle.ts).
// Tests on the embedded pair start from such a copy. The template is keyed by the migrations' text,
// the PGlite versions and the database process's code, so a new migration or a PGlite upgrade builds
// a new one, and it is built once per
// machine (the first test file to need it builds it; a rename makes it appear whole or not at all).
// The hub's own first start on an empty directory is still covered, by the npm-start and demo tests,
// which start from nothing.

const PREFIX = 'cctv-pglite-template-';

function templateKey(): string {
  const hash = hashMigrations(createHash('sha256'));
  for (const pkg of ['pglite', 'pglite-postgis'])
    hash.update(readFileSync(fromRoot('node_modules', '@electric-sql', pkg, 'package.json')));
  // What the embedded database's process leaves in its directory (the PostGIS core copy) too.
  for (const file of ['pglite-server.ts', 'postgis-bundle.ts'])
    hash.update(readFileSync(fromRoot('hub-server', 'src', 'db', file)));
  return hash.digest('hex').slice(0, 16);
}

let building: Promise<string> | null = null;

async function template(): Promise<string> {
  const path = join(tmpdir(), `${PREFIX}${templateKey()}`);
  if (existsSync(path)) return path;
  const scratch = mkdtempSync(join(tmpdir(), `${PREFIX}build-`));
  try {
    const dataDir = join(scratch, 'pglite');
    const db = new Database({ url: null, dataDir, poolSize: 1 });
    await db.start();
    await db.stop();
    chmodSync(dataDir, 0o700);
    try {
      renameSync(dataDir, path);
    } catch (error) {
      // Another test process finished the same template first: use theirs.
      if (!existsSync(path)) throw error;
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  // Templates of older migrations are of no further use once no run can still be copying them: two
  // checkouts on one machine (a branch and main) may each be using their own right now.
  const dayAgo = Date.now() - 86_400_000;
  for (const name of readdirSync(tmpdir())) {
    const other = join(tmpdir(), name);
    if (!name.startsWith(PREFIX) || other === path) continue;
    if ((statSync(other, { throwIfNoEntry: false })?.mtimeMs ?? Date.now()) < dayAgo)
      rmSync(other, { recursive: true, force: true });
  }
  return path;
}

/** Fills `dataDir` (which must not exist yet) with a migrated embedded database. */
export async function seedEmbeddedDatabase(dataDir: string): Promise<void> {
  building ??= template().finally(() => {
    building = null;
  });
  cpSync(await building, dataDir, { recursive: true });
}
