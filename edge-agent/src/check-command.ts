import { connectAsync } from 'mqtt';
import pLimit from 'p-limit';
import { pino } from 'pino';
import type { AgentCamera, AgentConfig } from '../../src/config/agent-config.ts';
import { ConfigError } from '../../src/config/resolve.ts';
import type { HealthPayload } from '../../src/schemas/payloads.ts';
import { CameraMonitor } from './camera-monitor.ts';
import { configPathFrom, type LoadedAgentConfig, loadAgentConfig } from './config.ts';
import { errorMessage } from './errors.ts';
import { type MediaBinaries, resolveMediaBinaries } from './media/binaries.ts';
import { NodeOnvifCamera } from './onvif/device-client.ts';
import { setNodeOnvifHttpTimeout } from './onvif/node-onvif.ts';

export const CHECK_HELP = `Usage: npm run agent -- check --config <file> [--camera <id> ...] [--json]

Pre-flight: runs one full cycle against every camera in the config (ONVIF reachable, login, clock,
stream, snapshot) and connects to the hub's broker with the site's credential, then prints a table.
Nothing is sent to the hub: the site does not appear live until the agent itself runs.

Options:
  --config <file>  The agent config (or env CCTV_AGENT_CONFIG)
  --camera <id>    Check only this camera (repeatable)
  --json           Print the results as JSON for scripts
  --help           This text

Exit codes: 0 every check passed (warnings allowed); 1 a check failed; 2 wrong usage or config.`;

export type Verdict = 'ok' | 'warn' | 'fail' | 'skip';

export interface CameraCheck {
  cameraId: string;
  name: string;
  reachable: { verdict: Verdict; detail: string };
  login: { verdict: Verdict; detail: string };
  clock: { verdict: Verdict; detail: string };
  stream: { verdict: Verdict; detail: string };
  snapshot: { verdict: Verdict; detail: string };
  state: HealthPayload['state'];
  reasons: string[];
  /** What was measured, for a commissioning record. */
  measured: {
    stream: {
      codec: string;
      width: number;
      height: number;
      fps: number | null;
      bitrateKbps: number | null;
    } | null;
    clockOffsetMs: number | null;
    device: HealthPayload['device'];
  };
}

export interface CheckReport {
  ok: boolean;
  siteId: string;
  mqtt: { verdict: Verdict; detail: string };
  cameras: CameraCheck[];
  checkedAt: string;
}

const reasonText = (p: HealthPayload, codes: readonly string[]) =>
  p.reasons
    .filter((r) => codes.includes(r.code))
    .map((r) => r.message)
    .join('; ');

