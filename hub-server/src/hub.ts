import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import type { Logger } from 'pino';
import { resolveMediaBinaries } from '../../edge-agent/src/media/binaries.ts';
import { AlertEngine } from '../../src/alerts/alert-engine.ts';
import type { HubConfig } from '../../src/config/hub-config.ts';
import type { Alert } from '../../src/schemas/alert-api.ts';
import type { Role } from '../../src/schemas/api.ts';
import type { FeedSessionView } from '../../src/schemas/feed-api.ts';
import { AuditLog } from './audit/audit-log.ts';
import { AuthService } from './auth/auth-service.ts';
import { BrokerLimits } from './broker/broker-limits.ts';
import { EmbeddedBroker, ensurePortFree, listenOrExplain } from './broker/embedded-broker.ts';
import { HUB_INTERNAL_USERNAME, SiteAuthPolicy } from './broker/site-auth.ts';
import { ComplianceJob } from './compliance/compliance-job.ts';
import { ComplianceRepository } from './compliance/compliance-repository.ts';
import { loadPackDir } from './compliance/pack-store.ts';
import { Database } from './db/database.ts';
import { planDemoFleet } from './demo/demo-plan.ts';
import { seedDemo, seedDemoAssignments, seedDemoRegistry, seedDemoSiteCredentials } from './demo/seed.ts';
import { demoCredentials, loadCredentialsFile } from './feeds/credentials.ts';
import { type CredentialSource, FeedManager } from './feeds/feed-manager.ts';
import { FeedUrlSigner } from './feeds/signed-url.ts';
import { buildApp } from './http/app.ts';
import { CachedCheck } from './http/readiness.ts';
import { MqttIngest } from './ingest/mqtt-ingest.ts';
import { IngestPipeline } from './ingest/pipeline.ts';
import { LiveHub } from './live/live-hub.ts';
import { hubMetrics } from './metrics/hub-metrics.ts';
import { Places } from './places/places.ts';
import { ProcessStats } from './process-stats.ts';
import { RefusalReporter } from './registry/refusal-reporter.ts';
import { RegistryService } from './registry/registry-service.ts';
import { ReportRenderPool } from './reports/render-pool.ts';
import { countedDurations } from './repositories/evidence-spans.ts';
import { FleetRepository } from './repositories/fleet-repository.ts';
import { GeometryRepository } from './repositories/geometry-repository.ts';
import { MaintenanceRepository } from './repositories/maintenance-repository.ts';
import { SiteCredentialRepository } from './repositories/site-credential-repository.ts';
import { UptimeRepository } from './repositories/uptime-repository.ts';
import { UserRepository } from './repositories/user-repository.ts';
import { FleetState } from './state/fleet-state.ts';
import { type HubTls, loadHubTls } from './tls.ts';

export interface HubOptions {
  config: HubConfig;
  log: Logger;
  env?: Record<string, string | undefined>;
  now?: () => number;
  /** View-only camera credentials for live feeds; default: feeds.credentialsFile, else the demo fleet's. */
  feedCredentials?: CredentialSource;
}

function readSecret(file: string | null, envValue: string | undefined): string | null {
  if (envValue) return envValue;
  if (file) return readFileSync(file, 'utf8').trim();
  return null;
}

/** Wires database, broker, ingest, REST and live push; start() in dependency order, stop() in reverse. */
export class Hub {
  private db: Database | null = null;
  private broker: EmbeddedBroker | null = null;
  private brokerAuth: SiteAuthPolicy | null = null;
  private brokerLimits: BrokerLimits | null = null;
  /** The hub's own password on the embedded broker: generated at each start, never stored. */
  private readonly internalMqttPassword = randomBytes(32).toString('base64url');
  private demoPasswords = new Map<string, string>();
  private ingest: MqttIngest | null = null;
  private pipelineInstance: IngestPipeline | null = null;
  private live: LiveHub | null = null;
  private compliance: ComplianceJob | null = null;
  private feeds: FeedManager | null = null;
  private registryInstance: RegistryService | null = null;
  private alertEngine: AlertEngine | null = null;
  private reports: ReportRenderPool | null = null;
  private alertTimer: ReturnType<typeof setInterval> | null = null;
  private readonly processStats = new ProcessStats();
  private app: Awaited<ReturnType<typeof buildApp>> | null = null;
  readonly fleet = new FleetState();
  private httpPort = 0;
  private tls: HubTls | null = null;

