import { readFile } from 'node:fs/promises';
import { isIPv4 } from 'node:net';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import pLimit from 'p-limit';
import { parse as parseYaml } from 'yaml';
import type { Commissioning } from '../../src/schemas/commissioning.ts';
import { type Credential, type InspectedDevice, inspectDevice } from './discovery/inspect-device.ts';
import { type DiscoveredDevice, dedupeDevices, probeDevices } from './discovery/probe-client.ts';
import { type ProposedCamera, proposeCameras } from './discovery/propose.ts';
import { type ProbeTarget, probeTargets, TargetError } from './discovery/targets.ts';
import { appendCameras, WriteConfigError, type WriteOutcome } from './discovery/write-config.ts';
import { scopeValue, WSD_PORT } from './discovery/ws-discovery.ts';
import { errorMessage } from './errors.ts';
import { setNodeOnvifHttpTimeout } from './onvif/node-onvif.ts';

export const DISCOVER_HELP = `Usage: npm run agent -- discover (--config <file> | --site <id>) --user <name> --password-env <VAR> [options]

Finds the ONVIF cameras on this site's network (WS-Discovery), opens each with the credentials given,
reads make, model, firmware, serial and media profiles, and proposes camera entries for the config.

Options:
  --config <file>         The agent config: its site id names the cameras; with --write they are added to it
  --site <id>             The site id, without a config
  --user <name>           A user name to try, followed by its password source (repeatable: pairs are tried in order)
  --password-env <VAR>    The password of the --user before it, from this environment variable
  --password-file <file>  ... or from this file
  --address <host[:port]> Also probe this address directly (repeatable), for networks without multicast
  --range <range>         Probe every address of a.b.c.d-e, a.b.c.d-a.b.c.e or a.b.c.d/24 (at most 256 in all)
  --interface <address>   Send from this local IPv4 address (the camera network's port of the site box)
  --no-multicast          Only probe --address and --range
  --port <port>           WS-Discovery UDP port (default 3702)
  --timeout <seconds>     How long to wait for answers (default 3)
  --write                 Add the cameras that opened to --config, each password in a file under secrets/
  --json                  Print the result as JSON for scripts
  --help                  This text

Commissioning values (location, bearing, field of view, distance, purpose) cannot be discovered: proposed
cameras carry placeholders, flagged in the output and the config, to replace before 'commission'.
Exit codes: 0 devices found and all opened; 1 none found, one could not be opened, or writing failed;
2 wrong usage.`;

export class DiscoverUsageError extends Error {}

export interface DiscoverOptions {
  siteId: string;
  configPath: string | null;
  location: Commissioning['location'];
  credentials: Credential[];
  targets: ProbeTarget[];
  multicast: boolean;
  interfaceAddress: string | undefined;
  port: number;
  timeoutMs: number;
  write: boolean;
  json: boolean;
}

const ID = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** --user and its password source come in pairs, in the order given. */
function credentialSources(tokens: NonNullable<ReturnType<typeof parseArgs>['tokens']>) {
  const pairs: { username: string; from: { env: string } | { file: string } | null }[] = [];
  for (const t of tokens) {
    if (t.kind !== 'option') continue;
    if (t.name === 'user') pairs.push({ username: t.value ?? '', from: null });
    else if (t.name === 'password-env' || t.name === 'password-file') {
      const last = pairs.at(-1);
      if (!last || last.from !== null)
        throw new DiscoverUsageError(`--${t.name} ${t.value} must follow the --user it belongs to`);
      last.from = t.name === 'password-env' ? { env: t.value ?? '' } : { file: t.value ?? '' };
    }
  }
  for (const p of pairs)
    if (p.from === null)
      throw new DiscoverUsageError(`--user ${p.username} needs --password-env or --password-file after it`);
  return pairs as { username: string; from: { env: string } | { file: string } }[];
}