/** One camera, one cycle: poll (device and profiles), probe the main stream, poll again to judge. */
export async function checkCamera(
  config: AgentConfig,
  camera: AgentCamera,
  password: string,
  media: MediaBinaries,
): Promise<CameraCheck> {
  const logger = pino({ level: 'silent' });
  const signal = new AbortController().signal;
  const monitor = new CameraMonitor({
    siteId: config.site.id,
    camera,
    password,
    poll: config.poll,
    thresholds: config.thresholds,
    media,
    onvif: new NodeOnvifCamera({
      url: camera.onvif.url,
      username: camera.onvif.username,
      password,
      timeoutMs: config.poll.onvifTimeoutMs,
      now: Date.now,
      context: { siteId: config.site.id, cameraId: camera.id },
    }),
    now: Date.now,
    logger,
    signal,
  });
  const first = (await monitor.poll()).payload;
  const failed = (codes: string[]) => first.reasons.some((r) => codes.includes(r.code));
  const unreachable = failed(['unreachable', 'timeout']);
  const loginFailed = failed(['auth_failed', 'onvif_error']);
  const result: CameraCheck = {
    cameraId: camera.id,
    name: camera.name,
    reachable: unreachable
      ? { verdict: 'fail', detail: reasonText(first, ['unreachable', 'timeout']) }
      : {
          verdict: 'ok',
          detail: first.responseMs !== null ? `${Math.round(first.responseMs)} ms` : 'answers',
        },
    login: unreachable
      ? { verdict: 'skip', detail: 'not reached' }
      : loginFailed
        ? { verdict: 'fail', detail: reasonText(first, ['auth_failed', 'onvif_error']) }
        : {
            verdict: 'ok',
            detail: first.device
              ? `${first.device.manufacturer} ${first.device.model} ${first.device.firmwareVersion}`.trim()
              : 'ok',
          },
    clock: { verdict: 'skip', detail: 'not read' },
    stream: { verdict: 'skip', detail: 'not probed' },
    snapshot: { verdict: 'skip', detail: 'not fetched' },
    state: first.state,
    reasons: first.reasons.map((r) => r.code),
    measured: { stream: null, clockOffsetMs: first.clock?.offsetMs ?? null, device: first.device },
  };
  if (unreachable || loginFailed) return result;
  const probe = await monitor.probe();
  const judged = (await monitor.poll()).payload;
  result.state = judged.state;
  result.reasons = judged.reasons.map((r) => r.code);
  const clock = judged.clock;
  const clockIssues = reasonText(judged, ['clock_offset', 'clock_no_ntp', 'clock_timezone']);
  result.clock = !clock
    ? { verdict: 'warn', detail: 'the camera did not report its clock' }
    : Math.abs(clock.offsetMs) >= config.thresholds.clockFailMs
      ? {
          verdict: 'fail',
          detail: `off by ${(clock.offsetMs / 1000).toFixed(1)} s${clockIssues ? `; ${clockIssues}` : ''}`,
        }
      : clockIssues
        ? { verdict: 'warn', detail: clockIssues }
        : {
            verdict: 'ok',
            detail: `${Math.round(clock.offsetMs)} ms, ${clock.dateTimeType ?? 'sync unknown'}`,
          };
  const stream = probe?.stream?.payload;
  result.measured = {
    stream:
      probe?.ok && stream
        ? {
            codec: stream.codec,
            width: stream.width,
            height: stream.height,
            fps: stream.fps,
            bitrateKbps: stream.bitrateKbps,
          }
        : null,
    clockOffsetMs: clock?.offsetMs ?? null,
    device: judged.device ?? first.device,
  };
  const streamIssues = reasonText(judged, [
    'stream_error',
    'no_video',
    'low_fps',
    'low_bitrate',
    'resolution_mismatch',
    'codec_mismatch',
  ]);
  result.stream =
    !probe?.ok || !stream
      ? { verdict: 'fail', detail: streamIssues || 'no video from the main stream' }
      : {
          verdict: streamIssues ? 'warn' : 'ok',
          detail: `${stream.codec} ${stream.width}x${stream.height}${stream.fps !== null ? ` ${stream.fps.toFixed(0)} fps` : ''}${stream.bitrateKbps !== null ? ` ${Math.round(stream.bitrateKbps)} kbit/s` : ''}${streamIssues ? `; ${streamIssues}` : ''}`,
        };
  const imageIssues = reasonText(judged, ['image_blank', 'image_dark']);
  result.snapshot = !judged.image
    ? { verdict: 'warn', detail: 'no snapshot (the camera offers none, or it could not be read)' }
    : imageIssues
      ? { verdict: 'warn', detail: imageIssues }
      : { verdict: 'ok', detail: `mean luma ${Math.round(judged.image.meanLuma)}` };
  return result;
}

/** A one-shot MQTT connection as the site, under its own client id (a running agent's session is left alone). */
export function mqttOptions(loaded: LoadedAgentConfig, clientSuffix: string) {
  const { config, secrets } = loaded;
  const username = config.mqtt.username ?? (secrets.mqttPassword !== null ? config.site.id : null);
  return {
    username,
    options: {
      clientId: `site-${config.site.id}.${clientSuffix}`,
      protocolVersion: 4 as const,
      clean: true,
      reconnectPeriod: 0,
      connectTimeout: config.mqtt.connectTimeoutMs,
      rejectUnauthorized: true,
      ...(username !== null ? { username } : {}),
      ...(secrets.mqttPassword !== null ? { password: secrets.mqttPassword } : {}),
      ...(secrets.mqttCa ? { ca: secrets.mqttCa } : {}),
    },
  };
}

async function checkMqtt(loaded: LoadedAgentConfig): Promise<{ verdict: Verdict; detail: string }> {
  const { config } = loaded;
  const { username, options } = mqttOptions(loaded, 'check');
  try {
    const client = await connectAsync(config.mqtt.url, options);
    await client.endAsync();
    return {
      verdict: 'ok',
      detail: `connected to ${new URL(config.mqtt.url).host} as ${username ?? '(anonymous)'}`,
    };
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    const why =
      code === 4 || code === 5
        ? 'the broker refused the site credential (re-enrol or ask the hub operator)'
        : errorMessage(error);
    return { verdict: 'fail', detail: why };
  }
}