  constructor(private readonly options: HubOptions) {}

  get url(): string {
    return `${this.tls?.https ? 'https' : 'http'}://${this.options.config.http.host}:${this.httpPort}`;
  }

  /** Where agents publish: the embedded broker or the configured external one. */
  get mqttUrl(): string {
    if (this.broker) return this.broker.url;
    return this.options.config.mqtt.url ?? '';
  }

  /** The embedded broker's MQTT over TLS listener, when configured. */
  get mqttTlsUrl(): string | null {
    return this.broker?.tlsUrl ?? null;
  }

  /** Demo mode: each demo site's MQTT password for this run (for the demo fleet's agents only). */
  get demoSitePasswords(): ReadonlyMap<string, string> {
    return this.demoPasswords;
  }

  /** Live socket snapshots sent, and the sockets they served (sockets connecting together share one). */
  get liveSnapshots(): { sent: number; sockets: number } {
    return { ...(this.live?.snapshotStats ?? { sent: 0, sockets: 0 }) };
  }

  /** The ingest client's broker connection: up now, connections made and lost. */
  get ingestConnection(): { connected: boolean; connects: number; connectionsLost: number } | null {
    return this.ingest ? { connected: this.ingest.connected, ...this.ingest.stats } : null;
  }

  get pipeline(): IngestPipeline {
    if (!this.pipelineInstance) throw new Error('hub is not started');
    return this.pipelineInstance;
  }

  /** Open control-room alerts. */
  get openAlerts(): Alert[] {
    return this.alertEngine?.openAlerts() ?? [];
  }

  get feedManager(): FeedManager {
    if (!this.feeds) throw new Error('hub is not started');
    return this.feeds;
  }

  /** The site registry (operators' facts about sites and cameras). */
  get registry(): RegistryService {
    if (!this.registryInstance) throw new Error('hub is not started');
    return this.registryInstance;
  }

  get database(): Database {
    if (!this.db) throw new Error('hub is not started');
    return this.db;
  }

