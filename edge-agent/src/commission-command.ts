import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { connectAsync } from 'mqtt';
import pLimit from 'p-limit';
import { judgeCommissioning } from '../../src/compliance/commissioning-judgement.ts';
import { ConfigError } from '../../src/config/resolve.ts';
import type { CommissioningPayload } from '../../src/schemas/payloads.ts';
import { buildTopic, TOPICS } from '../../src/topics.ts';
import { inventoryOf } from './agent.ts';
import { checkCamera, mqttOptions } from './check-command.ts';
import { configPathFrom, type LoadedAgentConfig, loadAgentConfig } from './config.ts';
import { AgentError, errorMessage } from './errors.ts';
import { resolveMediaBinaries } from './media/binaries.ts';
import { captureReference, hasReference, referencePath } from './media/reference-frame.ts';
import { EnvelopeFactory } from './mqtt/envelope.ts';
import { cameraProfile, NodeOnvifCamera } from './onvif/device-client.ts';
import { setNodeOnvifHttpTimeout } from './onvif/node-onvif.ts';

export const COMMISSION_HELP = `Usage: npm run agent -- commission --config <file> --by <name> (--camera <id> ... | --all) [options]

Commissioning: for each camera, measures what the codes need at this moment (the actual stream,
the clock, pixel density at the design distance from the commissioning data in the config), takes
the reference frame for the scene-change check, and sends a dated record to the hub, which keeps it
and shows whether the camera met its purpose. Fill in each camera's commissioning: block first
(location, bearingDeg, hfovDeg, designDistanceM, purpose, and bitrateKbps if agreed). Up to four
cameras are measured at once (fewer when poll.concurrency is lower); each line is printed as its
camera finishes.

Options:
  --config <file>  The agent config (or env CCTV_AGENT_CONFIG)
  --by <name>      Who commissions (recorded at the hub)
  --camera <id>    A camera to commission (repeatable), or --all
  --replace        Take a new reference frame where one exists (default: keep it)
  --no-reference   Do not take a reference frame
  --json           Print the results as JSON for scripts
  --help           This text

Exit codes: 0 every record sent and every camera met its purpose; 1 a camera failed, did not meet
its purpose, or a record could not be sent; 2 wrong usage or config.`;

interface Outcome {
  cameraId: string;
  sent: boolean;
  error: string | null;
  referenceFrame: string | null;
  judgement: ReturnType<typeof judgeCommissioning> | null;
}

function values(argv: readonly string[], name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) if (argv[i] === name && argv[i + 1]) out.push(argv[i + 1] as string);
  return out;
}

async function sha256(path: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(path))
    .digest('hex');
}

async function commissionOne(
  loaded: LoadedAgentConfig,
  cameraId: string,
  by: string,
  reference: 'keep' | 'replace' | 'none',
  send: (payload: CommissioningPayload) => Promise<void>,
): Promise<Outcome> {
  const { config, secrets } = loaded;
  const camera = config.cameras.find((c) => c.id === cameraId);
  if (!camera) throw new Error(`no camera ${cameraId}`);
  const password = secrets.cameraPasswords.get(camera.id) ?? '';
  const media = resolveMediaBinaries(process.env);
  const check = await checkCamera(config, camera, password, media);
  const failed = [check.reachable, check.login].find((x) => x.verdict === 'fail');
  if (failed) return { cameraId, sent: false, error: failed.detail, referenceFrame: null, judgement: null };
  let referenceFrame: string | null = null;
  if (reference !== 'none') {
    const path = referencePath(config.video.referenceDir, config.site.id, camera.id);
    if (reference === 'replace' || !(await hasReference(path))) {
      const context = { siteId: config.site.id, cameraId: camera.id };
      const onvif = new NodeOnvifCamera({
        url: camera.onvif.url,
        username: camera.onvif.username,
        password,
        timeoutMs: config.poll.onvifTimeoutMs,
        now: Date.now,
        context,
      });
      const uri = cameraProfile((await onvif.readDevice()).profiles, camera.onvif.profileToken)?.streamUri;
      if (!uri) throw new AgentError('no_video', 'the camera reports no stream address', context);
      await captureReference(path, {
        ffmpegPath: media.ffmpegPath,
        uri,
        username: camera.onvif.username,
        password,
        timeoutMs: config.video.timeoutMs,
        now: Date.now,
        context,
      });
    }
    referenceFrame = path;
  }
  const payload: CommissioningPayload = {
    cameraId: camera.id,
    by,
    commissioning: camera.commissioning,
    measured: {
      stream: check.measured.stream,
      clockOffsetMs: check.measured.clockOffsetMs,
      device: check.measured.device,
      referenceFrameSha256: referenceFrame ? await sha256(referenceFrame) : null,
    },
  };
  await send(payload);
  return { cameraId, sent: true, error: null, referenceFrame, judgement: judgeCommissioning(payload) };
}

