import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export interface MediaBinaries {
  ffmpegPath: string;
  ffprobePath: string;
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function fromPackage(name: string): string {
  // The installer packages expose `path` pointing at a static binary shipped in the npm tarball.
  const mod = require(name) as { path: string };
  return mod.path;
}

/**
 * Picks ffmpeg/ffprobe: explicit env (FFMPEG_PATH, FFPROBE_PATH), then a system install, then the
 * binaries shipped on npm so a machine with only Node and npm still works.
 */
export function resolveMediaBinaries(env: NodeJS.ProcessEnv = process.env): MediaBinaries {
  const pick = (envName: string, system: string, pkg: string): string => {
    const explicit = env[envName];
    if (explicit) {
      if (!executable(explicit)) throw new Error(`${envName}=${explicit} is not an executable file`);
      return explicit;
    }
    if (executable(system)) return system;
    const shipped = fromPackage(pkg);
    if (!executable(shipped)) throw new Error(`${pkg} binary at ${shipped} is not executable`);
    return shipped;
  };
  return {
    ffmpegPath: pick('FFMPEG_PATH', '/usr/bin/ffmpeg', '@ffmpeg-installer/ffmpeg'),
    ffprobePath: pick('FFPROBE_PATH', '/usr/bin/ffprobe', '@ffprobe-installer/ffprobe'),
  };
}

const timeoutOptions = new Map<string, '-timeout' | '-stimeout'>();

/**
 * The RTSP socket I/O time-out option of this ffmpeg build: `-timeout` from ffmpeg 5 on, `-stimeout`
 * before (where `-timeout` meant "listen for a connection"). Asked of the binary itself, once.
 */
export function rtspSocketTimeoutOption(ffmpegPath: string): '-timeout' | '-stimeout' {
  let option = timeoutOptions.get(ffmpegPath);
  if (!option) {
    const help = spawnSync(ffmpegPath, ['-hide_banner', '-h', 'demuxer=rtsp'], {
      encoding: 'utf8',
      timeout: 10_000,
    });
    option = `${help.stdout ?? ''}`.includes('-stimeout') ? '-stimeout' : '-timeout';
    timeoutOptions.set(ffmpegPath, option);
  }
  return option;
}

const inputProtocols = new Map<string, ReadonlySet<string>>();

/**
 * The protocols this ffmpeg (or ffprobe) build can read, from its own `-protocols` list, asked once.
 * SRT needs a build with libsrt: Debian's ffmpeg has it, the npm-shipped ffmpeg does not.
 */
export function readableProtocols(binaryPath: string): ReadonlySet<string> {
  let protocols = inputProtocols.get(binaryPath);
  if (!protocols) {
    const listed = spawnSync(binaryPath, ['-hide_banner', '-protocols'], {
      encoding: 'utf8',
      timeout: 10_000,
    });
    const text = `${listed.stdout ?? ''}`;
    // "Supported file protocols:\nInput:\n  file\n  ...\nOutput:\n  ..."
    const input = text.split(/^Output:/m)[0]?.split(/^Input:/m)[1] ?? '';
    protocols = new Set(
      input
        .split('\n')
        .map((line) => line.trim())
        .filter((line) => /^[a-z0-9_]+$/.test(line)),
    );
    inputProtocols.set(binaryPath, protocols);
  }
  return protocols;
}
