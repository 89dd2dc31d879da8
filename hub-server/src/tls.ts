import type { KeyObject, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { HubConfig } from '../../src/config/hub-config.ts';
import { isTlsUrl, PemError, parseCertificates, parsePrivateKey } from '../../src/config/pem.ts';
import { ConfigError, stripUrlCredentials } from '../../src/config/resolve.ts';
import type { BrokerTls } from './broker/embedded-broker.ts';

/** A server certificate chain and its private key, as PEM text. */
export interface PemPair {
  cert: string;
  key: string;
}

/** The hub's TLS material, read and checked once at start-up. */
export interface HubTls {
  /** REST, socket.io and the dashboard over HTTPS only. */
  https: PemPair | null;
  /** The embedded broker's TLS listener. */
  broker: BrokerTls | null;
  /** CA(s) the hub's own MQTT client trusts for an external mqtts:// broker (null: the system's). */
  mqttCa: string | null;
  /** Set-ups that work but leave something in clear. */
  warnings: string[];
}

export interface LoadTlsOptions {
  read?: (path: string) => string;
  now?: () => number;
}

type Problems = string[];

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

function readText(key: string, path: string, read: (path: string) => string, problems: Problems) {
  try {
    return read(path);
  } catch (error) {
    problems.push(`${key}: cannot read ${path}: ${(error as Error).message}`);
    return null;
  }
}

function parsed<T>(key: string, path: string, parse: () => T, problems: Problems): T | null {
  try {
    return parse();
  } catch (error) {
    if (!(error instanceof PemError)) throw error;
    problems.push(`${key}: ${path} ${error.message}`);
    return null;
  }
}

/**
 * A certificate file and its key file: both or neither, both readable PEM, the key the server
 * certificate's (the first of the chain), the certificate valid now. Problems name the settings
 * as `names` says (config keys, or command-line flags).
 */
export function loadPemPair(
  names: { cert: string; key: string },
  files: { certFile: string | null; keyFile: string | null },
  read: (path: string) => string,
  nowMs: number,
  problems: Problems,
): PemPair | null {
  const { certFile, keyFile } = files;
  if (certFile === null && keyFile === null) return null;
  if (certFile === null || keyFile === null) {
    const [missing, given] = certFile === null ? [names.cert, names.key] : [names.key, names.cert];
    problems.push(`${missing}: missing: ${given} is set, set both or neither`);
    return null;
  }
  const before = problems.length;
  const certText = readText(names.cert, certFile, read, problems);
  const keyText = readText(names.key, keyFile, read, problems);
  let chain: X509Certificate[] | null = null;
  let key: KeyObject | null = null;
  if (certText !== null) chain = parsed(names.cert, certFile, () => parseCertificates(certText), problems);
  if (keyText !== null) key = parsed(names.key, keyFile, () => parsePrivateKey(keyText), problems);
  const leaf = chain?.[0];
  if (leaf && key) {
    if (!leaf.checkPrivateKey(key))
      problems.push(
        `${names.key}: ${keyFile} is not the private key of the certificate in ${certFile} (the server certificate must come first)`,
      );
    if (Date.parse(leaf.validTo) < nowMs)
      problems.push(`${names.cert}: the certificate in ${certFile} expired on ${leaf.validTo}`);
    if (Date.parse(leaf.validFrom) > nowMs)
      problems.push(`${names.cert}: the certificate in ${certFile} is not valid before ${leaf.validFrom}`);
  }
  return problems.length === before && certText !== null && keyText !== null
    ? { cert: certText, key: keyText }
    : null;
}

function loadMqttCa(config: HubConfig, read: (path: string) => string, problems: Problems): string | null {
  const file = config.mqtt.caFile;
  if (file === null) return null;
  const url = config.mqtt.url;
  if (url === null) {
    problems.push(
      'mqtt.caFile: only for an external broker at an mqtts:// mqtt.url (the embedded broker is the hub itself)',
    );
    return null;
  }
  if (!isTlsUrl(url)) {
    problems.push(
      `mqtt.caFile: mqtt.url ${stripUrlCredentials(url)} is not mqtts://, so the CA would never be used`,
    );
    return null;
  }
  const text = readText('mqtt.caFile', file, read, problems);
  if (text === null || parsed('mqtt.caFile', file, () => parseCertificates(text), problems) === null)
    return null;
  return text;
}

function loadBrokerTls(
  config: HubConfig,
  read: (path: string) => string,
  nowMs: number,
  problems: Problems,
  warnings: string[],
): BrokerTls | null {
  const { mqtt } = config;
  if (mqtt.url !== null) {
    const set = (['certFile', 'keyFile', 'only'] as const).filter((k) =>
      k === 'only' ? mqtt.tls.only : mqtt.tls[k] !== null,
    );
    for (const key of set)
      problems.push(
        `mqtt.tls.${key}: configures the embedded broker, but mqtt.url names an external one: turn TLS on there (npm run mqtt:mosquitto-config -- --tls-cert ...) and use mqtts:// in mqtt.url`,
      );
    return null;
  }
  const pair = loadPemPair(
    { cert: 'mqtt.tls.certFile', key: 'mqtt.tls.keyFile' },
    mqtt.tls,
    read,
    nowMs,
    problems,
  );
  const configured = mqtt.tls.certFile !== null || mqtt.tls.keyFile !== null;
  if (mqtt.tls.only && !configured)
    problems.push('mqtt.tls.only: needs mqtt.tls.certFile and mqtt.tls.keyFile');
  if (mqtt.tls.only && config.demo.enabled)
    problems.push(
      "mqtt.tls.only: the demo fleet's agents connect over plain MQTT: set DEMO=0, or leave mqtt.tls.only false",
    );
  const host = mqtt.tls.host ?? mqtt.host;
  if (
    configured &&
    !mqtt.tls.only &&
    mqtt.tls.port !== 0 &&
    mqtt.tls.port === mqtt.port &&
    host === mqtt.host
  )
    problems.push(`mqtt.tls.port: ${mqtt.tls.port} is also mqtt.port: give the TLS listener its own port`);
  if (!pair) return null;
  if (!mqtt.tls.only && !isLoopback(mqtt.host))
    warnings.push(
      `plain MQTT listener on ${mqtt.host}:${mqtt.port} beside the TLS one: site passwords sent to it cross the network in clear (set mqtt.tls.only, or mqtt.host 127.0.0.1 and mqtt.tls.host to the public address)`,
    );
  return { ...pair, host, port: mqtt.tls.port, only: mqtt.tls.only };
}

/**
 * Reads and checks every certificate, key and CA file the configuration names, failing with all
 * problems at once (`key: message`, like configuration validation). Runs before anything listens.
 */
export function loadHubTls(config: HubConfig, options: LoadTlsOptions = {}): HubTls {
  const read = options.read ?? ((path: string) => readFileSync(path, 'utf8'));
  const nowMs = options.now?.() ?? Date.now();
  const problems: Problems = [];
  const warnings: string[] = [];
  const https = loadPemPair(
    { cert: 'http.tls.certFile', key: 'http.tls.keyFile' },
    config.http.tls,
    read,
    nowMs,
    problems,
  );
  const broker = loadBrokerTls(config, read, nowMs, problems, warnings);
  const mqttCa = loadMqttCa(config, read, problems);
  if (problems.length > 0) throw new ConfigError('TLS settings', problems);
  return { https, broker, mqttCa, warnings };
}