export async function parseDiscoverArgs(
  argv: readonly string[],
  env: Record<string, string | undefined>,
): Promise<DiscoverOptions | 'help'> {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: {
        config: { type: 'string' },
        site: { type: 'string' },
        user: { type: 'string', multiple: true },
        'password-env': { type: 'string', multiple: true },
        'password-file': { type: 'string', multiple: true },
        address: { type: 'string', multiple: true },
        range: { type: 'string', multiple: true },
        interface: { type: 'string' },
        'no-multicast': { type: 'boolean' },
        port: { type: 'string' },
        timeout: { type: 'string' },
        write: { type: 'boolean' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      tokens: true,
    });
  } catch (error) {
    throw new DiscoverUsageError(`${(error as Error).message}\n\n${DISCOVER_HELP}`);
  }
  const v = parsed.values as Record<string, string | string[] | boolean | undefined>;
  if (v.help) return 'help';
  const port = v.port === undefined ? WSD_PORT : Number(v.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new DiscoverUsageError('--port must be 1-65535');
  const timeoutS = v.timeout === undefined ? 3 : Number(v.timeout);
  if (!Number.isFinite(timeoutS) || timeoutS <= 0 || timeoutS > 60)
    throw new DiscoverUsageError('--timeout must be more than 0 and at most 60 seconds');
  const iface = v.interface as string | undefined;
  if (iface !== undefined && !isIPv4(iface))
    throw new DiscoverUsageError(`--interface ${iface}: give the IPv4 address of the interface`);
  let targets: ProbeTarget[];
  try {
    targets = probeTargets(
      (v.address as string[] | undefined) ?? [],
      (v.range as string[] | undefined) ?? [],
      port,
    );
  } catch (error) {
    if (error instanceof TargetError) throw new DiscoverUsageError(error.message);
    throw error;
  }
  const multicast = v['no-multicast'] !== true;
  if (!multicast && targets.length === 0)
    throw new DiscoverUsageError('--no-multicast needs --address or --range: there is nothing to probe');
  const configPath = typeof v.config === 'string' ? resolve(v.config) : null;
  if (v.write && configPath === null) throw new DiscoverUsageError('--write needs --config <file>');
  let siteId = v.site as string | undefined;
  let location: Commissioning['location'] = { lat: 0, lon: 0 };
  if (configPath !== null) {
    let site: { id?: unknown; location?: { lat?: unknown; lon?: unknown } } | undefined;
    try {
      site = (parseYaml(await readFile(configPath, 'utf8')) as { site?: typeof site } | null)?.site;
    } catch (error) {
      throw new DiscoverUsageError(`cannot read --config ${configPath}: ${errorMessage(error)}`);
    }
    if (siteId === undefined && typeof site?.id === 'string') siteId = site.id;
    const { lat, lon } = site?.location ?? {};
    if (typeof lat === 'number' && typeof lon === 'number') location = { lat, lon };
  }
  if (siteId === undefined)
    throw new DiscoverUsageError('give --config <file> (with site.id) or --site <id>');
  if (!ID.test(siteId))
    throw new DiscoverUsageError(`site id ${siteId}: lowercase letters, digits and dashes`);
  const credentials: Credential[] = [];
  for (const pair of credentialSources(parsed.tokens ?? [])) {
    if ('env' in pair.from) {
      const password = env[pair.from.env];
      if (password === undefined)
        throw new DiscoverUsageError(`--password-env ${pair.from.env}: the variable is not set`);
      credentials.push({ username: pair.username, password, source: `env ${pair.from.env}` });
    } else {
      let text: string;
      try {
        text = await readFile(pair.from.file, 'utf8');
      } catch (error) {
        throw new DiscoverUsageError(`--password-file ${pair.from.file}: ${errorMessage(error)}`);
      }
      credentials.push({
        username: pair.username,
        password: text.replace(/\r?\n$/, ''),
        source: `file ${pair.from.file}`,
      });
    }
  }
  if (credentials.length === 0)
    throw new DiscoverUsageError('give --user with --password-env or --password-file');
  return {
    siteId,
    configPath,
    location,
    credentials,
    targets,
    multicast,
    interfaceAddress: iface,
    port,
    timeoutMs: Math.round(timeoutS * 1000),
    write: v.write === true,
    json: v.json === true,
  };
}

