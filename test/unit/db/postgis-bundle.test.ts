import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import {
  filterTar,
  postgisCoreBundle,
  postgisFileNeeded,
} from '../../../hub-server/src/db/postgis-bundle.ts';
import { fromRoot } from '../../../src/paths.ts';

// GNU tar reads what filterTar writes: it is the judge of a well-formed archive here.
const list = (tar: Buffer) => execFileSync('tar', ['-tf', '-'], { input: tar }).toString().trim().split('\n');
const extract = (tar: Buffer, name: string) =>
  execFileSync('tar', ['-xOf', '-', name], { input: tar, maxBuffer: 64 * 1024 * 1024 });

const BUNDLE = fromRoot('node_modules', '@electric-sql', 'pglite-postgis', 'dist', 'postgis.tar.gz');
const scratch = mkdtempSync(join(tmpdir(), 'postgis-bundle-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("the PostGIS core bundle (PGlite's bundle without the extensions the hub never creates)", () => {
  const original = gunzipSync(readFileSync(BUNDLE));
  const trimmed = filterTar(original, postgisFileNeeded);

  it('keeps the postgis library, its SQL and the projection database, and drops raster, topology and tiger', () => {
    const before = list(original);
    const after = list(trimmed);
    expect(after).toContain('lib/postgresql/postgis-3.so');
    expect(after).toContain('share/postgresql/extension/postgis.control');
    expect(after.some((name) => /^share\/postgresql\/extension\/postgis--3\.\d+\.\d+\.sql$/.test(name))).toBe(
      true,
    );
    expect(after).toContain('share/proj/proj.db');
    for (const gone of [
      'lib/postgresql/postgis_raster-3.so',
      'lib/postgresql/postgis_topology-3.so',
      'share/postgresql/extension/postgis_raster.control',
      'share/postgresql/extension/postgis_topology.control',
      'share/postgresql/extension/postgis_tiger_geocoder.control',
    ]) {
      expect(before).toContain(gone);
      expect(after).not.toContain(gone);
    }
    // Exactly the entries the rule keeps, in their order.
    expect(after).toEqual(before.filter(postgisFileNeeded));
    expect(trimmed.length).toBeLessThan(original.length * 0.7);
  }, 30_000);

  it('copies kept files byte for byte', () => {
    for (const name of ['lib/postgresql/postgis-3.so', 'share/postgresql/extension/postgis.control'])
      expect(extract(trimmed, name).equals(extract(original, name))).toBe(true);
  }, 30_000);

  it('keeps or drops a long-named entry together with its extended header', () => {
    const root = join(scratch, 'long');
    const deep = `${'d'.repeat(60)}/${'e'.repeat(60)}`;
    mkdirSync(join(root, deep), { recursive: true });
    const keptName = `${deep}/postgis-kept-${'k'.repeat(100)}.sql`;
    const droppedName = `${deep}/postgis_raster-${'r'.repeat(100)}.sql`;
    writeFileSync(join(root, keptName), 'kept');
    writeFileSync(join(root, droppedName), 'dropped');
    for (const format of ['pax', 'gnu']) {
      const tar = execFileSync('tar', [`--format=${format}`, '-cf', '-', '-C', root, keptName, droppedName]);
      const out = filterTar(tar, postgisFileNeeded);
      expect(list(out)).toEqual([keptName]);
      expect(extract(out, keptName).toString()).toBe('kept');
    }
  });

  it('refuses an archive cut inside an entry', () => {
    expect(() => filterTar(original.subarray(0, 512 * 3 + 100), () => true)).toThrow(/ends inside an entry/);
  });

  it('is made once per installed bundle, in the database directory, private to the hub', () => {
    const dir = join(scratch, 'db');
    mkdirSync(dir);
    writeFileSync(join(dir, 'cctv-postgis-core-0000000000000000.tar.gz'), 'from an older PGlite');
    const url = postgisCoreBundle(dir, new URL(`file://${BUNDLE}`));
    const made = readFileSync(url);
    expect(list(gunzipSync(made))).toEqual(list(trimmed));
    expect(execFileSync('stat', ['-c', '%a', url.pathname]).toString().trim()).toBe('600');
    // The older copy is gone; a second call reuses the file.
    expect(execFileSync('ls', [dir]).toString().trim().split('\n')).toEqual([url.pathname.split('/').pop()]);
    expect(postgisCoreBundle(dir, new URL(`file://${BUNDLE}`)).href).toBe(url.href);
    // Unpacking and packing 50 MB takes a few seconds on a busy 2-core machine.
  }, 60_000);
});
