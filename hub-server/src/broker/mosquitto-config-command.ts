/**
 * Writes Mosquitto 2 configuration for the hub's MQTT identity rules from the database the hub uses:
 *   npm run mqtt:mosquitto-config -- --out <dir> [--config <hub.yaml>] [--listen <host>:<port>|none]
 *     [--tls-cert <pem> --tls-key <pem> [--tls-listen <host>:<port>]]
 * With --tls-cert and --tls-key (checked like the hub's own: readable PEM, matching, not expired) a
 * TLS listener is added (default: the --listen host, port 8883); --listen none leaves TLS alone.
 * The hub's own user is mqtt.username with its password from mqtt.passwordFile or MQTT_PASSWORD.
 * Database: DATABASE_URL, else the embedded database directory (stop the hub first). Reload
 * Mosquitto (SIGHUP) after each run. Exit 0: written; 2: could not run.
 * A network of hubs: each federation.links entry with a bridgePasswordFile becomes the user
 * bridge.<hub>, allowed to write cctv/federation/in/<hub>/ only; each federation.shares entry with a
 * bridge becomes a Mosquitto bridge (TLS) to that peer's broker (a bridge section: restart Mosquitto).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { ConfigError } from '../../../src/config/resolve.ts';
import { loadHubConfig } from '../config.ts';
import { EmbeddedDatabase } from '../db/embedded-database.ts';
import { SiteCredentialRepository } from '../repositories/site-credential-repository.ts';
import { loadPemPair } from '../tls.ts';
import { BrokerLimitsError, checkBrokerLimits } from './broker-limits.ts';
import {
  brokerInflightFor,
  MosquittoConfigError,
  type MosquittoListener,
  type MosquittoTls,
  writeMosquittoConfig,
} from './mosquitto-config.ts';

class CannotRun extends Error {}

function option(argv: readonly string[], name: string): string | undefined {
  const at = argv.indexOf(name);
  if (at < 0) return undefined;
  const value = argv[at + 1];
  if (!value || value.startsWith('--')) throw new CannotRun(`${name} needs a value`);
  return value;
}

function listener(flag: string, text: string): MosquittoListener {
  const match = /^(.+):(\d{1,5})$/.exec(text);
  const port = Number(match?.[2]);
  if (!match || port < 1 || port > 65535)
    throw new CannotRun(`${flag} ${text}: expected <host>:<port>, e.g. 127.0.0.1:1883`);
  return { host: match[1] as string, port };
}

function tlsListener(argv: readonly string[], plain: MosquittoListener | null): MosquittoTls | null {
  const certFile = option(argv, '--tls-cert') ?? null;
  const keyFile = option(argv, '--tls-key') ?? null;
  const listen = option(argv, '--tls-listen');
  if (certFile === null && keyFile === null) {
    if (listen) throw new CannotRun('--tls-listen needs --tls-cert and --tls-key');
    return null;
  }
  const problems: string[] = [];
  loadPemPair(
    { cert: '--tls-cert', key: '--tls-key' },
    { certFile, keyFile },
    (path) => readFileSync(path, 'utf8'),
    Date.now(),
    problems,
  );
  if (problems.length > 0) throw new CannotRun(problems.join('; '));
  return {
    listener: listen ? listener('--tls-listen', listen) : { host: plain?.host ?? '127.0.0.1', port: 8883 },
    certFile: certFile as string,
    keyFile: keyFile as string,
  };
}

async function siteUsers(config: ReturnType<typeof loadHubConfig>['database']) {
  let embedded: EmbeddedDatabase | null = null;
  let url = config.url;
  if (!url) {
    if (!existsSync(join(config.dataDir, 'PG_VERSION')))
      throw new CannotRun(`no embedded database in ${config.dataDir}: set DATABASE_URL or database.dataDir`);
    // Two processes on one embedded data directory would corrupt it.
    if (existsSync(join(config.dataDir, 'postmaster.pid')))
      throw new CannotRun(`the embedded database in ${config.dataDir} is in use: stop the hub first`);
    embedded = new EmbeddedDatabase({ dataDir: config.dataDir, maxConnections: 1 });
    await embedded.start();
    url = embedded.url;
  }
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
    const table = await client.query<{ t: string | null }>(
      "SELECT to_regclass('site_mqtt_credentials')::text AS t",
    );
    if (!table.rows[0]?.t)
      throw new CannotRun('this database has no site credentials table (start the hub once to migrate it)');
    const records = await new SiteCredentialRepository(client).list();
    return records.map((r) => ({ siteId: r.siteId, passwordHash: r.passwordHash }));
  } finally {
    await client.end().catch(() => undefined);
    await embedded?.stop();
  }
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const out = option(argv, '--out');
  if (!out) throw new CannotRun('--out <dir> is required');
  const plainText = option(argv, '--listen') ?? '127.0.0.1:1883';
  const listen = plainText === 'none' ? null : listener('--listen', plainText);
  const tls = tlsListener(argv, listen);
  if (!listen && !tls) throw new CannotRun('--listen none needs a TLS listener (--tls-cert and --tls-key)');
  const config = loadHubConfig(argv, process.env);
  checkBrokerLimits({
    maxPacketBytes: config.mqtt.maxPacketBytes,
    retainedMessageBytes: config.mqtt.maxPayloadBytes,
    retainedMessagesPerSite: config.mqtt.retainedMessagesPerSite,
    retainedBytesPerSite: config.mqtt.retainedBytesPerSite,
  });
  const username = config.mqtt.username;
  if (!username)
    throw new CannotRun("set mqtt.username (CCTV_HUB__mqtt__username): the hub's Mosquitto user");
  const password = process.env.MQTT_PASSWORD
    ? process.env.MQTT_PASSWORD
    : config.mqtt.passwordFile
      ? readFileSync(config.mqtt.passwordFile, 'utf8').trim()
      : null;
  if (!password) throw new CannotRun("set mqtt.passwordFile or MQTT_PASSWORD: the hub's Mosquitto password");
  const federation = config.federation;
  const secret = (file: string, what: string) => {
    const value = readFileSync(file, 'utf8').trim();
    if (value.length < 16) throw new CannotRun(`${what} in ${file} is shorter than 16 characters`);
    return value;
  };
  // Linked hubs' bridges sign in here; this hub's shares with a bridge get a connection section.
  const peers = federation.links.flatMap((l) =>
    l.bridgePasswordFile
      ? [{ hub: l.hub, password: secret(l.bridgePasswordFile, `bridge password of ${l.hub}`) }]
      : [],
  );
  const bridges = federation.shares.flatMap((share) => {
    if (!share.bridge) return [];
    if (!federation.hubId)
      throw new CannotRun("a bridge needs federation.hubId (this hub's id among its peers)");
    const at = listener(`federation.shares (${share.peer}) bridge.address`, share.bridge.address);
    return [
      {
        self: federation.hubId,
        peer: share.peer,
        host: at.host,
        port: at.port,
        caFile: share.bridge.caFile,
        password: secret(share.bridge.passwordFile, `bridge password for ${share.peer}`),
      },
    ];
  });
  const sites = await siteUsers(config.database);
  const written = await writeMosquittoConfig(out, {
    hub: { username, password },
    sites,
    peers,
    bridges,
    listener: listen,
    tls,
    maxInflight: brokerInflightFor(config.ingest.maxQueued),
    maxPacketBytes: config.mqtt.maxPacketBytes,
  });
  process.stdout.write(
    `wrote ${written.confPath}, ${written.passwordPath} and ${written.aclPath} (hub user ${username}, ${sites.length} sites, ${peers.length} linked hubs' bridges in, ${bridges.length} bridges out); reload Mosquitto (SIGHUP) to apply\n`,
  );
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    const known =
      error instanceof CannotRun ||
      error instanceof ConfigError ||
      error instanceof MosquittoConfigError ||
      error instanceof BrokerLimitsError;
    process.stderr.write(
      `mosquitto configuration not written: ${known ? (error as Error).message : String(error)}\n`,
    );
    process.exit(2);
  },
);