export interface DiscoverReport {
  ok: boolean;
  siteId: string;
  devices: InspectedDevice[];
  proposed: (Omit<ProposedCamera, 'credentialIndex' | 'profile'> & { profileToken: string })[];
  written: WriteOutcome | null;
  discoveredAt: string;
}

/** Per-request ONVIF deadline while reading devices. */
const ONVIF_TIMEOUT_MS = 5000;

export async function runDiscover(
  options: DiscoverOptions,
  progress: (phase: 'probing' | 'reading', done: number, total: number) => void,
): Promise<{ report: DiscoverReport; proposals: ProposedCamera[] }> {
  setNodeOnvifHttpTimeout(ONVIF_TIMEOUT_MS);
  progress('probing', 0, 0);
  const found: DiscoveredDevice[] = dedupeDevices(
    await probeDevices({
      multicast: options.multicast,
      ...(options.interfaceAddress ? { interfaceAddress: options.interfaceAddress } : {}),
      port: options.port,
      targets: options.targets,
      timeoutMs: options.timeoutMs,
    }),
  );
  const limit = pLimit(4);
  let done = 0;
  progress('reading', 0, found.length);
  const devices = await Promise.all(
    found.map((d) =>
      limit(async () => {
        const inspected = await inspectDevice(d, options.credentials, ONVIF_TIMEOUT_MS);
        progress('reading', ++done, found.length);
        return inspected;
      }),
    ),
  );
  devices.sort((a, b) => a.url.localeCompare(b.url));
  const proposals = devices.flatMap((d) =>
    proposeCameras(
      d,
      options.siteId,
      options.credentials[d.credentialIndex ?? 0]?.username ?? '',
      options.location,
    ),
  );
  const opened = devices.every((d) => d.status === 'ok' || d.status === 'no_media');
  return {
    report: {
      ok: devices.length > 0 && opened,
      siteId: options.siteId,
      devices,
      proposed: proposals.map(({ credentialIndex: _c, profile, ...p }) => ({
        ...p,
        profileToken: profile.token,
      })),
      written: null,
      discoveredAt: new Date().toISOString(),
    },
    proposals,
  };
}

const STATUS_TEXT: Record<InspectedDevice['status'], string> = {
  ok: 'ok',
  auth_failed: 'WRONG CREDENTIALS',
  no_media: 'NO MEDIA SERVICE',
  unreachable: 'UNREACHABLE',
  error: 'ERROR',
};

function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] as number))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
}