  async start(): Promise<void> {
    const { config, log } = this.options;
    const env = this.options.env ?? process.env;
    const tls = loadHubTls(config, { now: this.options.now });
    this.tls = tls;
    for (const warning of tls.warnings) log.warn(warning);
    // Rule packs and ports first: a broken pack or a taken port fails start-up at once.
    const packs = loadPackDir(config.compliance.packsDir);
    log.info({ packs: [...packs.keys()] }, 'certification packs loaded');
    if (!config.mqtt.url) {
      this.brokerAuth = new SiteAuthPolicy({
        mode: config.mqtt.siteAuth,
        hubPassword: Buffer.from(this.internalMqttPassword),
        log: log.child({ part: 'broker' }),
      });
      this.brokerLimits = new BrokerLimits(
        {
          maxPacketBytes: config.mqtt.maxPacketBytes,
          retainedMessageBytes: config.mqtt.maxPayloadBytes,
          retainedMessagesPerSite: config.mqtt.retainedMessagesPerSite,
          retainedBytesPerSite: config.mqtt.retainedBytesPerSite,
        },
        log.child({ part: 'broker' }),
      );
      this.broker = new EmbeddedBroker({
        host: config.mqtt.host,
        port: config.mqtt.port,
        log,
        auth: this.brokerAuth,
        limits: this.brokerLimits,
        tls: tls.broker,
      });
      await this.broker.start();
      log.info({ port: this.broker.port, tlsPort: this.broker.tlsPort }, 'embedded MQTT broker listening');
    }
    if (config.http.port !== 0)
      await ensurePortFree(config.http.host, config.http.port, 'set PORT to a free port');
    const db = new Database({
      url: config.database.url,
      dataDir: config.database.dataDir,
      poolSize: config.database.poolSize,
      log: (line) => log.debug(line),
    });
    this.db = db;
    await db.start();
    log.info({ kind: db.kind }, 'database ready');
    const fleetRepo = new FleetRepository(db.pool);
    const users = new UserRepository(db.pool);
    const maintenance = new MaintenanceRepository(db.pool);
    const uptime = new UptimeRepository(db.pool, maintenance);
    const complianceRepo = new ComplianceRepository(db.pool);
    const audit = new AuditLog(db.pool, this.options.now);
    const alerts = new AlertEngine({
      ...config.alerts,
      groupMin: 2,
      refusalAlertMs: config.registry.refusalAlertMs,
    });
    this.alertEngine = alerts;
    const siteCredentials = new SiteCredentialRepository(db.pool);
    this.brokerAuth?.attachStore(
      async (siteId) => (await siteCredentials.find(siteId))?.passwordHash ?? null,
    );
    if (config.demo.enabled) {
      await seedDemo(fleetRepo, users, config.demo.password);
      const demoSites = planDemoFleet({
        towns: config.demo.towns,
        maxCamerasPerSite: config.demo.maxCamerasPerSite,
      });
      await seedDemoRegistry(db.pool, audit, demoSites, new Date(this.options.now?.() ?? Date.now()));
      await seedDemoAssignments(db.pool, demoSites);
      this.demoPasswords = await seedDemoSiteCredentials(
        siteCredentials,
        demoSites.map((site) => site.id),
        new Date(this.options.now?.() ?? Date.now()),
      );
    }
    await this.fleet.load(db.pool);
    if (!config.demo.enabled && (await users.activeOperators()) === 0)
      log.warn(
        'no enabled hub operator: nobody can sign in to manage this hub; stop it and run: npm run user -- add <name> --role operator',
      );

    const pipeline = new IngestPipeline(
      db.pool,
      this.fleet,
      {
        batchSize: config.ingest.batchSize,
        flushIntervalMs: config.ingest.flushIntervalMs,
        maxQueued: config.ingest.maxQueued,
        sweepIntervalMs: config.state.sweepIntervalMs,
        maxPayloadBytes: config.mqtt.maxPayloadBytes,
        deadLetterMaxBytes: config.ingest.deadLetterMaxBytes,
        staleAfterMs: config.state.staleAfterMs,
        heartbeatWriteMs: config.state.heartbeatWriteMs,
        agentClockMaxOffsetMs: config.state.agentClockMaxOffsetMs,
        agentClockWindowMs: config.state.agentClockWindowMs,
        replayHorizonMs: config.registry.replayHorizonMs,
        futureToleranceMs: config.registry.futureToleranceMs,
        maxCamerasPerSite: config.registry.maxCamerasPerSite,
        messagesPerSecondPerSite: config.registry.messagesPerSecondPerSite,
        burstSeconds: config.registry.burstSeconds,
      },
      log.child({ part: 'ingest' }),
      this.options.now,
    );
    this.pipelineInstance = pipeline;
    const refusals = new RefusalReporter({
      fleet: this.fleet,
      alerts,
      audit,
      auditEveryMs: config.registry.refusalAlertMs,
      log: log.child({ part: 'registry' }),
      now: this.options.now ?? Date.now,
    });
    pipeline.onRefusals((list) => refusals.handle(list));
    const registry = new RegistryService({
      pool: db.pool,
      audit,
      fleet: this.fleet,
      exclusive: (fn) => pipeline.exclusive(fn),
      publish: (change) => this.live?.publish(change),
      registered: (siteId) => this.ingest?.replayRetained(siteId),
      now: this.options.now ?? Date.now,
    });
    this.registryInstance = registry;
    pipeline.start();

    const tokenSecret = readSecret(config.auth.secretFile, env.CCTV_AUTH_SECRET) ?? this.generatedSecret();
    const feedSigner = new FeedUrlSigner(tokenSecret);
    const auth = new AuthService(db.pool, users, {
      secret: tokenSecret,
      tokenTtlMs: config.auth.tokenTtlMs,
      now: this.options.now,
    });
    const credentials =
      this.options.feedCredentials ??
      (config.feeds.credentialsFile
        ? loadCredentialsFile(config.feeds.credentialsFile)
        : config.demo.enabled
          ? demoCredentials({ towns: config.demo.towns, maxCamerasPerSite: config.demo.maxCamerasPerSite })
          : () => null);
    const feedEvent = (
      kind: 'feed.start' | 'feed.end',
      s: FeedSessionView,
      role: string,
      detail: Record<string, unknown>,
    ) =>
      audit.append({
        kind,
        actor: s.user,
        role: role as Role,
        councilId: s.councilId,
        cameraId: s.cameraId,
        incidentRef: s.incidentRef,
        reason: s.reason,
        detail: { session: s.id, startedAt: s.startedAt, ...detail },
      });
    const feeds = new FeedManager({
      dir: config.feeds.dir,
      ffmpegPath: resolveMediaBinaries().ffmpegPath,
      limits: config.feeds,
      signer: feedSigner,
      credentials,
      events: {
        // The address came from the site: alerted and audited as a refusal of what the site reported.
        refused: (camera, code, message, user) =>
          refusals.handle([
            {
              siteId: camera.siteId,
              code,
              message,
              detail: { cameraId: camera.id, feedRequestedBy: user.sub },
              receivedAt: new Date(this.options.now?.() ?? Date.now()),
            },
          ]),
        started: async (s, role) => {
          await feedEvent('feed.start', s, role, { expiresAt: s.expiresAt });
        },
        ended: async (s, why, role) => {
          await feedEvent('feed.end', s, role, {
            endedAt: new Date(this.options.now?.() ?? Date.now()).toISOString(),
            why,
          });
        },
      },
      log: log.child({ part: 'feeds' }),
      now: this.options.now ?? Date.now,
    });
    this.feeds = feeds;
    feeds.start();
    const reports = new ReportRenderPool({ ...config.reports, log: log.child({ part: 'reports' }) });
    this.reports = reports;
    reports.start();
    const databaseReady = new CachedCheck(() => db.ping());
    const metricsToken = readSecret(config.metrics.tokenFile, env.CCTV_METRICS_TOKEN);
    const metricsRegistry = () =>
      hubMetrics({
        pipeline: () => pipeline.stats,
        cameras: () => this.fleet.cameras.values(),
        sites: () => this.fleet.sites.values(),
        openAlerts: () => alerts.openAlerts(),
        sockets: () => this.live?.connections ?? 0,
        pool: () => this.db?.pool ?? null,
        mqttConnected: () => this.ingestConnection?.connected ?? false,
      });
    const app = await buildApp({
      logger: log.child({ part: 'http' }),
      bodyLimitBytes: config.http.bodyLimitBytes,
      https: tls.https,
      auth,
      rateLimits: {
        apiPerMinute: config.http.rateLimitPerMinute,
        loginAttempts: config.auth.loginAttempts,
        loginPerAddress: config.auth.loginAttemptsPerAddress,
        loginWindowMs: config.auth.loginWindowMs,
      },
      uiConfig: {
        tileUrl: config.dashboard.tileUrl,
        tileAttribution: config.dashboard.tileAttribution,
        demo: config.demo.enabled,
      },
      fleet: fleetRepo,
      users,
      uptime,
      maintenance,
      packs,
      defaultCode: config.compliance.defaultCode,
      pool: db.pool,
      compliance: complianceRepo,
      audit,
      reports,
      geometry: new GeometryRepository(db.pool),
      places: new Places(db.pool),
      feeds,
      feedSigner,
      registry,
      openAlerts: () => alerts.openAlerts(),
      geometryChanged: (cameraId, update) => {
        const view = this.fleet.applySurvey(cameraId, {
          lat: update.location.lat,
          lon: update.location.lon,
          bearingDeg: update.bearingDeg,
          hfovDeg: update.hfovDeg,
        });
        if (view) this.live?.publish({ cameras: [view], sites: [] });
      },
      readiness: async () => ({
        database: await databaseReady.read(),
        mqtt: this.ingest?.connected ?? false,
      }),
      // Only with a token: the default collectors (an event-loop monitor among them) run from creation.
      ...(metricsToken ? { metrics: { registry: metricsRegistry(), token: metricsToken } } : {}),
      ingestStats: () => ({
        ...pipeline.stats,
        mqtt: this.ingestConnection,
        mqttAuth: this.brokerAuth?.stats ?? null,
        mqttLimits: this.brokerLimits?.stats ?? null,
        process: this.processStats.read(),
        live: this.live
          ? { connections: this.live.connections, snapshots: this.liveSnapshots, ...this.live.deliveryStats }
          : null,
      }),
      mqttCredentials: {
        repository: siteCredentials,
        reservedUsernames: config.mqtt.username ? [config.mqtt.username] : [],
        changed: (siteId) => {
          const closed = this.broker?.disconnectSite(siteId) ?? 0;
          if (closed > 0) log.info({ siteId, closed }, 'closed MQTT connections on a replaced credential');
        },
      },
      now: this.options.now,
    });
    this.app = app;
    const live = new LiveHub(this.fleet, {
      openAlerts: () => alerts.openAlerts(),
      acknowledgeAlert: (id, user) => alerts.acknowledge(id, user, this.options.now?.() ?? Date.now()),
      minPushIntervalMs: config.live.batchIntervalMs,
      maxQueuedPushes: config.live.maxQueuedPushes,
      alertAckTimeoutMs: config.alerts.ackTimeoutMs,
      verifyToken: (token) => auth.authenticate(token),
      log: log.child({ part: 'live' }),
      now: this.options.now,
    });
    this.live = live;
    auth.onRevoked((match) => live.disconnectWhere(match));
    pipeline.onChange((change) => live.publish(change));
    live.attach(app.server);
    this.processStats.start();
    this.alertTimer = setInterval(() => {
      const nowMs = this.options.now?.() ?? Date.now();
      live.publishAlerts(alerts.evaluate(this.fleet.cameras.values(), this.fleet.sites.values(), nowMs));
    }, config.alerts.evaluateIntervalMs);
    await app.ready();
    this.httpPort = await listenOrExplain(
      app.server,
      config.http.host,
      config.http.port,
      'set PORT to a free port',
    );
    this.httpPort = (app.server.address() as AddressInfo).port;

    this.compliance = new ComplianceJob({
      packs,
      defaultCode: config.compliance.defaultCode,
      intervalMs: config.compliance.evaluateIntervalMs,
      repository: complianceRepo,
      countedDurations: async (fromMs, toMs, nowMs) =>
        (await countedDurations(db.pool, uptime, 'fleet', null, null, fromMs, toMs, nowMs)).durations,
      log: log.child({ part: 'compliance' }),
      now: this.options.now ?? Date.now,
      onChange: (changes) => live.publishCompliance(changes),
      verifyAudit: () => audit.verify(),
    });
    this.compliance.start();

    // On the embedded broker the hub is its own internal user; on an external one, the configured user.
    const mqttPassword = this.broker
      ? this.internalMqttPassword
      : readSecret(config.mqtt.passwordFile, env.MQTT_PASSWORD);
    this.ingest = new MqttIngest(
      {
        url: this.mqttUrl,
        clientId: config.mqtt.clientId,
        keepaliveS: config.mqtt.keepaliveS,
        username: this.broker ? HUB_INTERNAL_USERNAME : config.mqtt.username,
        password: mqttPassword,
        ca: tls.mqttCa,
        connectStream: this.broker?.hubConnector() ?? null,
        log: log.child({ part: 'mqtt' }),
      },
      pipeline,
    );
    await this.ingest.start();
    log.info({ url: this.url }, 'hub ready');
  }

