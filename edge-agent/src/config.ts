import { readFile } from 'node:fs/promises';
import {
  AGENT_ENV_ALIASES,
  AGENT_ENV_PREFIX,
  AgentConfig,
  type OnvifAccess,
} from '../../src/config/agent-config.ts';
import { isTlsUrl, PemError, parseCertificates } from '../../src/config/pem.ts';
import { ConfigError, resolveConfig, stripUrlCredentials } from '../../src/config/resolve.ts';

export type Env = Record<string, string | undefined>;
export type ReadText = (path: string) => Promise<string>;

/** Secrets (and files) resolved once at start-up and kept apart from the config that gets logged and published. */
export interface AgentSecrets {
  cameraPasswords: ReadonlyMap<string, string>;
  /** Recorder id -> password; absent when the site has no recorders (older callers). */
  recorderPasswords?: ReadonlyMap<string, string>;
  mqttPassword: string | null;
  /** PEM CA certificate(s) from mqtt.caFile; absent: the system's CAs verify an mqtts:// broker. */
  mqttCa?: string;
  /** The /metrics bearer token, when metrics.port is set. */
  metricsToken?: string;
}

export interface LoadedAgentConfig {
  config: AgentConfig;
  secrets: AgentSecrets;
  source: string;
}

export const CONFIG_ENV = 'CCTV_AGENT_CONFIG';
export const MQTT_PASSWORD_ENV = 'CCTV_AGENT_MQTT_PASSWORD';
export const METRICS_TOKEN_ENV = 'CCTV_AGENT_METRICS_TOKEN';

/** `--config <file>` / `--config=<file>` wins over env CCTV_AGENT_CONFIG. */
export function configPathFrom(argv: readonly string[], env: Env): string {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--config') {
      const value = argv[i + 1];
      if (!value || value.startsWith('--'))
        throw new ConfigError('command line', ['--config needs a file path']);
      return value;
    }
    if (arg.startsWith('--config=')) return arg.slice('--config='.length);
  }
  const fromEnv = env[CONFIG_ENV];
  if (fromEnv) return fromEnv;
  throw new ConfigError('command line', [`no config file: pass --config <file> or set ${CONFIG_ENV}`]);
}

/** Secret files usually end with a newline that is not part of the secret. */
function trimSecret(text: string): string {
  return text.replace(/\r?\n$/, '');
}

/** The password of an ONVIF device (a camera or a recorder), `what` naming it in problems, e.g. "camera cam-1". */
async function onvifPassword(
  access: OnvifAccess,
  where: string,
  what: string,
  env: Env,
  read: ReadText,
  problems: string[],
): Promise<string | undefined> {
  const { password, passwordEnv, passwordFile } = access;
  const given = [password, passwordEnv, passwordFile].filter((v) => v !== undefined).length;
  if (given === 0) {
    problems.push(`${where}: ${what} needs one of password, passwordEnv or passwordFile`);
    return undefined;
  }
  if (given > 1) {
    problems.push(`${where}: ${what} gives more than one of password, passwordEnv, passwordFile`);
    return undefined;
  }
  if (password !== undefined) return password;
  if (passwordEnv !== undefined) {
    const value = env[passwordEnv];
    if (value === undefined) problems.push(`${where}.passwordEnv: ${what}: ${passwordEnv} is not set`);
    return value;
  }
  try {
    return trimSecret(await read(passwordFile as string));
  } catch (error) {
    problems.push(`${where}.passwordFile: ${what}: cannot read ${passwordFile}: ${(error as Error).message}`);
    return undefined;
  }
}