/** Plain text (no colour): it goes into tickets and site notes as it is. */
export function formatDiscoverReport(report: DiscoverReport): string {
  if (report.devices.length === 0)
    return 'No ONVIF device answered. Is multicast blocked here? Try --address or --range, or --interface.\n';
  const out = table(
    ['Status', 'Name', 'Make', 'Model', 'Firmware', 'Serial', 'Address'],
    report.devices.map((d) => [
      STATUS_TEXT[d.status],
      scopeValue(d.scopes, 'name') ?? '',
      d.device?.manufacturer ?? '',
      d.device?.model ?? '',
      d.device?.firmwareVersion ?? '',
      d.device?.serialNumber ?? '',
      d.url,
    ]),
  );
  out.push('');
  for (const d of report.devices) {
    if (d.status !== 'ok') {
      out.push(`${d.url}: ${d.detail}`);
      continue;
    }
    out.push(`${d.url}:`);
    for (const p of d.profiles)
      out.push(
        `  ${p.token}: ${p.encoding} ${p.width}x${p.height}${p.fps !== null ? ` ${p.fps} fps` : ''}${p.bitrateKbps !== null ? ` ${p.bitrateKbps} kbit/s` : ''}  stream ${p.streamUri ?? '-'}  snapshot ${p.snapshotUri ?? '-'}`,
      );
  }
  out.push('');
  if (report.proposed.length > 0) {
    out.push('Proposed cameras (commissioning values are PLACEHOLDERS to replace):');
    out.push(
      ...table(
        ['Id', 'Name', 'ONVIF URL', 'User'],
        report.proposed.map((p) => [p.id, p.name, p.onvif.url, p.onvif.username]),
      ),
    );
    out.push('');
  }
  if (report.written) {
    for (const a of report.written.added) out.push(`Added ${a.id} (password in ${a.passwordFile})`);
    for (const s of report.written.skipped) out.push(`Kept ${s.id} out: ${s.why}`);
    if (report.written.added.length > 0)
      out.push('Next: replace the commissioning placeholders in the config, then commission and check.');
  }
  const count = (s: InspectedDevice['status']) => report.devices.filter((d) => d.status === s).length;
  out.push(
    `Found ${report.devices.length} device${report.devices.length === 1 ? '' : 's'}: ${count('ok')} opened, ${count('auth_failed')} wrong credentials, ${count('no_media')} without media service, ${count('unreachable')} unreachable, ${count('error')} errors.`,
  );
  return `${out.join('\n')}\n`;
}

const SPINNER = ['|', '/', '-', '\\'];

/** `npm run agent -- discover ...`: returns the exit code. */
export async function discoverCommand(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  out: NodeJS.WriteStream | NodeJS.WritableStream,
  err: NodeJS.WriteStream | NodeJS.WritableStream,
): Promise<number> {
  let options: DiscoverOptions | 'help';
  try {
    options = await parseDiscoverArgs(argv, env);
  } catch (error) {
    err.write(`${errorMessage(error)}\n`);
    return 2;
  }
  if (options === 'help') {
    out.write(`${DISCOVER_HELP}\n`);
    return 0;
  }
  const tty = 'isTTY' in err && err.isTTY === true;
  let spin: NodeJS.Timeout | undefined;
  let status = '';
  const progress = (phase: 'probing' | 'reading', done: number, total: number) => {
    if (options.json) return;
    status =
      phase === 'probing'
        ? `probing ${options.multicast ? 'by multicast' : ''}${options.multicast && options.targets.length > 0 ? ' and ' : ''}${options.targets.length > 0 ? `${options.targets.length} address${options.targets.length === 1 ? '' : 'es'}` : ''} for ${options.timeoutMs / 1000} s`
        : `reading ${done}/${total} devices`;
    // A spinner on a terminal, plain lines otherwise (logs, CI).
    if (!tty) err.write(`${status}\n`);
    else if (!spin) {
      let frame = 0;
      spin = setInterval(() => err.write(`\r${SPINNER[frame++ % SPINNER.length]} ${status}\u001b[K`), 120);
    }
  };
  let result: Awaited<ReturnType<typeof runDiscover>>;
  try {
    result = await runDiscover(options, progress);
  } catch (error) {
    err.write(`discovery failed: ${errorMessage(error)}\n`);
    return 1;
  } finally {
    if (spin) {
      clearInterval(spin);
      err.write('\r\u001b[K');
    }
  }
  const { report, proposals } = result;
  let code = report.ok ? 0 : 1;
  if (options.write && options.configPath !== null && proposals.length > 0) {
    try {
      report.written = await appendCameras(options.configPath, proposals, options.credentials, env);
    } catch (error) {
      err.write(`${error instanceof WriteConfigError ? error.message : errorMessage(error)}\n`);
      code = 1;
    }
  }
  out.write(options.json ? `${JSON.stringify(report)}\n` : formatDiscoverReport(report));
  return code;
}