  /**
   * Without a configured secret, one is generated once and kept (mode 0600) beside the embedded
   * database, so tokens survive a restart and nothing secret is ever in the repository.
   */
  private generatedSecret(): string {
    const file = join(dirname(this.options.config.database.dataDir), 'auth-secret');
    if (existsSync(file)) return readFileSync(file, 'utf8').trim();
    mkdirSync(dirname(file), { recursive: true });
    const secret = randomBytes(32).toString('base64');
    writeFileSync(file, secret, { mode: 0o600 });
    this.options.log.info(
      { file },
      'generated a token signing secret (set CCTV_AUTH_SECRET or auth.secretFile to manage it)',
    );
    return secret;
  }

  async stop(): Promise<void> {
    // Stop taking messages, drain in-flight batches, then close the rest.
    await this.ingest
      ?.stop()
      .catch((error: Error) =>
        this.options.log.warn({ err: error.message }, 'mqtt ingest did not close cleanly'),
      );
    await this.pipelineInstance?.stop();
    // Feeds end (and are audited) while the database is still there.
    await this.feeds?.stop();
    await this.compliance?.stop();
    this.processStats.stop();
    if (this.alertTimer) clearInterval(this.alertTimer);
    this.alertTimer = null;
    await this.live?.stop();
    await this.app?.close();
    // Stopped after the server has closed, so requests in flight still get their reports.
    await this.reports?.stop();
    await this.broker?.stop();
    await this.db?.stop();
    this.ingest = null;
    this.pipelineInstance = null;
    this.live = null;
    this.compliance = null;
    this.feeds = null;
    this.app = null;
    this.reports = null;
    this.broker = null;
    this.brokerAuth = null;
    this.brokerLimits = null;
    this.db = null;
  }
}
