// Starts a fleet of simulated cameras and prints their endpoints as JSON on stdout (logs go to stderr).
//
//   npx tsx test/simulators/camera/cli.ts --count 4 --width 640 --height 360 --fps 10
//   npx tsx test/simulators/camera/cli.ts --config fleet.yaml --rtsp-port 8554 --control-port 8555
//
// The config file (YAML or JSON) is { host?, rtspPort?, controlPort?, cacheDir?, discovery?: { port?,
// bindAddress?, multicast?, interfaceAddress? }, cameras?: SimCameraSpec[], generate?: { count, idPrefix?,
// template } } where template is a SimCameraSpec without id. Flags win over the file. With discovery the
// fleet answers WS-Discovery probes (--discovery-port, --discovery-multicast). Ctrl-C stops everything.
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { type Static, Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { parse as parseYaml } from 'yaml';
import { CameraFleetSimulator, defaultCacheDir } from './camera-fleet-simulator.ts';
import { SimCameraSpec, SimVideoProfile } from './types.ts';

const Template = Type.Omit(SimCameraSpec, ['id']);
const FleetFile = Type.Object(
  {
    host: Type.Optional(Type.String()),
    rtspPort: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535 })),
    controlPort: Type.Optional(Type.Union([Type.Integer({ minimum: 0, maximum: 65535 }), Type.Null()])),
    cacheDir: Type.Optional(Type.String({ minLength: 1 })),
    discovery: Type.Optional(
      Type.Object(
        {
          port: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535 })),
          bindAddress: Type.Optional(Type.String()),
          multicast: Type.Optional(Type.Boolean()),
          interfaceAddress: Type.Optional(Type.String()),
        },
        { additionalProperties: false },
      ),
    ),
    cameras: Type.Optional(Type.Array(SimCameraSpec)),
    generate: Type.Optional(
      Type.Object(
        {
          count: Type.Integer({ minimum: 1, maximum: 5000 }),
          idPrefix: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9._-]{1,40}$' })),
          template: Template,
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
type FleetFile = Static<typeof FleetFile>;

const USAGE = `usage: cli.ts [--config FILE] [--count N] [--id-prefix cam] [--width 320] [--height 240]
  [--fps 10] [--bitrate 300] [--username admin] [--password admin] [--host 127.0.0.1]
  [--rtsp-port 0] [--control-port 0|off] [--cache-dir DIR] [--discovery-port 3702]
  [--discovery-multicast] [--verbose]`;

class CliError extends Error {}

function intFlag(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n)) throw new CliError(`--${name} must be an integer, got '${value}'`);
  return n;
}

async function loadFile(path: string): Promise<FleetFile> {
  const data: unknown = parseYaml(await readFile(path, 'utf8'));
  const error = Value.Errors(FleetFile, data).First();
  if (error) throw new CliError(`${path}: ${error.path || '(root)'} ${error.message}`);
  return data as FleetFile;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      config: { type: 'string' },
      count: { type: 'string' },
      'id-prefix': { type: 'string' },
      width: { type: 'string' },
      height: { type: 'string' },
      fps: { type: 'string' },
      bitrate: { type: 'string' },
      username: { type: 'string' },
      password: { type: 'string' },
      host: { type: 'string' },
      'rtsp-port': { type: 'string' },
      'control-port': { type: 'string' },
      'cache-dir': { type: 'string' },
      'discovery-port': { type: 'string' },
      'discovery-multicast': { type: 'boolean' },
      verbose: { type: 'boolean' },
      help: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const file: FleetFile = values.config ? await loadFile(values.config) : {};
  const specs: SimCameraSpec[] = [...(file.cameras ?? [])];
  const flagCount = values.count === undefined ? undefined : intFlag(values.count, 'count', 1);
  // Generate cameras from the file's template, or from flags when the file lists none or --count is
  // given; null means "only the cameras listed in the file".
  const generate = file.generate ?? (specs.length === 0 || flagCount ? undefined : null);
  if (generate !== null) {
    const profile: SimVideoProfile = {
      width: intFlag(values.width, 'width', generate?.template.profile.width ?? 320),
      height: intFlag(values.height, 'height', generate?.template.profile.height ?? 240),
      fps: intFlag(values.fps, 'fps', generate?.template.profile.fps ?? 10),
      bitrateKbps: intFlag(values.bitrate, 'bitrate', generate?.template.profile.bitrateKbps ?? 300),
    };
    const profileError = Value.Errors(SimVideoProfile, profile).First();
    if (profileError) throw new CliError(`profile ${profileError.path} ${profileError.message}`);
    const count = flagCount ?? generate?.count ?? 1;
    const prefix = values['id-prefix'] ?? generate?.idPrefix ?? 'cam';
    for (let i = 1; i <= count; i++) {
      specs.push({
        ...generate?.template,
        id: `${prefix}${String(i).padStart(3, '0')}`,
        username: values.username ?? generate?.template.username ?? 'admin',
        password: values.password ?? generate?.template.password ?? 'admin',
        profile,
      });
    }
  }
  const controlFlag = values['control-port'];
  const controlPort =
    controlFlag === 'off'
      ? null
      : controlFlag !== undefined
        ? intFlag(controlFlag, 'control-port', 0)
        : file.controlPort;
  const discovery =
    values['discovery-port'] !== undefined || values['discovery-multicast']
      ? {
          ...file.discovery,
          port: intFlag(values['discovery-port'], 'discovery-port', file.discovery?.port ?? 3702),
          multicast: values['discovery-multicast'] ?? file.discovery?.multicast ?? false,
        }
      : file.discovery;
  const fleet = new CameraFleetSimulator({
    ...(discovery ? { discovery } : {}),
    host: values.host ?? file.host ?? '127.0.0.1',
    rtspPort: intFlag(values['rtsp-port'], 'rtsp-port', file.rtspPort ?? 0),
    controlPort: controlPort === undefined ? 0 : controlPort,
    cacheDir: values['cache-dir'] ?? file.cacheDir ?? defaultCacheDir(),
    log: values.verbose ? (line) => process.stderr.write(`${line}\n`) : undefined,
  });
  await fleet.start();
  let stopping = false;
  const shutdown = (): void => {
    if (stopping) return;
    stopping = true;
    fleet.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`camera-sim: stop failed: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
  try {
    const endpoints = await Promise.all(specs.map((spec) => fleet.addCamera(spec)));
    const cameras = endpoints.map((e, i) => ({
      ...e,
      username: specs[i]?.username,
      password: specs[i]?.password,
    }));
    const out = {
      rtspPort: fleet.rtspPort,
      controlUrl: fleet.controlUrl,
      discoveryPort: fleet.discoveryPort,
      cameras,
    };
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  } catch (error) {
    await fleet.stop();
    throw error;
  }
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`camera-sim: ${message}\n${error instanceof CliError ? `${USAGE}\n` : ''}`);
  process.exit(2);
});