/** Resolves every secret, listing all problems at once (like config validation). */
export async function resolveSecrets(
  config: AgentConfig,
  env: Env,
  read: ReadText = (path) => readFile(path, 'utf8'),
  source = 'configuration',
): Promise<AgentSecrets> {
  const problems: string[] = [];
  const cameraPasswords = new Map<string, string>();
  const seen = new Set<string>();
  for (const [index, camera] of config.cameras.entries()) {
    if (seen.has(camera.id)) problems.push(`cameras.${index}.id: camera id ${camera.id} is used twice`);
    seen.add(camera.id);
    const where = `cameras.${index} (${camera.id}).onvif`;
    const password = await onvifPassword(camera.onvif, where, `camera ${camera.id}`, env, read, problems);
    if (password !== undefined) cameraPasswords.set(camera.id, password);
  }
  const recorderPasswords = new Map<string, string>();
  for (const [index, recorder] of config.recorders.entries()) {
    if (
      recorderPasswords.has(recorder.id) ||
      config.recorders.findIndex((r) => r.id === recorder.id) !== index
    )
      problems.push(`recorders.${index}.id: recorder id ${recorder.id} is used twice`);
    const where = `recorders.${index} (${recorder.id}).onvif`;
    const password = await onvifPassword(
      recorder.onvif,
      where,
      `recorder ${recorder.id}`,
      env,
      read,
      problems,
    );
    if (password !== undefined) recorderPasswords.set(recorder.id, password);
  }
  for (const [index, camera] of config.cameras.entries()) {
    const recorder = camera.recording?.recorder;
    if (recorder !== undefined && !config.recorders.some((r) => r.id === recorder))
      problems.push(
        `cameras.${index} (${camera.id}).recording.recorder: no recorder ${recorder} in recorders (${config.recorders.map((r) => r.id).join(', ') || 'none listed'})`,
      );
  }
  let mqttPassword: string | null = null;
  if (config.mqtt.passwordFile !== null) {
    try {
      mqttPassword = trimSecret(await read(config.mqtt.passwordFile));
    } catch (error) {
      problems.push(
        `mqtt.passwordFile: cannot read ${config.mqtt.passwordFile}: ${(error as Error).message}`,
      );
    }
  } else if (env[MQTT_PASSWORD_ENV] !== undefined) {
    mqttPassword = env[MQTT_PASSWORD_ENV] as string;
  }
  const mqttCa = await brokerCa(config.mqtt, read, problems);
  let metricsToken: string | undefined;
  if (config.metrics.port > 0) {
    if (config.metrics.tokenFile !== null) {
      try {
        metricsToken = trimSecret(await read(config.metrics.tokenFile));
      } catch (error) {
        problems.push(
          `metrics.tokenFile: cannot read ${config.metrics.tokenFile}: ${(error as Error).message}`,
        );
      }
    } else metricsToken = env[METRICS_TOKEN_ENV];
    if (metricsToken !== undefined && metricsToken.length < 16)
      problems.push('metrics: the metrics token must be at least 16 characters');
    else if (metricsToken === undefined && config.metrics.tokenFile === null)
      problems.push(
        `metrics.port: a /metrics listener needs a token (metrics.tokenFile or ${METRICS_TOKEN_ENV}): any local user could read it otherwise`,
      );
  }
  if (problems.length > 0) throw new ConfigError(source, problems);
  return {
    cameraPasswords,
    recorderPasswords,
    mqttPassword,
    ...(mqttCa !== null ? { mqttCa } : {}),
    ...(metricsToken !== undefined ? { metricsToken } : {}),
  };
}

/** The CA file for an mqtts:// hub broker: readable PEM certificates, and only with a TLS url. */
async function brokerCa(
  mqtt: AgentConfig['mqtt'],
  read: ReadText,
  problems: string[],
): Promise<string | null> {
  const file = mqtt.caFile;
  if (file === null) return null;
  if (!isTlsUrl(mqtt.url)) {
    problems.push(
      `mqtt.caFile: mqtt.url ${stripUrlCredentials(mqtt.url)} is not mqtts://, so the CA would never be used`,
    );
    return null;
  }
  let text: string;
  try {
    text = await read(file);
  } catch (error) {
    problems.push(`mqtt.caFile: cannot read ${file}: ${(error as Error).message}`);
    return null;
  }
  try {
    parseCertificates(text);
  } catch (error) {
    if (!(error instanceof PemError)) throw error;
    problems.push(`mqtt.caFile: ${file} ${error.message}`);
    return null;
  }
  return text;
}

/** Defaults -> file -> environment -> validate, then secrets. Throws ConfigError listing every problem. */
export async function loadAgentConfig(options: {
  path: string;
  env: Env;
  read?: ReadText;
}): Promise<LoadedAgentConfig> {
  const read = options.read ?? ((path: string) => readFile(path, 'utf8'));
  let fileText: string;
  try {
    fileText = await read(options.path);
  } catch (error) {
    throw new ConfigError(options.path, [`cannot read config file: ${(error as Error).message}`]);
  }
  const config = resolveConfig(AgentConfig, {
    fileText,
    source: options.path,
    env: options.env,
    envAliases: AGENT_ENV_ALIASES,
    envPrefix: AGENT_ENV_PREFIX,
  });
  const secrets = await resolveSecrets(config, options.env, read, options.path);
  return { config, secrets, source: options.path };
}
