import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_DIR = fileURLToPath(new URL('../../', import.meta.url));
const DASHBOARD_DIR = join(REPO_DIR, 'dashboard');
const BUILT_INDEX = join(DASHBOARD_DIR, 'dist', 'index.html');
/** Everything `vite build` reads from the dashboard folder. */
const INPUTS = ['src', 'public', 'index.html', 'vite.config.ts'].map((name) => join(DASHBOARD_DIR, name));

function newestMtimeMs(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtimeMs(join(path, entry)));
  return newest;
}

function builtAtMs(): number | null {
  try {
    return statSync(BUILT_INDEX).mtimeMs;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/**
 * The hub serves `dashboard/dist` only if it exists when the hub starts, so build it first unless the
 * bundle is newer than every input. Returns how the bundle was obtained, for the test log.
 */
export async function ensureDashboardBuilt(timeoutMs = 120_000): Promise<'built' | 'up to date'> {
  const builtAt = builtAtMs();
  if (builtAt !== null && builtAt > Math.max(...INPUTS.map(newestMtimeMs))) return 'up to date';
  const output: string[] = [];
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn('npm', ['run', 'build:dashboard', '--silent'], {
      cwd: REPO_DIR,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (exitCode) => {
      clearTimeout(timer);
      resolve(exitCode);
    });
  });
  if (code !== 0) {
    throw new Error(`npm run build:dashboard exited with ${code ?? 'a signal'}:\n${output.join('').trim()}`);
  }
  return 'built';
}