export async function runCheck(
  loaded: LoadedAgentConfig,
  media: MediaBinaries,
  only: readonly string[],
  progress: (done: number, total: number, cameraId: string) => void,
): Promise<CheckReport> {
  const { config, secrets } = loaded;
  setNodeOnvifHttpTimeout(config.poll.onvifTimeoutMs);
  const cameras = config.cameras.filter((c) => only.length === 0 || only.includes(c.id));
  const limit = pLimit(Math.min(4, config.poll.concurrency));
  let done = 0;
  const [mqtt, results] = await Promise.all([
    checkMqtt(loaded),
    Promise.all(
      cameras.map((camera) =>
        limit(async () => {
          const check = await checkCamera(
            config,
            camera,
            secrets.cameraPasswords.get(camera.id) ?? '',
            media,
          );
          progress(++done, cameras.length, camera.id);
          return check;
        }),
      ),
    ),
  ]);
  const verdicts = [
    mqtt.verdict,
    ...results.flatMap((c) => [c.reachable, c.login, c.clock, c.stream, c.snapshot].map((x) => x.verdict)),
  ];
  return {
    ok: !verdicts.includes('fail'),
    siteId: config.site.id,
    mqtt,
    cameras: results,
    checkedAt: new Date().toISOString(),
  };
}

const MARK: Record<Verdict, string> = { ok: 'ok', warn: 'WARN', fail: 'FAIL', skip: '-' };

/** The report as a plain-text table (no colour: it goes into tickets and e-mails as it is). */
export function formatCheckTable(report: CheckReport): string {
  const header = ['Camera', 'Reachable', 'Login', 'Clock', 'Stream', 'Snapshot'];
  const rows = report.cameras.map((c) => [
    c.cameraId,
    MARK[c.reachable.verdict],
    MARK[c.login.verdict],
    MARK[c.clock.verdict],
    MARK[c.stream.verdict],
    MARK[c.snapshot.verdict],
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i] as number))
      .join('  ')
      .trimEnd();
  const out = [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line), ''];
  for (const c of report.cameras) {
    const notes = (['reachable', 'login', 'clock', 'stream', 'snapshot'] as const)
      .filter((k) => c[k].verdict === 'fail' || c[k].verdict === 'warn')
      .map((k) => `  ${k}: ${c[k].detail}`);
    if (notes.length > 0) out.push(`${c.cameraId} (${c.name}):`, ...notes);
  }
  out.push(`MQTT: ${MARK[report.mqtt.verdict]} - ${report.mqtt.detail}`);
  const failed = report.cameras.filter((c) =>
    [c.reachable, c.login, c.clock, c.stream, c.snapshot].some((x) => x.verdict === 'fail'),
  ).length;
  out.push(
    report.ok
      ? `Passed: ${report.cameras.length} camera${report.cameras.length === 1 ? '' : 's'} and the hub connection.`
      : `Failed: ${failed} of ${report.cameras.length} cameras${report.mqtt.verdict === 'fail' ? ', and the hub connection' : ''}.`,
  );
  return `${out.join('\n')}\n`;
}

/** `npm run agent -- check ...`: returns the exit code. */
export async function checkCommand(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  out: NodeJS.WriteStream | NodeJS.WritableStream,
  err: NodeJS.WriteStream | NodeJS.WritableStream,
): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    out.write(`${CHECK_HELP}\n`);
    return 0;
  }
  const unknown = argv.filter(
    (a, i) =>
      a.startsWith('--') &&
      !['--config', '--camera', '--json'].includes(a.split('=')[0] as string) &&
      !(i > 0 && ['--config', '--camera'].includes(argv[i - 1] as string)),
  );
  if (unknown.length > 0) {
    err.write(`unknown option ${unknown[0]}\n\n${CHECK_HELP}\n`);
    return 2;
  }
  const json = argv.includes('--json');
  const only: string[] = [];
  for (let i = 0; i < argv.length; i++)
    if (argv[i] === '--camera' && argv[i + 1]) only.push(argv[i + 1] as string);
  let loaded: LoadedAgentConfig;
  try {
    loaded = await loadAgentConfig({ path: configPathFrom(argv, env), env });
  } catch (error) {
    err.write(`${error instanceof ConfigError ? error.message : errorMessage(error)}\n`);
    return 2;
  }
  const missing = only.filter((id) => !loaded.config.cameras.some((c) => c.id === id));
  if (missing.length > 0) {
    err.write(`no camera ${missing.join(', ')} in ${loaded.source}\n`);
    return 2;
  }
  const tty = 'isTTY' in err && err.isTTY === true;
  const report = await runCheck(loaded, resolveMediaBinaries(env), only, (done, total, id) => {
    if (json) return;
    // A live counter on a terminal, plain lines otherwise (logs, CI).
    if (tty) err.write(`\rchecked ${done}/${total} cameras (${id})\u001b[K${done === total ? '\n' : ''}`);
    else err.write(`checked ${done}/${total}: ${id}\n`);
  });
  out.write(json ? `${JSON.stringify(report)}\n` : formatCheckTable(report));
  return report.ok ? 0 : 1;
}
