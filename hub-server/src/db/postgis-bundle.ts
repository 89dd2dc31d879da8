/**
 * The PostGIS files the embedded database loads at each start, without the parts the hub never uses.
 *
 * PGlite's PostGIS bundle carries three extensions' libraries (postgis, postgis_raster and
 * postgis_topology, 48 MB of WebAssembly) and every SQL script of four extensions, and PGlite
 * unpacks and compiles all of it at every start, whether or not an extension is created. The hub
 * creates `postgis` only. A copy of the bundle without the others' files starts the database about
 * 1.4 s sooner on 2 cores and leaves the other two libraries out of the process's memory.
 *
 * The copy is made once, from the installed bundle, and kept inside the database's own directory
 * (private to the hub's user, see embedded-database.ts): nothing is read from a place another local
 * account could write. Its name holds a digest of the installed bundle, so a PGlite upgrade makes a
 * new one and the old is removed.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';

const BLOCK = 512;
const CACHE_PREFIX = 'cctv-postgis-core-';

/** Files of the extensions the hub never creates, and of upgrades from pre-extension PostGIS. */
const UNUSED = /postgis_(raster|topology|tiger_geocoder|sfcgal)|rtpostgis|\/topology\.sql$|--unpackaged--/;

/** Whether a file of the PostGIS bundle is needed for `CREATE EXTENSION postgis` and its use. */
export function postgisFileNeeded(name: string): boolean {
  return !UNUSED.test(name);
}

function field(header: Buffer, offset: number, length: number): string {
  const raw = header.subarray(offset, offset + length);
  const end = raw.indexOf(0);
  return raw.subarray(0, end === -1 ? length : end).toString('utf8');
}

function entryName(header: Buffer): string {
  const name = field(header, 0, 100);
  // ustar keeps long paths' directories in a prefix field.
  const prefix = header.subarray(257, 262).toString('latin1') === 'ustar' ? field(header, 345, 155) : '';
  return prefix ? `${prefix}/${name}` : name;
}

function entrySize(header: Buffer): number {
  const text = field(header, 124, 12).trim();
  const size = text === '' ? 0 : Number.parseInt(text, 8);
  if (!Number.isSafeInteger(size) || size < 0) throw new Error(`tar entry with a bad size field "${text}"`);
  return size;
}

/** The path a pax extended header (`x`) or GNU long-name entry (`L`) gives the entry that follows. */
function longName(type: string, data: Buffer): string | null {
  if (type === 'L') return field(data, 0, data.length);
  const match = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(data.toString('utf8'));
  return match?.[1] ?? null;
}

/**
 * A tar archive with only the entries `keep` accepts. Entries are copied byte for byte (headers,
 * extended headers and data), so nothing about a kept file changes.
 */
export function filterTar(tar: Buffer, keep: (name: string) => boolean): Buffer {
  const parts: Buffer[] = [];
  let pending: Buffer[] = [];
  let pendingName: string | null = null;
  let offset = 0;
  while (offset + BLOCK <= tar.length) {
    const header = tar.subarray(offset, offset + BLOCK);
    if (header.every((byte) => byte === 0)) break;
    const size = entrySize(header);
    const dataStart = offset + BLOCK;
    const end = dataStart + Math.ceil(size / BLOCK) * BLOCK;
    if (end > tar.length) throw new Error('tar archive ends inside an entry');
    const entry = tar.subarray(offset, end);
    const type = String.fromCharCode(header[156] ?? 0);
    offset = end;
    if (type === 'x' || type === 'L' || type === 'K') {
      // Belongs to the next entry: kept or dropped with it.
      pending.push(entry);
      if (type !== 'K')
        pendingName = longName(type, tar.subarray(dataStart, dataStart + size)) ?? pendingName;
      continue;
    }
    const name = pendingName ?? entryName(header);
    if (type === 'g' || keep(name)) parts.push(...pending, entry);
    pending = [];
    pendingName = null;
  }
  parts.push(Buffer.alloc(BLOCK * 2));
  return Buffer.concat(parts);
}

/**
 * The trimmed copy of `source` (PGlite's postgis.tar.gz) kept in `dataDir`, made now if missing.
 * Returns its file URL, for the extension's bundle path.
 */
export function postgisCoreBundle(dataDir: string, source: URL): URL {
  const original = readFileSync(source);
  const digest = createHash('sha256').update(original).digest('hex').slice(0, 16);
  const name = `${CACHE_PREFIX}${digest}.tar.gz`;
  const target = join(dataDir, name);
  if (!existsSync(target)) {
    const trimmed = gzipSync(filterTar(gunzipSync(original), postgisFileNeeded), { level: 1 });
    const scratch = `${target}.${process.pid}.partial`;
    writeFileSync(scratch, trimmed, { mode: 0o600 });
    renameSync(scratch, target);
  }
  for (const other of readdirSync(dataDir))
    if (other.startsWith(CACHE_PREFIX) && other !== name) rmSync(join(dataDir, other), { force: true });
  return pathToFileURL(target);
}

/** Whether `dataDir` already holds a database (PGlite creates one on first start). */
export function holdsDatabase(dataDir: string): boolean {
  return existsSync(join(dataDir, 'PG_VERSION'));
}
