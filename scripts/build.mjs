// What `npm start` runs first: builds the dashboard (vite) and the hub's start bundle (esbuild) only
// when they are missing or older than what they are built from, so a restarted hub serves again
// after its modules load and its database answers, not after a rebuild. Plain JavaScript on purpose:
// it runs before every start and must cost milliseconds when nothing changed.
//
// The bundle (build/hub.mjs) is the hub's own TypeScript in one file, with every npm package left
// to Node: loading it skips compiling some 200 modules through a loader at each start. Child
// processes and report workers still run from the TypeScript source (through tsx).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
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
if (stale(bundle, serverSources)) {
  process.stderr.write('hub: bundling build/hub.mjs\n');
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints: [join(root, 'hub-server', 'src', 'main.ts')],
    outfile: bundle,
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
  // Each file written aside and renamed into place: a hub starting meanwhile reads the old bundle or
  // the new one, never half of one.
  mkdirSync(dirname(bundle), { recursive: true });
  for (const file of result.outputFiles) {
    const aside = `${file.path}.${process.pid}.tmp`;
    writeFileSync(aside, file.contents);
    renameSync(aside, file.path);
  }
}
