import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parseDocument, stringify } from 'yaml';
import type { EnrolResult } from '../../src/schemas/enrolment-api.ts';
import { AGENT_VERSION } from './version.ts';

export const ENROL_HELP = `Usage: npm run agent -- enrol --hub <url> --code <code> [options]

Connects this site box to its hub: exchanges a one-time enrolment code (from the hub operator) for
the site's identity and its MQTT credential, and writes the agent's config and secret files.

Options:
  --hub <url>      The hub's address, e.g. https://hub.example.org
  --code <code>    The enrolment code, e.g. 7KQ2-M9XD-4T1B (dashes and case do not matter)
  --ca <file>      The CA certificate (PEM) that signed the hub's certificate, for HTTPS and MQTT over TLS
  --dir <dir>      Where to write agent.yaml, secrets/ and data/ (default: the current directory)
  --config <file>  The config file to write or update (default: <dir>/agent.yaml)
  --json           Print the result as JSON (no secrets) for scripts
  --help           This text

Re-enrolling (a replacement box, or a lost password) needs a new code; it replaces the site's MQTT
password and the old box can no longer connect. Cameras already in the config are kept.
Exit codes: 0 enrolled; 1 the hub refused or could not be reached; 2 wrong usage.`;

export class EnrolError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2,
    readonly code: string | null = null,
  ) {
    super(message);
  }
}

interface EnrolOptions {
  hub: string;
  code: string;
  ca: string | null;
  dir: string;
  configPath: string;
}

export function parseEnrolArgs(argv: readonly string[]): { options: EnrolOptions; json: boolean } | 'help' {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        hub: { type: 'string' },
        code: { type: 'string' },
        ca: { type: 'string' },
        dir: { type: 'string' },
        config: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (error) {
    throw new EnrolError(`${(error as Error).message}\n\n${ENROL_HELP}`, 2);
  }
  if (values.help) return 'help';
  const missing = ['hub', 'code'].filter((k) => typeof values[k] !== 'string' || values[k] === '');
  if (missing.length > 0)
    throw new EnrolError(`missing ${missing.map((m) => `--${m}`).join(' and ')}\n\n${ENROL_HELP}`, 2);
  let hub: URL;
  try {
    hub = new URL(values.hub as string);
  } catch {
    throw new EnrolError(`--hub ${values.hub} is not a URL (like https://hub.example.org)`, 2);
  }
  if (hub.protocol !== 'https:' && hub.protocol !== 'http:')
    throw new EnrolError('--hub must be an http or https URL', 2);
  const dir = resolve((values.dir as string | undefined) ?? '.');
  return {
    options: {
      hub: hub.toString().replace(/\/$/, ''),
      code: values.code as string,
      ca: typeof values.ca === 'string' ? resolve(values.ca) : null,
      dir,
      configPath: resolve((values.config as string | undefined) ?? join(dir, 'agent.yaml')),
    },
    json: values.json === true,
  };
}

/** POSTs JSON with a bounded time and answer size, trusting `ca` for HTTPS when given. */
function postJson(
  url: string,
  body: unknown,
  ca: string | null,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const target = new URL(url);
  const payload = JSON.stringify(body);
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolvePromise, reject) => {
    const req = send(
      target,
      {
        method: 'POST',
        timeout: 15_000,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
        ...(ca ? { ca } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > 65_536) req.destroy(new Error('the hub answered with too much data'));
          else chunks.push(chunk);
        });
        res.on('end', () => {
          try {
            resolvePromise({
              status: res.statusCode ?? 0,
              json: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>,
            });
          } catch {
            reject(
              new Error(`the hub answered HTTP ${res.statusCode} without JSON: is --hub the hub's address?`),
            );
          }
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('no answer from the hub within 15 s')));
    req.on('error', reject);
    req.end(payload);
  });
}

async function writePrivate(path: string, text: string, mode: number): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, text, { mode });
  await chmod(temporary, mode);
  await rename(temporary, path);
}

/** The agent config with the hub's facts written in; an existing file keeps everything else. */
async function agentConfigText(
  options: EnrolOptions,
  result: EnrolResult,
  passwordFile: string,
): Promise<string> {
  const site: Record<string, unknown> = {
    id: result.site.id,
    name: result.site.name,
    councilId: result.site.councilId,
    hubId: result.site.hubId,
  };
  const [lon, lat] = result.site.location?.coordinates ?? [];
  if (lat !== undefined && lon !== undefined) site.location = { lat, lon };
  const mqtt: Record<string, unknown> = {
    url: result.mqtt.url,
    username: result.mqtt.username,
    passwordFile,
  };
  if (options.ca) mqtt.caFile = options.ca;
  if (existsSync(options.configPath)) {
    const doc = parseDocument(await readFile(options.configPath, 'utf8'));
    if (doc.errors.length > 0)
      throw new EnrolError(
        `${options.configPath} is not valid YAML (${doc.errors[0]?.message}); fix or move it and enrol again`,
        1,
      );
    doc.set('site', doc.createNode(site));
    for (const [key, value] of Object.entries(mqtt)) doc.setIn(['mqtt', key], value);
    return doc.toString();
  }
  const header = [
    `# Edge agent configuration for ${result.site.name}, written by "npm run agent -- enrol".`,
    '# site: the hub registry owns these facts; re-enrol with a new code to change them.',
    '# cameras: list them here (see config/agent.example.yaml for every field).',
    '',
  ].join('\n');
  return (
    header +
    stringify({
      site,
      mqtt,
      outbox: { dir: join(options.dir, 'data', 'outbox') },
      video: { referenceDir: join(options.dir, 'data', 'reference') },
      cameras: [],
    })
  );
}

