import { createHmac, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import {
  type MediaBinaries,
  readableProtocols,
  resolveMediaBinaries,
} from '../../edge-agent/src/media/binaries.ts';
import { AlertEngine } from '../../src/alerts/alert-engine.ts';
import type { HubConfig } from '../../src/config/hub-config.ts';
import type { Alert } from '../../src/schemas/alert-api.ts';
import type { CameraView, Role, SiteView } from '../../src/schemas/api.ts';
import type { FeedSessionView } from '../../src/schemas/feed-api.ts';
import { AuditLog } from './audit/audit-log.ts';
import { AuthService, type Revocation } from './auth/auth-service.ts';
import { SharedFailures } from './auth/login-failures.ts';
import { BrokerLimits } from './broker/broker-limits.ts';
import { EmbeddedBroker, ensurePortFree, listenOrExplain } from './broker/embedded-broker.ts';
import { HUB_INTERNAL_USERNAME, SiteAuthPolicy } from './broker/site-auth.ts';
import { type ClusterEvent, ClusterLog } from './cluster/cluster-log.ts';
import { INGEST_LEASE, LeaderLease } from './cluster/leader-lease.ts';
import { ComplianceJob } from './compliance/compliance-job.ts';
import { ComplianceRepository } from './compliance/compliance-repository.ts';
import { loadPackDir } from './compliance/pack-store.ts';
import { Database } from './db/database.ts';
import type { EmbeddedDatabase } from './db/embedded-database.ts';
import { planDemoFleet, planDemoSources } from './demo/demo-plan.ts';
import {
  seedDemo,
  seedDemoAssignments,
  seedDemoPublicPages,
  seedDemoRegistry,
  seedDemoSiteCredentials,
  seedDemoSources,
} from './demo/seed.ts';
import { LinkedFeeds } from './federation/linked-feeds.ts';
import { searchLinkedSources } from './federation/linked-sources.ts';
import { FederationLinks } from './federation/links.ts';
import { FederationPublisher } from './federation/publisher.ts';
import { demoCredentials, loadCredentialsFile } from './feeds/credentials.ts';
import { type CredentialSource, FeedManager } from './feeds/feed-manager.ts';
import { FeedUrlSigner } from './feeds/signed-url.ts';
import { buildApp } from './http/app.ts';
import { HttpError } from './http/common.ts';
import { CachedCheck } from './http/readiness.ts';
import { hubMqttClient, MqttIngest } from './ingest/mqtt-ingest.ts';
import { IngestPipeline } from './ingest/pipeline.ts';
import { LiveHub } from './live/live-hub.ts';
import { hubMetrics } from './metrics/hub-metrics.ts';
import { NotificationRepository } from './notifications/notification-repository.ts';
import { Notifier } from './notifications/notifier.ts';
import { Senders } from './notifications/senders.ts';
import { Places } from './places/places.ts';
import { ProcessStats } from './process-stats.ts';
import { EnrolmentCodes } from './registry/enrolment.ts';
import { RefusalReporter } from './registry/refusal-reporter.ts';
import { RegistryService } from './registry/registry-service.ts';
import { ReportRenderPool } from './reports/render-pool.ts';
import { AlertRepository } from './repositories/alert-repository.ts';
import { countedDurations } from './repositories/evidence-spans.ts';
import { FleetRepository } from './repositories/fleet-repository.ts';
import { GeometryRepository } from './repositories/geometry-repository.ts';
import { MaintenanceRepository } from './repositories/maintenance-repository.ts';
import { SiteCredentialRepository } from './repositories/site-credential-repository.ts';
import { UptimeRepository } from './repositories/uptime-repository.ts';
import { UserRepository } from './repositories/user-repository.ts';
import { SourceProber } from './sources/source-prober.ts';
import type { StoredFix } from './sources/source-repository.ts';
import { SourceRetention } from './sources/source-retention.ts';
import { type SourceEvent, SourceService } from './sources/source-service.ts';
import type { SurveyedGeometry } from './state/fleet-state.ts';
import { FleetState } from './state/fleet-state.ts';
import { type HubTls, loadHubTls } from './tls.ts';

export interface HubOptions {
  config: HubConfig;
  log: Logger;
  env?: Record<string, string | undefined>;
  now?: () => number;
  /** View-only camera credentials for live feeds; default: feeds.credentialsFile, else the demo fleet's. */
  feedCredentials?: CredentialSource;
  /**
   * Cluster mode: the leader lost its lease and must stop acting as one. Default: the process exits
   * (code 75) at once, and its supervisor starts it again as a standby.
   */
  onLeadershipLost?: (why: string) => void;
  /** The embedded database, already starting (main.ts starts it before loading the hub's modules). */
  embeddedDatabase?: EmbeddedDatabase;
  /** ffmpeg and ffprobe for feeds and stream checks; default: FFMPEG_PATH/FFPROBE_PATH, the system's, npm's. */
  media?: MediaBinaries;
}

/** What this process is in its region: the only one, or one of several (cluster mode). */
export type HubRole = 'single' | 'leader' | 'standby';

/** A fleet change as the ingest leader committed it, for the region's other processes. */
interface FleetEvent {
  cameras: CameraView[];
  sites: SiteView[];
  removedCameras: string[];
  /** Mobile sources' newest stored fixes (absent in events of older processes). */
  sources?: StoredFix[];
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
  private demoSourceKeyMap = new Map<string, string>();
  private ingest: MqttIngest | null = null;
  private pipelineInstance: IngestPipeline | null = null;
  private live: LiveHub | null = null;
  private compliance: ComplianceJob | null = null;
  private feeds: FeedManager | null = null;
  private registryInstance: RegistryService | null = null;
  private alertEngine: AlertEngine | null = null;
  private reports: ReportRenderPool | null = null;
  private alertTimer: ReturnType<typeof setInterval> | null = null;
  private alertHistory: AlertRepository | null = null;
  private notifier: Notifier | null = null;
  private sourceProber: SourceProber | null = null;
  private sourceRetention: SourceRetention | null = null;
  private readonly processStats = new ProcessStats();
  private app: Awaited<ReturnType<typeof buildApp>> | null = null;
  readonly fleet = new FleetState();
  private httpPort = 0;
  private tls: HubTls | null = null;
  private lease: LeaderLease | null = null;
  private rateLimitRedis: Redis | null = null;
  private events: ClusterLog | null = null;
  private roleNow: HubRole = 'single';
  private cleanupTimer: ReturnType<typeof setInterval> | null = null;
  private publisher: FederationPublisher | null = null;
  private sources: SourceService | null = null;
  private links: FederationLinks | null = null;
  /** Alert acknowledgements a standby asked its leader for, by alert id. */
  private readonly ackWaiters = new Map<string, ((alert: Alert) => void)[]>();
  readonly instanceId: string;

  constructor(private readonly options: HubOptions) {
    this.instanceId = options.config.cluster.instanceId ?? `${hostname()}-${process.pid}`;
  }

  /** single, or in cluster mode leader (holds the ingest lease and runs the cluster jobs) or standby. */
  get role(): HubRole {
    return this.roleNow;
  }

  /** The cluster event log's counters (cluster mode), else null. */
  get clusterStats(): ClusterLog['stats'] | null {
    return this.events ? { ...this.events.stats } : null;
  }

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

  /** Demo mode: each demo mobile source's telemetry key for this run (for the demo fleet only). */
  get demoSourceKeys(): ReadonlyMap<string, string> {
    return this.demoSourceKeyMap;
  }

  /** The demo fleet started the mobile sources' simulated streams: where the hub pulls them. */
  async setSourceStreams(streams: Readonly<Record<string, string>>): Promise<void> {
    for (const [id, url] of Object.entries(streams)) await this.sources?.setStream(id, url);
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
    const media = this.options.media ?? resolveMediaBinaries();
    const clustered = config.cluster.enabled;
    if (clustered) {
      if (!config.database.url || !config.mqtt.url)
        throw new Error(
          'cluster.enabled (CCTV_CLUSTER) needs database.url (DATABASE_URL) and mqtt.url (MQTT_URL): the hub processes of a region share one PostgreSQL and one broker',
        );
      if (config.demo.enabled)
        throw new Error('cluster.enabled runs without the demo fleet: set DEMO=0 (demo.enabled: false)');
      this.roleNow = 'standby';
    }
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
        alertsReaderPassword: ((p) => (p ? Buffer.from(p) : null))(
          readSecret(config.notifications.mqttReaderPasswordFile, env.CCTV_ALERTS_MQTT_PASSWORD),
        ),
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
      log: (line, level = 'debug') => log[level](line),
      embedded: config.database.url ? undefined : this.options.embeddedDatabase,
    });
    this.db = db;
    await db.start();
    log.info({ kind: db.kind }, 'database ready');
    if (clustered) {
      // Listening starts before the state is loaded: whatever is logged after this point is applied
      // on top of what the load reads, in order, once everything is built (resume below).
      this.events = new ClusterLog({
        pool: db.pool,
        databaseUrl: config.database.url as string,
        instanceId: this.instanceId,
        retentionMs: config.cluster.eventRetentionMs,
        log: log.child({ part: 'cluster' }),
        deliver: (events) => this.onEvents(events),
        resync: () => this.onResync(),
      });
      await this.events.start();
    }
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
    // The history carries on where the last run stopped: open alerts stay open, with their
    // acknowledgements, until an evaluation with fresh states decides.
    const alertHistory = new AlertRepository(db.pool);
    this.alertHistory = alertHistory;
    alerts.restore(
      await alertHistory.open(),
      this.options.now?.() ?? Date.now(),
      Math.max(config.state.staleAfterMs, config.alerts.dampMs) + config.alerts.evaluateIntervalMs,
    );
    const recordAlerts = (changes: readonly Alert[]) =>
      alertHistory.record(changes, (error) =>
        log.error({ err: error.message }, 'could not write alert history; notifications may lag'),
      );
    // Acknowledging: the leader's (or the only) engine decides; a standby asks the leader through
    // the event log and answers once the leader's change comes back.
    const acknowledgeHere = async (id: string, user: string, comment: string | null) => {
      const alert = alerts.acknowledge(id, user, this.options.now?.() ?? Date.now(), comment);
      if (alert) {
        void recordAlerts([alert]);
        this.events?.append('alerts', [alert]);
      }
      return alert;
    };
    this.acknowledgeHere = acknowledgeHere;
    const acknowledge = async (id: string, user: string, comment: string | null): Promise<Alert | null> => {
      if (this.roleNow !== 'standby') return acknowledgeHere(id, user, comment);
      if (!alerts.openAlerts().some((a) => a.id === id)) return null;
      return this.askLeaderToAcknowledge(id, user, comment);
    };
    const notificationRules = new NotificationRepository(db.pool);
    const notifier = new Notifier({
      pool: db.pool,
      senders: new Senders({
        smtp: {
          ...config.notifications.smtp,
          password: readSecret(config.notifications.smtp.passwordFile, env.CCTV_SMTP_PASSWORD),
        },
        timeoutMs: config.notifications.deliveryTimeoutMs,
        publish: (topic, payload) =>
          this.ingest
            ? this.ingest.publish(topic, payload)
            : Promise.reject(new Error('the hub is not connected to the broker')),
        now: this.options.now ?? Date.now,
      }),
      findUser: (username) => users.find(username),
      siteName: (id) => this.fleet.sites.get(id)?.name ?? null,
      siteHub: (id) => this.fleet.sites.get(id)?.hubId ?? null,
      cameraName: (id) => this.fleet.cameras.get(id)?.name ?? null,
      ...config.notifications,
      log: log.child({ part: 'notify' }),
      now: this.options.now ?? Date.now,
    });
    this.notifier = notifier;
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
      await seedDemoPublicPages(db.pool, demoSites, new Date(this.options.now?.() ?? Date.now()));
      this.demoPasswords = await seedDemoSiteCredentials(
        siteCredentials,
        demoSites.map((site) => site.id),
        new Date(this.options.now?.() ?? Date.now()),
      );
      this.demoSourceKeyMap = await seedDemoSources(
        db.pool,
        planDemoSources(demoSites),
        this.options.now?.() ?? Date.now(),
      );
    }
    await this.fleet.load(db.pool);
    // Mobile sources: the registry is in the fleet; the live picture pushes to control rooms.
    const sourceService = new SourceService({
      pool: db.pool,
      // SRT needs an ffmpeg built with libsrt; the other schemes every build reads.
      reads: (scheme) => scheme !== 'srt:' || readableProtocols(media.ffmpegPath).has('srt'),
      fleet: this.fleet,
      staleAfterMs: config.sources.staleAfterMs,
      offlineAfterMs: config.sources.offlineAfterMs,
      trackMinutes: config.sources.trackMinutes,
      now: this.options.now ?? Date.now,
      changed: (views) => {
        this.live?.publishSources(views);
        this.publisher?.sourcesChanged(views);
      },
      removed: (ids) => {
        this.live?.removeSources(ids);
        this.publisher?.sourcesRemoved(ids);
      },
      announce: (change) => this.events?.append('sources', change),
    });
    this.sources = sourceService;
    await sourceService.start();
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
        // PGlite serves one connection: a second writer would only wait for the first.
        writers: config.database.url ? config.ingest.writers : 1,
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
        telemetry: { area: config.sources.area, maxSpeedMps: config.sources.maxSpeedMps },
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
      publish: (change, announce) => {
        this.live?.publish(change);
        if (announce)
          this.events?.append('registry', {
            siteIds: [...new Set([...change.sites.map((x) => x.id), ...change.cameras.map((x) => x.siteId)])],
          });
      },
      // The leader's ingest asks the broker; a standby asks the leader.
      registered: (siteId) => {
        if (this.ingest) this.ingest.replayRetained(siteId);
        else this.events?.append('replay', { siteId });
      },
      now: this.options.now ?? Date.now,
    });
    this.registryInstance = registry;
    if (!clustered) pipeline.start();

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
    // Checks of mobile sources' streams, from the hub where their video is pulled (the leader's job).
    const sourceProber = new SourceProber({
      ffprobePath: media.ffprobePath,
      intervalMs: config.sources.probeIntervalMs,
      timeoutMs: config.sources.probeTimeoutMs,
      sampleMs: config.sources.probeSampleMs,
      maxConcurrent: config.sources.maxConcurrentProbes,
      now: this.options.now ?? Date.now,
      log: log.child({ part: 'sources' }),
      sources: () => sourceService.tracker.list(),
      target: (id) => sourceService.feedTarget(id),
      credentials,
      checked: (id, check) => sourceService.recordStreamCheck(id, check),
    });
    this.sourceProber = sourceProber;
    // Sources' tracks and stream checks past their retention period (the leader's job too).
    const sourceRetention = new SourceRetention({
      pool: db.pool,
      days: config.sources.trackRetentionDays,
      now: this.options.now ?? Date.now,
      log: log.child({ part: 'sources' }),
    });
    this.sourceRetention = sourceRetention;
    const feedEvent = (
      kind: 'feed.start' | 'feed.end' | 'feed.failed',
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
      ffmpegPath: media.ffmpegPath,
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
        failed: async (s, failure, role) => {
          await feedEvent('feed.failed', s, role, {
            endedAt: new Date(this.options.now?.() ?? Date.now()).toISOString(),
            why: 'failed',
            code: failure.code,
            message: failure.message,
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
    if (config.cluster.redisUrl) {
      // Fail fast, never queue: a request limit must not hold requests up while Redis is away.
      const redis = new Redis(config.cluster.redisUrl, {
        connectTimeout: 500,
        maxRetriesPerRequest: 1,
        enableOfflineQueue: false,
      });
      let warned = false;
      redis.on('error', (error: Error) => {
        if (warned) return;
        warned = true;
        log.warn(
          { err: error.message },
          'Redis for request limits unreachable: requests are served uncounted',
        );
      });
      redis.on('ready', () => {
        warned = false;
      });
      this.rateLimitRedis = redis;
    }
    const databaseReady = new CachedCheck(() => db.ping());
    // Cluster mode: login and enrolment limits count every process's failures.
    const sharedFailures = clustered
      ? (windowMs: number) => new SharedFailures(db.pool, windowMs, this.options.now ?? Date.now)
      : null;
    const federation = config.federation;
    if ((federation.shares.length > 0 || federation.links.length > 0) && !federation.hubId)
      throw new Error(
        "federation.shares and federation.links need federation.hubId (this hub's id among its peers)",
      );
    const readKey = (file: string, what: string) => {
      const key = readFileSync(file, 'utf8').trim();
      if (key.length < 16) throw new Error(`${what} key in ${file} is shorter than 16 characters`);
      return key;
    };
    if (federation.shares.length > 0)
      this.publisher = new FederationPublisher({
        hubId: federation.hubId as string,
        shares: federation.shares,
        heartbeatMs: federation.heartbeatMs,
        publish: () => {
          const ingest = this.ingest;
          return ingest ? (topic, payload) => ingest.publish(topic, payload) : null;
        },
        cameras: () => [...this.fleet.cameras.values(), ...(this.links?.cameras() ?? [])],
        // Sources cross one link, from the hub where they are registered (which searches their track).
        sources: () => sourceService.tracker.list(),
        log: log.child({ part: 'federation' }),
        now: this.options.now,
      });
    const peerKeys = new Map(
      federation.shares.map((s) => [s.peer, readKey(s.keyFile, `hub-to-hub (${s.peer})`)]),
    );
    const linkConfigs = federation.links.map((l) => ({
      hub: l.hub,
      apiUrl: l.apiUrl,
      key: readKey(l.keyFile, `hub-to-hub (${l.hub})`),
      ca: l.caFile ? readFileSync(l.caFile, 'utf8') : null,
      maxCameras: l.maxCameras,
      maxSources: l.maxSources,
      maxMessagesPerSecond: l.maxMessagesPerSecond,
    }));
    const linkedFeeds =
      linkConfigs.length > 0
        ? new LinkedFeeds({
            self: federation.hubId as string,
            peer: (hub) => linkConfigs.find((l) => l.hub === hub) ?? null,
            audit,
            log: log.child({ part: 'federation' }),
            now: this.options.now,
          })
        : null;
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
        notifications: () => notifier.stats,
      });
    const app = await buildApp({
      logger: log.child({ part: 'http' }),
      bodyLimitBytes: config.http.bodyLimitBytes,
      trustProxy: config.http.trustProxy,
      rateLimitRedis: this.rateLimitRedis ?? undefined,
      https: tls.https,
      auth,
      publicPages: {
        perMinute: config.http.publicPagesPerMinute,
        cacheSeconds: config.http.publicPagesCacheSeconds,
      },
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
        sourceTrackMinutes: config.sources.trackMinutes,
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
      sources: {
        service: sourceService,
        staleAfterMs: config.sources.staleAfterMs,
        linked: () => this.links?.sources() ?? [],
        linkedCandidates: (query) =>
          this.links
            ? searchLinkedSources(
                this.links,
                federation.hubId as string,
                query,
                log.child({ part: 'federation' }),
              )
            : Promise.resolve({ found: [], unavailable: [] }),
      },
      geometry: new GeometryRepository(
        db.pool,
        linkConfigs.length > 0 ? (id) => this.links?.camera(id)?.view.state ?? null : null,
      ),
      places: new Places(db.pool),
      feeds,
      feedSigner,
      registry,
      alerts: {
        openAlerts: () => alerts.openAlerts(),
        acknowledge: async (id, user, comment) => {
          const alert = await acknowledge(id, user, comment);
          if (alert) this.live?.publishAlerts([alert]);
          return alert;
        },
        history: alertHistory,
        rules: notificationRules,
        notifier,
        maxRulesPerUser: config.notifications.maxRulesPerUser,
      },
      geometryChanged: (cameraId, update) => {
        const view = this.fleet.applySurvey(cameraId, {
          lat: update.location.lat,
          lon: update.location.lon,
          bearingDeg: update.bearingDeg,
          hfovDeg: update.hfovDeg,
        });
        if (view) this.live?.publish({ cameras: [view], sites: [] });
        this.events?.append('survey', {
          cameraId,
          geometry: {
            lat: update.location.lat,
            lon: update.location.lon,
            bearingDeg: update.bearingDeg,
            hfovDeg: update.hfovDeg,
          } satisfies SurveyedGeometry,
        });
      },
      // A standby needs no broker (the leader ingests), but must hear the region's event log.
      readiness: async (): Promise<Record<string, boolean>> =>
        this.roleNow === 'standby'
          ? { database: await databaseReady.read(), events: this.events?.listening ?? false }
          : { database: await databaseReady.read(), mqtt: this.ingest?.connected ?? false },
      identity: clustered ? () => ({ role: this.roleNow, instance: this.instanceId }) : undefined,
      federation: {
        peer: {
          peerKeys,
          // Only the process that publishes to peers can say at which number its snapshot stands.
          snapshot: (peer) => (this.ingest ? (this.publisher?.snapshot(peer) ?? null) : null),
          refused: (peer, ip, why) =>
            log.warn({ peer: peer.slice(0, 64), ip, why }, 'refused a request from a peer hub'),
          sourceCandidates: async (peer, query) =>
            (await sourceService.candidates(query)).filter(
              (c) => this.publisher?.admitsSource(peer, { id: c.sourceId, unit: c.unit }) ?? false,
            ),
          openFeed: async (peer, asked) => {
            const user = { sub: `${asked.user}@${peer}`, role: 'controlroom' as const };
            // A mobile source this hub shares with the peer (its id stands in place of a camera's).
            const sourceView = sourceService.tracker.get(asked.cameraId);
            const source = sourceView ? sourceService.feedTarget(asked.cameraId) : null;
            if (source && sourceView && this.publisher?.admitsSource(peer, sourceView))
              return await feeds.open(source, user, asked.incidentRef, asked.reason);
            const camera = sourceView ? null : await fleetRepo.feedTarget(asked.cameraId, null);
            // A camera this hub passes on from another (a force hub sharing a regional camera with
            // another force): opened at its owner in turn, audited here too.
            const passedOn = camera ? null : this.links?.camera(asked.cameraId);
            if (passedOn && linkedFeeds && this.publisher?.admits(peer, passedOn.view))
              return linkedFeeds.open(
                { sub: user.sub, role: user.role, councilIds: [] },
                { hub: passedOn.hub, councilId: passedOn.view.councilId },
                asked,
              );
            // Only what the sharing policy gives that peer; anything else is refused and audited.
            if (!camera || !this.publisher?.admits(peer, camera)) {
              await audit.append({
                kind: 'feed.refused',
                actor: user.sub,
                role: user.role,
                councilId: camera?.councilId ?? passedOn?.view.councilId ?? null,
                cameraId: asked.cameraId,
                incidentRef: asked.incidentRef,
                reason: asked.reason,
                detail: {
                  status: 404,
                  code: 'NOT_SHARED',
                  peerHub: peer,
                  message: 'not shared with this hub',
                },
              });
              throw new HttpError(
                404,
                'NOT_SHARED',
                `camera ${asked.cameraId} is not shared with hub ${peer}`,
              );
            }
            try {
              return await feeds.open(camera, user, asked.incidentRef, asked.reason);
            } catch (error) {
              const e = error as { statusCode?: number; code?: string; message?: string };
              if (e.statusCode && e.statusCode < 500)
                await audit.append({
                  kind: 'feed.refused',
                  actor: user.sub,
                  role: user.role,
                  councilId: camera.councilId,
                  cameraId: camera.id,
                  incidentRef: asked.incidentRef,
                  reason: asked.reason,
                  detail: {
                    status: e.statusCode,
                    code: e.code ?? 'REFUSED',
                    peerHub: peer,
                    message: e.message,
                  },
                });
              throw error;
            }
          },
          closeFeed: async (peer, id) => {
            if (linkedFeeds?.get(id)?.user.endsWith(`@${peer}`)) return linkedFeeds.close(id);
            const session = feeds.get(id);
            if (!session?.user.endsWith(`@${peer}`)) return false;
            await feeds.close(id, 'closed');
            return true;
          },
        },
        links: () => this.links?.status() ?? [],
        cameras: () => this.links?.cameras() ?? [],
        linkedView: (id) => this.links?.camera(id)?.view ?? null,
        linkedCamera: (id, scope) => {
          const found = this.links?.camera(id);
          if (!found || (scope && !scope.includes(found.view.councilId))) return null;
          return { hub: found.hub, councilId: found.view.councilId };
        },
        linkedSource: (id) => {
          const found = this.links?.source(id);
          return found ? { hub: found.hub } : null;
        },
        linkedFeeds,
        endpoint: (hub) => linkConfigs.find((l) => l.hub === hub) ?? null,
      },
      ...(clustered
        ? {
            cluster: {
              instanceId: this.instanceId,
              feedsAt: () => (this.roleNow === 'standby' ? this.leaderUrl(db.pool) : Promise.resolve(null)),
              peerToken: createHmac('sha256', tokenSecret)
                .update('cctv-hub cluster peer')
                .digest('base64url'),
            },
          }
        : {}),
      sharedFailures: sharedFailures ?? undefined,
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
      enrolment: {
        codes: new EnrolmentCodes(db.pool),
        sites: registry.repository,
        register: (site, actor) => registry.register(site, actor),
        credentials: siteCredentials,
        audit,
        brokerUrlFor: (host) => {
          if (config.enrolment.brokerUrl) return config.enrolment.brokerUrl;
          if (!this.broker) return config.mqtt.url ?? '';
          const tlsUrl = this.broker.tlsUrl;
          const where = tlsUrl ? new URL(tlsUrl) : new URL(this.broker.url);
          where.hostname = host || where.hostname;
          return where.toString().replace(/\/$/, '');
        },
        credentialChanged: (siteId) => {
          const closed = this.broker?.disconnectSite(siteId) ?? 0;
          if (closed > 0) log.info({ siteId, closed }, 'closed MQTT connections on a replaced credential');
        },
        codeTtlMs: config.enrolment.codeTtlMs,
        attemptsPerAddress: config.enrolment.attemptsPerAddress,
        attemptWindowMs: config.enrolment.attemptWindowMs,
        sharedFailures: sharedFailures ?? undefined,
        now: this.options.now ?? Date.now,
      },
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
      acknowledgeAlert: async (id, user) => {
        const alert = await acknowledge(id, user, null);
        if (alert) {
          void audit
            .append({
              kind: 'alert.acknowledge',
              actor: user,
              role: null,
              councilId: alert.councilId,
              subject: { type: 'alert', id },
              detail: { kind: alert.kind, siteId: alert.siteId, openedAt: alert.openedAt, via: 'socket' },
            })
            .catch((error: Error) => log.error({ err: error.message }, 'could not audit an acknowledgement'));
        }
        return alert;
      },
      minPushIntervalMs: config.live.batchIntervalMs,
      maxQueuedPushes: config.live.maxQueuedPushes,
      alertAckTimeoutMs: config.alerts.ackTimeoutMs,
      verifyToken: (token) => auth.authenticate(token),
      log: log.child({ part: 'live' }),
      now: this.options.now,
      linkedCameras: () => this.links?.cameras() ?? [],
      sources: () => [...sourceService.tracker.list(), ...(this.links?.sources() ?? [])],
      observe: (change) => this.publisher?.changed(change.cameras),
    });
    this.live = live;
    // Sharing: only the process that holds the hub's broker session publishes (it numbers the messages).
    const startFederation = async () => {
      this.publisher?.start();
    };
    // Receiving: every process of a region holds the links itself (its own clean MQTT session and
    // snapshots), so every process's sockets and REST answers have the other hubs' cameras.
    const startLinks = async (mqtt: Parameters<typeof hubMqttClient>[0]) => {
      if (linkConfigs.length === 0) return;
      this.links = new FederationLinks({
        links: linkConfigs,
        linkTimeoutMs: federation.linkTimeoutMs,
        maxPayloadBytes: Math.max(config.mqtt.maxPayloadBytes, 1_048_576),
        pool: db.pool,
        client: () =>
          hubMqttClient(mqtt, {
            clientId: `${config.mqtt.clientId}-links-${this.instanceId}`.slice(0, 128),
            clean: true,
            reconnectPeriod: 1000,
          }),
        selfId: federation.hubId as string,
        isOwnCamera: (id) => this.fleet.cameras.has(id),
        changed: (cameras) => live.publish({ cameras, sites: [] }),
        removed: (ids) => {
          this.publisher?.removed(ids);
          live.resnapshot();
        },
        isOwnSource: (id) => sourceService.tracker.get(id) !== null,
        sourcesChanged: (views) => live.publishSources(views),
        sourcesRemoved: (ids) => live.removeSources(ids),
        trackMs: config.sources.trackMinutes * 60_000,
        log: log.child({ part: 'federation' }),
        now: this.options.now,
      });
      await this.links.start();
    };
    auth.onRevoked((match, what, here) => {
      live.disconnectWhere(match);
      if (here) this.events?.append('revoked', what);
    });
    if (config.live.pushBeforeCommit)
      pipeline.onAhead({
        ahead: (views) => live.publishAhead(views),
        settled: (views) => live.settleAhead(views),
      });
    pipeline.onChange((change) => {
      live.publish(change);
      if (change.sources.length > 0) sourceService.tracker.apply(change.sources);
      // Cameras this hub retired leave its peers too (their views reach peers through live.publish).
      if (change.removedCameras.length > 0) this.publisher?.removed(change.removedCameras);
      this.events?.append('fleet', change satisfies FleetEvent);
    });
    live.attach(app.server);
    this.processStats.start();
    const startAlertTimer = () => {
      this.alertTimer = setInterval(() => {
        const nowMs = this.options.now?.() ?? Date.now();
        const changes = alerts.evaluate(
          // Other hubs' cameras too: a control room here is told of them as of its own. Iterated in
          // place: an array of 50,000 views each second went to V8's large-object space, collected
          // only by full collections (tens of megabytes of the hub's memory).
          chain(this.fleet.cameras.values(), this.links?.cameras() ?? []),
          this.fleet.sites.values(),
          nowMs,
        );
        if (changes.length === 0) return;
        void recordAlerts(changes);
        live.publishAlerts(changes);
        this.events?.append('alerts', changes);
      }, config.alerts.evaluateIntervalMs);
    };
    if (!clustered) {
      startAlertTimer();
      notifier.start();
      sourceProber.start();
      sourceRetention.start();
    }
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
      onChange: (changes) => {
        live.publishCompliance(changes);
        this.events?.append('compliance', changes);
      },
      verifyAudit: () => audit.verify(),
    });
    const compliance = this.compliance;
    if (!clustered) compliance.start();

    // On the embedded broker the hub is its own internal user; on an external one, the configured user.
    const mqttPassword = this.broker
      ? this.internalMqttPassword
      : readSecret(config.mqtt.passwordFile, env.MQTT_PASSWORD);
    const hubMqtt = {
      url: this.mqttUrl,
      keepaliveS: config.mqtt.keepaliveS,
      username: this.broker ? HUB_INTERNAL_USERNAME : config.mqtt.username,
      password: mqttPassword,
      ca: tls.mqttCa,
      connectStream: this.broker?.hubConnector() ?? null,
    };
    await startLinks(hubMqtt);
    const startIngest = async () => {
      this.ingest = new MqttIngest(
        { ...hubMqtt, clientId: config.mqtt.clientId, log: log.child({ part: 'mqtt' }) },
        pipeline,
      );
      await this.ingest.start();
    };
    if (!clustered) {
      await startIngest();
      await startFederation();
      log.info({ url: this.url }, 'hub ready');
      this.compileSchemasLater(app);
      return;
    }

    // Cluster mode. Events from the other processes of the region: a standby applies the leader's
    // committed changes; every process applies registry edits, surveys and revocations made elsewhere.
    this.onEvents = async (events) => {
      for (const event of events) await this.applyEvent(event, { registry, alerts, live, auth });
    };
    this.onResync = async () => {
      await pipeline.exclusive(() => this.fleet.load(db.pool));
      if (this.roleNow === 'standby')
        alerts.takeOver(await alertHistory.open(), this.options.now?.() ?? Date.now(), 0);
      live.resnapshot();
    };
    this.events?.resume();
    const becomeLeader = async () => {
      this.roleNow = 'leader';
      // The previous leader committed everything it acknowledged: carry on from the database.
      await pipeline.exclusive(() => this.fleet.load(db.pool));
      alerts.takeOver(
        await alertHistory.open(),
        this.options.now?.() ?? Date.now(),
        Math.max(config.state.staleAfterMs, config.alerts.dampMs) + config.alerts.evaluateIntervalMs,
      );
      await db.pool.query(
        `INSERT INTO cluster_leader (lease, instance_id, url, since) VALUES ($1, $2, $3, now())
         ON CONFLICT (lease) DO UPDATE SET instance_id = excluded.instance_id, url = excluded.url, since = excluded.since`,
        [INGEST_LEASE, this.instanceId, config.cluster.advertiseUrl ?? this.url],
      );
      pipeline.start();
      compliance.start();
      notifier.start();
      sourceProber.start();
      sourceRetention.start();
      startAlertTimer();
      this.cleanupTimer = setInterval(() => {
        this.events
          ?.cleanUp()
          .catch((error: Error) =>
            log.warn({ err: error.message }, 'could not clean up the cluster event log'),
          );
        const window = Math.max(config.auth.loginWindowMs, config.enrolment.attemptWindowMs);
        new SharedFailures(db.pool, window, this.options.now ?? Date.now)
          .cleanUp()
          .catch((error: Error) => log.warn({ err: error.message }, 'could not clean up old login failures'));
      }, 60_000);
      // The broker kept the hub's persistent session while no process held it: what sites sent
      // meanwhile, and what the previous leader had not acknowledged, is delivered now.
      await startIngest();
      await startFederation();
      live.resnapshot();
      log.info(
        { url: this.url, instance: this.instanceId },
        'hub ready: leading the region (ingest and cluster jobs)',
      );
    };
    this.lease = new LeaderLease({
      databaseUrl: config.database.url as string,
      lease: INGEST_LEASE,
      retryMs: config.cluster.leaseRetryMs,
      checkMs: config.cluster.leaseCheckMs,
      log: log.child({ part: 'cluster' }),
      onAcquired: becomeLeader,
      onLost: (why) => {
        log.fatal({ why }, 'this instance lost the lead: stopping so it cannot ingest beside the new leader');
        if (this.options.onLeadershipLost) this.options.onLeadershipLost(why);
        else process.exit(75);
      },
    });
    await this.lease.start();
    if (this.roleNow === 'standby')
      log.info({ url: this.url, instance: this.instanceId }, 'hub ready: standby');
    this.compileSchemasLater(app);
  }

  /** Route schemas compile on first use (so a restarted hub serves sooner); the rest compile now. */
  private compileSchemasLater(app: NonNullable<Hub['app']>): void {
    const { log } = this.options;
    const started = performance.now();
    void app
      .compileSchemas((error) => log.error({ err: error.message }, 'a route schema does not compile'))
      .then((count) =>
        log.debug(
          { count, ms: Math.round(performance.now() - started) },
          'route schemas compiled after start',
        ),
      );
  }

  private leaderCache: { url: string | null; atMs: number } | null = null;

  /** Where the leading process is reached (from the database, cached for a second). */
  private async leaderUrl(pool: import('pg').Pool): Promise<string | null> {
    const now = performance.now();
    if (this.leaderCache && now - this.leaderCache.atMs < 1000) return this.leaderCache.url;
    const r = await pool.query<{ url: string; instance_id: string }>(
      'SELECT url, instance_id FROM cluster_leader WHERE lease = $1',
      [INGEST_LEASE],
    );
    const row = r.rows[0];
    const url = row && row.instance_id !== this.instanceId ? row.url : null;
    this.leaderCache = { url, atMs: now };
    return url;
  }

  private onEvents: (events: readonly ClusterEvent[]) => Promise<void> = async () => {};
  private onResync: () => Promise<void> = async () => {};

  /** One event of another process of the region (cluster mode). */
  private async applyEvent(
    event: ClusterEvent,
    parts: { registry: RegistryService; alerts: AlertEngine; live: LiveHub; auth: AuthService },
  ): Promise<void> {
    const { registry, alerts, live, auth } = parts;
    const leading = this.roleNow === 'leader';
    switch (event.kind) {
      case 'fleet': {
        // Only a leader writes states; a new leader has reloaded them from the database.
        if (leading) return;
        const change = event.body as FleetEvent;
        for (const id of change.removedCameras) this.fleet.cameras.delete(id);
        for (const camera of change.cameras) this.fleet.cameras.set(camera.id, camera);
        for (const site of change.sites) this.fleet.sites.set(site.id, site);
        live.publish(change);
        if (change.sources && change.sources.length > 0) this.sources?.tracker.apply(change.sources);
        return;
      }
      case 'sources': {
        const change = event.body as SourceEvent;
        if (change.sourceIds) await this.sources?.reload(change.sourceIds);
        if (change.duty) this.sources?.tracker.addDuty(change.duty);
        if (change.stream && !leading)
          this.sources?.tracker.setStream(change.stream.sourceId, change.stream.check);
        return;
      }
      case 'registry':
        await registry.refresh((event.body as { siteIds: string[] }).siteIds);
        return;
      case 'replay':
        if (leading) this.ingest?.replayRetained((event.body as { siteId: string }).siteId);
        return;
      case 'survey': {
        const { cameraId, geometry } = event.body as { cameraId: string; geometry: SurveyedGeometry };
        const view = this.fleet.applySurvey(cameraId, geometry);
        if (view) live.publish({ cameras: [view], sites: [] });
        return;
      }
      case 'alerts': {
        if (leading) return;
        const changes = event.body as Alert[];
        alerts.mirror(changes);
        live.publishAlerts(changes);
        for (const alert of changes) {
          if (!alert.acknowledgedBy) continue;
          const waiters = this.ackWaiters.get(alert.id);
          this.ackWaiters.delete(alert.id);
          for (const resolve of waiters ?? []) resolve(alert);
        }
        return;
      }
      case 'alert-ack': {
        if (!leading) return;
        const { id, user, comment } = event.body as { id: string; user: string; comment: string | null };
        const alert = await this.acknowledgeHere?.(id, user, comment);
        if (alert) live.publishAlerts([alert]);
        return;
      }
      case 'compliance':
        live.publishCompliance(event.body as { councilId: string }[]);
        return;
      case 'revoked':
        auth.applyRevocation(event.body as Revocation);
        return;
      default:
        this.options.log.warn({ kind: event.kind, seq: event.seq }, 'unknown cluster event kind; ignored');
    }
  }

  private askLeaderToAcknowledge(id: string, user: string, comment: string | null): Promise<Alert> {
    return new Promise((resolve, reject) => {
      const waiter = (alert: Alert) => {
        clearTimeout(timer);
        resolve(alert);
      };
      const timer = setTimeout(() => {
        const list = this.ackWaiters.get(id)?.filter((w) => w !== waiter) ?? [];
        if (list.length > 0) this.ackWaiters.set(id, list);
        else this.ackWaiters.delete(id);
        reject(
          new HttpError(
            503,
            'LEADER_UNAVAILABLE',
            'the hub process leading the region did not confirm the acknowledgement within 5 s: try again',
          ),
        );
      }, 5000);
      this.ackWaiters.set(id, [...(this.ackWaiters.get(id) ?? []), waiter]);
      this.events?.append('alert-ack', { id, user, comment });
    });
  }

  private acknowledgeHere:
    | ((id: string, user: string, comment: string | null) => Promise<Alert | null>)
    | null = null;

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
    this.publisher?.stop();
    await this.links?.stop();
    this.links = null;
    // Stop taking messages, drain in-flight batches, then close the rest.
    await this.ingest
      ?.stop()
      .catch((error: Error) =>
        this.options.log.warn({ err: error.message }, 'mqtt ingest did not close cleanly'),
      );
    await this.pipelineInstance?.stop();
    if (this.cleanupTimer) clearInterval(this.cleanupTimer);
    this.cleanupTimer = null;
    // Everything committed is in the event log before the lease goes to a standby.
    await this.events?.flushed();
    await this.lease?.stop();
    this.lease = null;
    // Feeds end (and are audited) while the database is still there.
    await this.feeds?.stop();
    await this.compliance?.stop();
    this.processStats.stop();
    if (this.alertTimer) clearInterval(this.alertTimer);
    this.alertTimer = null;
    await this.alertHistory?.flushed();
    await this.notifier?.stop();
    this.sourceProber?.stop();
    await this.sourceRetention?.stop();
    this.sources?.stop();
    await this.live?.stop();
    await this.app?.close();
    // Stopped after the server has closed, so requests in flight still get their reports.
    await this.reports?.stop();
    await this.broker?.stop();
    await this.events?.stop();
    this.events = null;
    this.rateLimitRedis?.disconnect();
    this.rateLimitRedis = null;
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

/** The items of each iterable in turn, without copying them into an array. */
function* chain<T>(...parts: Iterable<T>[]): Generator<T> {
  for (const part of parts) yield* part;
}
