import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import pino from 'pino';
import type { MediaBinaries } from '../../edge-agent/src/media/binaries.ts';
import { hashPassword } from '../../hub-server/src/auth/passwords.ts';
import type { CredentialSource } from '../../hub-server/src/feeds/feed-manager.ts';
import { Hub } from '../../hub-server/src/hub.ts';
import { FleetRepository } from '../../hub-server/src/repositories/fleet-repository.ts';
import { UserRepository } from '../../hub-server/src/repositories/user-repository.ts';
import { HUB_ENV_ALIASES, HUB_ENV_PREFIX, HubConfig } from '../../src/config/hub-config.ts';
import { resolveConfig } from '../../src/config/resolve.ts';
import type { Role } from '../../src/schemas/api.ts';
import { keepLogLine } from './secret-scan.ts';
import { type TestServices, testServices } from './services.ts';

export interface HubHarness {
  hub: Hub;
  services: TestServices;
  login: (username: string, password?: string) => Promise<string>;
  /** Every JSON log line the hub wrote at info level and above. */
  logs: string[];
  createUser: (username: string, role: Role, councilIds?: string[], password?: string) => Promise<void>;
  /**
   * Registers a site as an operator would (creating its council and hub when missing), with the
   * given cameras listed so they count from first sight and loopback as its camera network. Its
   * registration is dated `registeredAgoMs` (default a day) before the hub's clock, so tests that
   * replay recent history are not refused as older than the site.
   */
  registerSite: (siteId: string, councilId: string, options?: RegisterSiteOptions) => Promise<void>;
  /**
   * Stops the hub and starts a new one on the same database and configuration, as a supervisor
   * would; `hub` is the new one afterwards (its HTTP and embedded MQTT ports may differ).
   */
  restart: () => Promise<void>;
  stop: () => Promise<void>;
}

export interface RegisterSiteOptions {
  cameraIds?: string[];
  /** The registry's name and place for the site (sites no longer name or place themselves). */
  name?: string;
  location?: { lat: number; lon: number };
  hubId?: string;
  cameraNetworks?: string[];
  registeredAgoMs?: number;
}

/** Starts a real hub (database, broker, ingest, HTTP, sockets) on free ports. */
export async function startHub(
  overrides: Record<string, string> = {},
  options: {
    now?: () => number;
    feedCredentials?: CredentialSource;
    /** Use the hub's embedded broker even when MQTT_URL points the suite at an external one. */
    embeddedBroker?: boolean;
    /** ffmpeg and ffprobe for the hub's feeds and stream checks (default: as the hub resolves them). */
    media?: MediaBinaries;
  } = {},
): Promise<HubHarness> {
  const services = await testServices();
  const env: Record<string, string> = {
    PORT: '0',
    MQTT_PORT: '0',
    DEMO: '0',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
    CCTV_HUB__database__dataDir: join(services.dataDir, 'pglite'),
    CCTV_HUB__mqtt__clientId: `hub-test-${randomBytes(4).toString('hex')}`,
    CCTV_HUB__state__sweepIntervalMs: '500',
    CCTV_HUB__live__batchIntervalMs: '50',
    CCTV_HUB__ingest__flushIntervalMs: '20',
    // Most tests publish without credentials; the MQTT identity tests turn enforcement on.
    CCTV_HUB__mqtt__siteAuth: 'off',
    // Tests sign in and call the API far more often than people do; the security suite sets its own limits.
    CCTV_HUB__http__rateLimitPerMinute: '1000000',
    CCTV_HUB__auth__loginAttempts: '100000',
    CCTV_HUB__auth__loginAttemptsPerAddress: '100000',
    ...overrides,
  };
  if (services.databaseUrl && !overrides.DATABASE_URL) env.DATABASE_URL = services.databaseUrl;
  if (services.mqttUrl && !overrides.MQTT_URL && !options.embeddedBroker) env.MQTT_URL = services.mqttUrl;
  const config = resolveConfig(HubConfig, { env, envAliases: HUB_ENV_ALIASES, envPrefix: HUB_ENV_PREFIX });
  const logs: string[] = [];
  // Every log line is kept for assertions (and secret scans); lines at the configured level are also printed.
  const log = pino(
    { level: 'info' },
    pino.multistream([
      { level: 'info', stream: { write: (line: string) => void logs.push(line) } },
      { level: 'debug', stream: { write: (line: string) => keepLogLine('hub', line) } },
      { level: config.log.level === 'silent' ? 'fatal' : config.log.level, stream: process.stdout },
    ]),
  );
  const makeHub = () =>
    new Hub({
      config,
      log,
      env: { CCTV_AUTH_SECRET: 'test-secret-not-for-production' },
      now: options.now,
      feedCredentials: options.feedCredentials,
      ...(options.media ? { media: options.media } : {}),
    });
  let hub = makeHub();
  await hub.start();
  const login = async (username: string, password = 'demo') => {
    const response = await fetch(`${hub.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password }),
    });
    if (!response.ok) throw new Error(`login as ${username} failed: ${response.status}`);
    return ((await response.json()) as { token: string }).token;
  };
  return {
    get hub() {
      return hub;
    },
    services,
    login,
    logs,
    createUser: async (username, role, councilIds = [], password = 'demo') => {
      await new UserRepository(hub.database.pool).upsert({
        username,
        role,
        councilIds,
        passwordHash: await hashPassword(password),
      });
    },
    registerSite: async (siteId, councilId, o = {}) => {
      const hubId = o.hubId ?? 'test-hub';
      const fleet = new FleetRepository(hub.database.pool);
      if (!(await fleet.listHubs()).some((x) => x.id === hubId))
        await fleet.upsertHub({ id: hubId, name: hubId, operator: 'test', lat: 50.1, lon: -5.5 });
      if (!(await fleet.listCouncils(null)).some((c) => c.id === councilId))
        await fleet.upsertCouncil({ id: councilId, name: councilId, hubId });
      await hub.registry.register(
        {
          id: siteId,
          name: o.name ?? `Site ${siteId}`,
          councilId,
          hubId,
          location: o.location ?? null,
          cameraNetworks: o.cameraNetworks ?? ['127.0.0.1/32'],
          expectedCameras: o.cameraIds ?? [],
        },
        { username: 'test-operator', role: 'operator' },
      );
      const at = new Date((options.now?.() ?? Date.now()) - (o.registeredAgoMs ?? 86_400_000));
      await hub.database.pool.query('UPDATE sites SET registered_at = $2, state_since = $2 WHERE id = $1', [
        siteId,
        at,
      ]);
      await hub.database.pool.query('UPDATE site_assignments SET valid_from = $2 WHERE site_id = $1', [
        siteId,
        at,
      ]);
      const registered = hub.fleet.registry.get(siteId);
      if (registered) registered.registeredAtMs = at.getTime();
    },
    restart: async () => {
      await hub.stop();
      hub = makeHub();
      await hub.start();
    },
    stop: async () => {
      await hub.stop();
      await services.cleanup();
    },
  };
}