export interface EnrolOutcome {
  siteId: string;
  siteName: string;
  councilId: string;
  hubId: string;
  brokerUrl: string;
  configPath: string;
  passwordFile: string;
  replacedEarlierCredential: boolean;
}

export async function enrol(options: EnrolOptions): Promise<EnrolOutcome> {
  const ca = options.ca ? await readFile(options.ca, 'utf8').catch(() => null) : null;
  if (options.ca && ca === null) throw new EnrolError(`cannot read --ca ${options.ca}`, 2);
  let answer: { status: number; json: Record<string, unknown> };
  try {
    answer = await postJson(
      `${options.hub}/api/enrol`,
      {
        code: options.code,
        hostname: hostname()
          .slice(0, 100)
          .replace(/[^A-Za-z0-9._-]/g, '-'),
        agentVersion: AGENT_VERSION,
      },
      ca,
    );
  } catch (error) {
    throw new EnrolError(
      `could not reach the hub at ${options.hub}: ${(error as Error).message}`,
      1,
      'HUB_UNREACHABLE',
    );
  }
  if (answer.status !== 200) {
    const code = typeof answer.json.code === 'string' ? answer.json.code : `HTTP_${answer.status}`;
    const message = typeof answer.json.message === 'string' ? answer.json.message : `HTTP ${answer.status}`;
    throw new EnrolError(`the hub refused the enrolment (${code}): ${message}`, 1, code);
  }
  const result = answer.json as unknown as EnrolResult;
  const secrets = join(options.dir, 'secrets');
  await mkdir(secrets, { recursive: true, mode: 0o700 });
  await chmod(secrets, 0o700);
  await mkdir(dirname(options.configPath), { recursive: true });
  const passwordFile = join(secrets, 'mqtt-password');
  await writePrivate(passwordFile, `${result.mqtt.password}\n`, 0o600);
  await writePrivate(options.configPath, await agentConfigText(options, result, passwordFile), 0o640);
  return {
    siteId: result.site.id,
    siteName: result.site.name,
    councilId: result.site.councilId,
    hubId: result.site.hubId,
    brokerUrl: result.mqtt.url,
    configPath: options.configPath,
    passwordFile,
    replacedEarlierCredential: result.rotated,
  };
}

/** `npm run agent -- enrol ...`: returns the exit code. */
export async function enrolCommand(
  argv: readonly string[],
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
) {
  let parsed: ReturnType<typeof parseEnrolArgs>;
  try {
    parsed = parseEnrolArgs(argv);
  } catch (error) {
    err.write(`${(error as Error).message}\n`);
    return error instanceof EnrolError ? error.exitCode : 2;
  }
  if (parsed === 'help') {
    out.write(`${ENROL_HELP}\n`);
    return 0;
  }
  try {
    const outcome = await enrol(parsed.options);
    if (parsed.json) out.write(`${JSON.stringify({ ok: true, ...outcome })}\n`);
    else
      out.write(
        [
          `Enrolled as site ${outcome.siteId} (${outcome.siteName}), council ${outcome.councilId}, hub ${outcome.hubId}.`,
          outcome.replacedEarlierCredential
            ? 'The site had an MQTT password already: it has been replaced, and a previous box can no longer connect.'
            : 'The site has its MQTT password now.',
          `Config:   ${outcome.configPath}`,
          `Password: ${outcome.passwordFile} (only this user can read it)`,
          `Broker:   ${outcome.brokerUrl}`,
          `Next: list the site's cameras under cameras: in the config (see config/agent.example.yaml), then start the agent: npm run agent -- --config ${outcome.configPath}`,
          '',
        ].join('\n'),
      );
    return 0;
  } catch (error) {
    const e = error instanceof EnrolError ? error : new EnrolError((error as Error).message, 1);
    if (parsed.json) out.write(`${JSON.stringify({ ok: false, code: e.code, error: e.message })}\n`);
    else err.write(`enrolment failed: ${e.message}\n`);
    return e.exitCode;
  }
}