/** `npm run agent -- commission ...`: returns the exit code. */
export async function commissionCommand(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    out.write(`${COMMISSION_HELP}\n`);
    return 0;
  }
  const by = values(argv, '--by')[0]?.trim() ?? '';
  const wanted = values(argv, '--camera');
  const all = argv.includes('--all');
  if (!by || by.length > 100 || (wanted.length === 0 && !all)) {
    err.write(
      `${!by ? 'missing --by <name>' : by.length > 100 ? '--by: at most 100 characters' : 'name a camera with --camera <id>, or --all'}\n\n${COMMISSION_HELP}\n`,
    );
    return 2;
  }
  let loaded: LoadedAgentConfig;
  try {
    loaded = await loadAgentConfig({ path: configPathFrom(argv, env), env });
  } catch (error) {
    err.write(`${error instanceof ConfigError ? error.message : errorMessage(error)}\n`);
    return 2;
  }
  const { config } = loaded;
  const ids = all ? config.cameras.map((c) => c.id) : wanted;
  const missing = ids.filter((id) => !config.cameras.some((c) => c.id === id));
  if (missing.length > 0) {
    err.write(`no camera ${missing.join(', ')} in ${loaded.source}\n`);
    return 2;
  }
  setNodeOnvifHttpTimeout(config.poll.onvifTimeoutMs);
  const { options } = mqttOptions(loaded, 'commission');
  let client: Awaited<ReturnType<typeof connectAsync>>;
  try {
    client = await connectAsync(config.mqtt.url, options);
  } catch (error) {
    err.write(`cannot reach the hub's broker at ${new URL(config.mqtt.url).host}: ${errorMessage(error)}\n`);
    return 1;
  }
  const envelopes = new EnvelopeFactory(config.site.id, Date.now);
  const send = async (payload: CommissioningPayload) => {
    const topic = buildTopic('commissioning', { siteId: config.site.id, cameraId: payload.cameraId });
    // QoS 1: resolved once the broker has it.
    await client.publishAsync(topic, JSON.stringify(envelopes.wrap(payload, Date.now())), { qos: 1 });
  };
  // The inventory first, as the agent sends it on connecting: the hub learns the cameras (pending
  // approval) before their records, even when the agent has never run.
  await client.publishAsync(
    buildTopic('inventory', { siteId: config.site.id }),
    JSON.stringify(envelopes.wrap(inventoryOf(config), Date.now())),
    { qos: 1, retain: TOPICS.inventory.retain },
  );
  const reference = argv.includes('--no-reference')
    ? 'none'
    : argv.includes('--replace')
      ? 'replace'
      : 'keep';
  // As `check` does: a few cameras at once, so a town's cameras take seconds each, not in turn.
  const limit = pLimit(Math.min(4, config.poll.concurrency));
  const one = async (id: string): Promise<Outcome> => {
    let o: Outcome;
    try {
      o = await commissionOne(loaded, id, by, reference, send);
    } catch (error) {
      o = { cameraId: id, sent: false, error: errorMessage(error), referenceFrame: null, judgement: null };
    }
    if (!argv.includes('--json'))
      out.write(
        o.sent
          ? `${o.cameraId}: recorded at the hub. ${o.judgement?.summary ?? ''}${o.referenceFrame ? `\n  reference frame: ${o.referenceFrame}` : ''}\n`
          : `${o.cameraId}: NOT recorded: ${o.error}\n`,
      );
    return o;
  };
  let outcomes: Outcome[];
  try {
    // In the config's order, whatever order they finished in.
    outcomes = await Promise.all(ids.map((id) => limit(() => one(id))));
  } finally {
    await client.endAsync();
  }
  if (argv.includes('--json')) out.write(`${JSON.stringify({ by, cameras: outcomes })}\n`);
  const ok = outcomes.every((o) => o.sent && o.judgement?.metPurpose !== false);
  return ok ? 0 : 1;
}
