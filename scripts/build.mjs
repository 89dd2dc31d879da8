// What `npm start` runs first: builds the dashboard (vite) and the hub's start bundle (esbuild) only
// when they are missing or older than what they are built from, so a restarted hub serves again
// after its modules load and its database answers, not after a rebuild. Plain JavaScript on purpose:
// it runs before every start and must cost milliseconds when nothing changed.
//
// The bundle (build/hub.mjs) is the hub's own TypeScript, with every npm package left to Node:
// loading it skips compiling some 200 modules through a loader at each start. It is split in two:
// hub.mjs itself reads the configuration and, on the embedded pair, starts the database's child
// process (build/pglite-server.mjs, plain Node, no loader) at once; the rest of the hub, and the
// npm packages it needs, load in a chunk meanwhile, so the database's own start-up (PGlite and
// PostGIS, about two seconds) overlaps the hub's. Report workers still run from the TypeScript
// source (through tsx).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const force = process.argv.includes('--force');

/** The newest modification time of the files under dir (dist and node_modules left out). */
function newest(dir) {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'dist' || entry.name === 'node_modules') continue;
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

const stale = (output, sources) => force || !existsSync(output) || statSync(output).mtimeMs < sources;
const lock = statSync(join(root, 'package-lock.json')).mtimeMs;
const shared = newest(join(root, 'src'));

// The dashboard imports the shared schemas in src/, and its dependencies come with package-lock.json.
if (
  stale(
    join(root, 'dashboard', 'dist', 'index.html'),
    Math.max(newest(join(root, 'dashboard')), shared, lock),
  )
) {
  process.stderr.write('dashboard: building\n');
  const run = spawnSync('npm', ['run', 'build:dashboard', '--silent'], { cwd: root, stdio: 'inherit' });
  if (run.status !== 0) process.exit(run.status ?? 1);
}

const bundle = join(root, 'build', 'hub.mjs');
const serverSources = Math.max(
  newest(join(root, 'hub-server', 'src')),
  newest(join(root, 'edge-agent', 'src')),
  shared,
  lock,
);
if (stale(bundle, serverSources) || !existsSync(join(dirname(bundle), 'pglite-server.mjs'))) {
  process.stderr.write('hub: bundling build/hub.mjs and build/pglite-server.mjs\n');
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints: {
      hub: join(root, 'hub-server', 'src', 'main.ts'),
      'pglite-server': join(root, 'hub-server', 'src', 'db', 'pglite-server.ts'),
    },
    outdir: dirname(bundle),
    outExtension: { '.js': '.mjs' },
    // Code loaded by import() becomes chunks that Node loads only when the import runs.
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // npm packages stay in node_modules, loaded by Node as they are.
    packages: 'external',
    sourcemap: true,
    logLevel: 'warning',
    write: false,
  });
  // Each file written aside and renamed into place, the entry points last: a hub starting meanwhile
  // reads the old build or the new one, never half of one. Chunks are named by their content, so the
  // old ones stay until a later build finds them an hour old (no hub still starting needs them).
  const written = new Set(result.outputFiles.map((file) => file.path));
  const entries = (file) => /[/\\](hub|pglite-server)\.mjs(\.map)?$/.test(file.path);
  for (const file of [
    ...result.outputFiles.filter((f) => !entries(f)),
    ...result.outputFiles.filter(entries),
  ]) {
    mkdirSync(dirname(file.path), { recursive: true });
    const aside = `${file.path}.${process.pid}.tmp`;
    writeFileSync(aside, file.contents);
    renameSync(aside, file.path);
  }
  const chunks = join(dirname(bundle), 'chunks');
  for (const name of existsSync(chunks) ? readdirSync(chunks) : []) {
    const path = join(chunks, name);
    if (!written.has(path) && statSync(path).mtimeMs < Date.now() - 3_600_000) rmSync(path, { force: true });
  }
}
