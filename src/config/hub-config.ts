import { type Static, type TProperties, type TSchema, Type } from '@sinclair/typebox';

/** An optional setting: null unless set. */
export const Optional = <T extends TSchema>(schema: T) =>
  Type.Union([schema, Type.Null()], { default: null, description: schema.description });

/** A settings group: closed (unknown keys are errors) and filled from its members' defaults. */
export const Group = <P extends TProperties>(properties: P, description: string) =>
  Type.Object(properties, { additionalProperties: false, default: {}, description });

const Port = (fallback: number, description: string) =>
  Type.Integer({ minimum: 0, maximum: 65535, default: fallback, description });

export const HubConfig = Type.Object(
  {
    http: Group(
      {
        host: Type.String({
          default: '127.0.0.1',
          description: 'Address the REST API, sockets and dashboard bind to',
        }),
        port: Port(8080, 'HTTP port (env PORT)'),
        bodyLimitBytes: Type.Integer({
          minimum: 1024,
          default: 1_048_576,
          description: 'Largest accepted request body',
        }),
        trustProxy: Type.Array(Type.String({ minLength: 1, maxLength: 64 }), {
          default: [],
          maxItems: 32,
          description:
            'Addresses or CIDR ranges of load balancers in front of the hub (e.g. 10.0.0.5 or 10.0.0.0/24): from them, the client address is read from X-Forwarded-For, so per-address limits and audit entries name the client, not the balancer. Empty: no proxy is trusted',
        }),
        rateLimitPerMinute: Type.Integer({
          minimum: 10,
          default: 1200,
          description:
            'Requests per minute from one client address (REST, feeds and dashboard); more get 429',
        }),
        publicPagesPerMinute: Type.Integer({
          minimum: 1,
          default: 60,
          description:
            "Requests per minute from one client address to councils' public pages and their downloads (no login); more get 429",
        }),
        publicPagesCacheSeconds: Type.Integer({
          minimum: 0,
          maximum: 86_400,
          default: 300,
          description:
            "How long a council's public page figures are reused before they are computed again (and how long browsers may cache the page)",
        }),
        tls: Group(
          {
            certFile: Optional(
              Type.String({
                description:
                  'PEM certificate chain (server certificate first) for HTTPS; with keyFile set, REST, socket.io and the dashboard are served over HTTPS only (set both or neither)',
              }),
            ),
            keyFile: Optional(
              Type.String({
                description: 'PEM private key of http.tls.certFile (unencrypted; keep it 0600)',
              }),
            ),
          },
          'HTTPS',
        ),
      },
      'REST API, socket.io and dashboard',
    ),
    mqtt: Group(
      {
        url: Optional(
          Type.String({
            description:
              'External broker, e.g. mqtt://127.0.0.1:1883 (env MQTT_URL); null runs the embedded broker',
          }),
        ),
        host: Type.String({ default: '127.0.0.1', description: 'Embedded broker bind address' }),
        port: Port(1883, 'Embedded broker port (env MQTT_PORT)'),
        clientId: Type.String({
          default: 'cctv-hub',
          minLength: 1,
          maxLength: 64,
          description: 'Hub client id',
        }),
        keepaliveS: Type.Integer({
          minimum: 2,
          maximum: 3600,
          default: 60,
          description:
            'Seconds of silence after which the hub pings the broker; with neither a PINGRESP nor a message read within 1.5 times this, it reconnects (the broker drops the hub after 1.5 times this without a packet from it)',
        }),
        username: Optional(Type.String({ description: 'External broker user name' })),
        passwordFile: Optional(
          Type.String({ description: 'File holding the external broker password (or env MQTT_PASSWORD)' }),
        ),
        siteAuth: Type.Union([Type.Literal('enforce'), Type.Literal('off')], {
          default: 'enforce',
          description:
            "Embedded broker: 'enforce' admits a site only with its hub-issued credential (user name = site id), lets it publish only under its own topics and subscribe only to its own requests; 'off' admits any client (for tests only). An external broker enforces its own generated configuration (npm run mqtt:mosquitto-config)",
        }),
        maxPayloadBytes: Type.Integer({
          minimum: 256,
          default: 65_536,
          description:
            'Larger messages are dead-lettered (TOO_LARGE); it is also the most a site may retain in one message',
        }),
        maxPacketBytes: Type.Integer({
          minimum: 2048,
          maximum: 268_435_455,
          default: 262_144,
          description:
            'Largest MQTT packet (header, topic and payload) the embedded broker reads, and max_packet_size of the generated Mosquitto config; a larger one closes the connection before it is buffered. At least maxPayloadBytes + 1024, so a message just over maxPayloadBytes still reaches the hub and is dead-lettered with its site',
        }),
        retainedMessagesPerSite: Type.Integer({
          minimum: 1,
          maximum: 1_000,
          default: 2,
          description:
            "Retained messages one site may keep on the embedded broker (a site retains only its state and inventory); a retained publish beyond it is refused and counted in the ingest stats' mqttLimits",
        }),
        retainedBytesPerSite: Type.Integer({
          minimum: 1_024,
          default: 131_072,
          description:
            'Payload bytes of all retained messages of one site on the embedded broker; a retained publish that would pass it is refused',
        }),
        caFile: Optional(
          Type.String({
            description:
              "External broker at an mqtts:// url: PEM CA certificate(s) that signed the broker's certificate, trusted instead of the system's; the certificate and host name are always verified",
          }),
        ),
        tls: Group(
          {
            certFile: Optional(
              Type.String({
                description:
                  'Embedded broker: PEM certificate chain (server certificate first) for an MQTT over TLS listener (set both or neither)',
              }),
            ),
            keyFile: Optional(
              Type.String({
                description: 'PEM private key of mqtt.tls.certFile (unencrypted; keep it 0600)',
              }),
            ),
            host: Optional(
              Type.String({ description: 'Address the TLS listener binds to; null: the same as mqtt.host' }),
            ),
            port: Port(8883, 'TLS listener port'),
            only: Type.Boolean({
              default: false,
              description:
                'No plain listener on mqtt.port: sites must connect over TLS (the demo fleet cannot run; the hub reaches its own broker in process either way)',
            }),
          },
          'Embedded broker over TLS (mqtts://); site authentication is the same as on the plain listener',
        ),
      },
      'MQTT ingest',
    ),
    database: Group(
      {
        url: Optional(
          Type.String({
            description: 'PostgreSQL with PostGIS (env DATABASE_URL); null runs embedded PGlite',
          }),
        ),
        dataDir: Type.String({
          default: './data/pglite',
          description: 'Embedded database directory',
        }),
        poolSize: Type.Integer({
          minimum: 1,
          maximum: 100,
          default: 4,
          description: 'Connections in the pool (PostgreSQL; the embedded database uses one)',
        }),
      },
      'Database',
    ),
    ingest: Group(
      {
        batchSize: Type.Integer({
          minimum: 1,
          maximum: 50_000,
          default: 5000,
          description:
            'Most messages written in one batch (one transaction); batches are smaller unless a backlog is waiting',
        }),
        flushIntervalMs: Type.Integer({
          minimum: 1,
          maximum: 60_000,
          default: 10,
          description:
            'How long an idle hub gathers messages before writing them; under load each batch takes what arrived while the previous one was written (up to batchSize)',
        }),
        writers: Type.Integer({
          minimum: 1,
          maximum: 8,
          default: 2,
          description:
            "Batches written at once on PostgreSQL, each on its own connection, with each site's messages always in the same one (so a camera's stay in order); the embedded database writes one at a time. Keep database.poolSize above it: the API and jobs share the pool",
        }),
        maxQueued: Type.Integer({
          minimum: 1,
          maximum: 10_000_000,
          default: 20_000,
          description:
            'Messages received but not yet written that the hub holds; beyond this it stops reading from the broker, which keeps the rest queued in the session',
        }),
        deadLetterMaxBytes: Type.Integer({
          minimum: 0,
          default: 16_384,
          description: 'Raw bytes kept per dead-lettered message',
        }),
      },
      'Ingest',
    ),
    state: Group(
      {
        staleAfterMs: Type.Integer({
          minimum: 1000,
          default: 60_000,
          description: 'A camera with no health sample for this long turns unknown',
        }),
        heartbeatWriteMs: Type.Integer({
          minimum: 0,
          maximum: 600_000,
          default: 5_000,
          description:
            "How often a camera row's last-seen time and last health sample are rewritten while its state stands (state changes are written at once, every sample is kept in health_samples, live views read memory); after a crash the row may be this much behind",
        }),
        sweepIntervalMs: Type.Integer({
          minimum: 100,
          default: 5_000,
          description: 'How often staleness is checked',
        }),
        agentClockMaxOffsetMs: Type.Integer({
          minimum: 100,
          default: 2_000,
          description:
            "A site whose agent clock differs from the hub's by more than this is flagged clock-suspect, and its cameras' clock offsets are not evaluated",
        }),
        agentClockWindowMs: Type.Integer({
          minimum: 10_000,
          default: 900_000,
          description:
            "The agent clock offset is the smallest receive delay of the site's messages over this window (outbox replays only ever add delay); longer than the agent's 5-minute site state refresh",
        }),
      },
      'Camera state',
    ),
    registry: Group(
      {
        replayHorizonMs: Type.Integer({
          minimum: 3_600_000,
          maximum: 366 * 86_400_000,
          default: 31 * 86_400_000,
          description:
            "Oldest observation a site may still deliver (an outbox replay after an outage); older ones are refused (OBSERVED_TOO_OLD). Match it to what agents' outboxes hold: the default 768 MB outbox holds about 1.8 days of a 64-camera site and about 29 days of a 4-camera one",
        }),
        futureToleranceMs: Type.Integer({
          minimum: 0,
          maximum: 86_400_000,
          default: 300_000,
          description:
            "How far ahead of the hub's clock an observation may be; further ahead is a broken agent clock and is refused (OBSERVED_IN_FUTURE)",
        }),
        maxCamerasPerSite: Type.Integer({
          minimum: 1,
          maximum: 2_000,
          default: 500,
          description:
            'Most cameras one site may list in its inventory (a site registration may set its own); a larger inventory is refused (QUOTA_CAMERAS)',
        }),
        messagesPerSecondPerSite: Type.Integer({
          minimum: 1,
          maximum: 1_000_000,
          default: 500,
          description:
            'Messages a site may send per second, averaged over burstSeconds (an outbox replay after an outage comes in bursts); beyond it messages are refused (QUOTA_RATE), counted and alerted',
        }),
        burstSeconds: Type.Integer({
          minimum: 1,
          maximum: 3_600,
          default: 30,
          description: 'Window over which messagesPerSecondPerSite is averaged',
        }),
        refusalAlertMs: Type.Integer({
          minimum: 60_000,
          default: 3_600_000,
          description: "How long a site's refused-message alert stays open after its last refusal",
        }),
      },
      'Site registry and what sites may assert',
    ),
    live: Group(
      {
        batchIntervalMs: Type.Integer({
          minimum: 0,
          maximum: 10_000,
          default: 20,
          description:
            'Average least time between two socket pushes: changes are pushed as soon as they are known (see pushBeforeCommit), up to three back to back after a quiet spell; under a steady stream of changes one push goes per interval, carrying what arrived meanwhile (coalesced per camera)',
        }),
        pushBeforeCommit: Type.Boolean({
          default: true,
          description:
            "Push a camera's state change to screens as soon as its health message is decoded and checked, before its ingest batch commits; the stored view follows once the batch is done (the same view sends nothing more, a message that could not be stored puts the screen back). Off: screens change only after the commit. Evidence, peer hubs and other cluster processes always use stored state only",
        }),
        maxQueuedPushes: Type.Integer({
          minimum: 1,
          default: 1024,
          description:
            'A live socket with more pushes than this queued that its client has not taken is closed as too slow (the client reconnects and gets a fresh snapshot), so a stalled client cannot hold the hub memory; at the fastest push rate 1,024 pushes are about 20 s, time for a large snapshot to cross a slow link',
        }),
      },
      'Live push',
    ),
    alerts: Group(
      {
        ackTimeoutMs: Type.Integer({
          minimum: 100,
          default: 5000,
          description:
            'A control-room socket that has not acknowledged an alert message this long is sent a fresh list of open alerts; after three lists with no acknowledgement it is disconnected',
        }),
        dampMs: Type.Integer({
          minimum: 0,
          default: 60_000,
          description: 'A camera must stay down (or back up) this long before its alert opens (or clears)',
        }),
        groupShare: Type.Number({
          minimum: 0,
          maximum: 1,
          default: 0.5,
          description: "This share of a site's cameras down together (and at least 2) is one site alert",
        }),
        flapCount: Type.Integer({
          minimum: 2,
          default: 4,
          description: 'Changes into or out of down within flapWindowMs that make a camera flapping',
        }),
        flapWindowMs: Type.Integer({
          minimum: 10_000,
          default: 600_000,
          description: 'Window for flapCount',
        }),
        evaluateIntervalMs: Type.Integer({
          minimum: 100,
          maximum: 60_000,
          default: 1000,
          description: 'How often states are turned into alerts',
        }),
      },
      'Control-room alerts (site incidents)',
    ),
    auth: Group(
      {
        tokenTtlMs: Type.Integer({
          minimum: 60_000,
          default: 43_200_000,
          description:
            'Login session lifetime (the token expires with it; sign-out and operators end it sooner)',
        }),
        loginAttempts: Type.Integer({
          minimum: 1,
          default: 10,
          description:
            'Failed logins allowed per client address and user name within loginWindowMs; then every attempt gets 429 until the oldest failure is out of the window (successful logins never count)',
        }),
        loginAttemptsPerAddress: Type.Integer({
          minimum: 1,
          default: 50,
          description: 'Failed logins allowed per client address (any user names) within loginWindowMs',
        }),
        loginWindowMs: Type.Integer({
          minimum: 1000,
          default: 900_000,
          description: 'Window for the login limits',
        }),
        secretFile: Optional(
          Type.String({
            description:
              'File holding the token signing secret (or env CCTV_AUTH_SECRET); when unset one is generated and kept beside the embedded database directory',
          }),
        ),
      },
      'Authentication',
    ),
    compliance: Group(
      {
        packsDir: Type.String({
          default: './config/certification',
          description: 'Directory of certification rule packs (*.yaml); a broken pack stops start-up',
        }),
        defaultCode: Type.String({
          default: 'public-space-baseline',
          description: 'Code applied where no council, site or camera assignment says otherwise',
        }),
        evaluateIntervalMs: Type.Integer({
          minimum: 1000,
          default: 60_000,
          description: 'How often every camera is evaluated against its code',
        }),
      },
      'Certification compliance',
    ),
    reports: Group(
      {
        workers: Type.Integer({
          minimum: 0,
          maximum: 64,
          default: 0,
          description:
            "Worker threads that build PDF evidence packs and CSV exports, off the event loop that answers health checks, the API and live pushes; 0 uses one fewer than the machine's cores (at least one)",
        }),
        queueLength: Type.Integer({
          minimum: 0,
          maximum: 1000,
          default: 32,
          description:
            'Reports that may wait (reading their data or for a worker) beyond those being built; one more is answered 503 REPORTS_BUSY with Retry-After',
        }),
        buildTimeoutMs: Type.Integer({
          minimum: 1000,
          maximum: 3_600_000,
          default: 120_000,
          description:
            'A report build running longer is stopped, its worker replaced, and the request answered 503 REPORT_TIMEOUT',
        }),
        workerHeapMb: Type.Integer({
          minimum: 32,
          maximum: 4096,
          default: 256,
          description:
            'Heap limit of each report worker: a report that outgrows it ends its worker and fails, never the hub',
        }),
      },
      'Reports and exports',
    ),
    feeds: Group(
      {
        dir: Type.String({
          default: './data/feeds',
          description: 'Working directory for live HLS segments (emptied as feeds stop)',
        }),
        maxPerSite: Type.Integer({
          minimum: 1,
          maximum: 16,
          default: 2,
          description:
            'Cameras of one site pulled at once (town links are thin); viewers of one camera share its pull',
        }),
        maxTotal: Type.Integer({
          minimum: 1,
          maximum: 256,
          default: 16,
          description: 'Cameras pulled at once by the hub',
        }),
        idleTimeoutMs: Type.Integer({
          minimum: 2000,
          default: 30_000,
          description: 'A feed session nobody fetched from for this long is closed and its pull stopped',
        }),
        sessionTtlMs: Type.Integer({
          minimum: 10_000,
          maximum: 86_400_000,
          default: 900_000,
          description: 'Lifetime of a feed session and of its signed URL',
        }),
        startTimeoutMs: Type.Integer({
          minimum: 1000,
          maximum: 60_000,
          default: 10_000,
          description: 'How long opening a feed waits for the first video before reporting the camera failed',
        }),
        credentialsFile: Optional(
          Type.String({
            description:
              'YAML file of view-only RTSP credentials by camera or site id ({cameras: {id: {username, password}}, sites: {...}}); camera admin credentials stay at the edge',
          }),
        ),
      },
      'Live feeds',
    ),
    dashboard: Group(
      {
        tileUrl: Optional(
          Type.String({
            description:
              'Optional map tile server URL template ({z}/{x}/{y}); the built-in outline basemap works offline',
          }),
        ),
        tileAttribution: Type.String({ default: '', description: 'Attribution shown for the tile server' }),
      },
      'Dashboard',
    ),
    demo: Group(
      {
        enabled: Type.Boolean({
          default: true,
          description: 'Run simulated town sites and seed demo users (env DEMO=0 turns off)',
        }),
        password: Type.String({
          default: 'demo',
          minLength: 1,
          description: 'Password of the demo users (env CCTV_DEMO_PASSWORD)',
        }),
        towns: Optional(Type.Array(Type.String(), { description: 'Town names to simulate; null for all' })),
        maxCamerasPerSite: Type.Integer({
          minimum: 1,
          maximum: 500,
          default: 10,
          description: 'Cap on simulated cameras per town',
        }),
        pollIntervalMs: Type.Integer({
          minimum: 1000,
          default: 15_000,
          description: 'Demo agents poll cameras this often',
        }),
        probeIntervalMs: Type.Integer({
          minimum: 1000,
          default: 120_000,
          description: 'Demo agents probe streams this often',
        }),
        faultIntervalMs: Type.Integer({
          minimum: 1000,
          default: 20_000,
          description: 'How often demo faults come and go',
        }),
      },
      'Demo fleet',
    ),
    enrolment: Group(
      {
        codeTtlMs: Type.Integer({
          minimum: 600_000,
          maximum: 604_800_000,
          default: 86_400_000,
          description: 'How long an enrolment code stays usable unless the operator says otherwise (a day)',
        }),
        attemptsPerAddress: Type.Integer({
          minimum: 1,
          default: 10,
          description:
            'Enrolment attempts one address may make per attemptWindowMs (successes are given back)',
        }),
        attemptWindowMs: Type.Integer({
          minimum: 1000,
          default: 900_000,
          description: 'Window for attemptsPerAddress',
        }),
        brokerUrl: Type.String({
          default: '',
          maxLength: 400,
          description:
            'The broker address given to enrolling site boxes (as sites reach it, e.g. mqtts://hub.example.org:8883); empty: the embedded broker on the host name the box used to reach the hub, or mqtt.url',
        }),
      },
      'Site enrolment with one-time codes',
    ),
    notifications: Group(
      {
        groupWaitMs: Type.Integer({
          minimum: 0,
          maximum: 600_000,
          default: 30_000,
          description:
            "A site's alert changes are held this long from the first one and then sent together, one message per rule and channel: a town losing 20 cameras one after another is one message, and an alert that opens and clears within the wait is never sent",
        }),
        tickMs: Type.Integer({
          minimum: 50,
          maximum: 60_000,
          default: 1000,
          description: 'How often the notifier looks for groups to send, digests due and deliveries due',
        }),
        maxAttempts: Type.Integer({
          minimum: 1,
          maximum: 50,
          default: 8,
          description: 'Delivery attempts before a message is dead (shown in the dashboard, retried by hand)',
        }),
        retryBaseMs: Type.Integer({
          minimum: 10,
          default: 30_000,
          description: 'Wait after the first failed attempt; doubled after each further failure',
        }),
        retryMaxMs: Type.Integer({
          minimum: 10,
          default: 3_600_000,
          description: 'Longest wait between two attempts',
        }),
        deliveryTimeoutMs: Type.Integer({
          minimum: 100,
          maximum: 120_000,
          default: 10_000,
          description: 'A webhook or SMTP exchange taking longer than this is a failed attempt',
        }),
        maxRulesPerUser: Type.Integer({
          minimum: 1,
          maximum: 500,
          default: 20,
          description: 'Rules one user may own',
        }),
        mqttAlerts: Type.Boolean({
          default: true,
          description:
            'Publish every grouped alert message to cctv/v1/alerts/{councilId}/{siteId} on the broker (QoS 1, not retained) for Node-RED or Home Assistant',
        }),
        mqttReaderPasswordFile: Optional(
          Type.String({
            description:
              'Embedded broker: file holding the password of the user _alerts, which may read cctv/v1/alerts/# and nothing else (or env CCTV_ALERTS_MQTT_PASSWORD); unset: no such user',
          }),
        ),
        dashboardUrl: Type.String({
          default: '',
          maxLength: 400,
          description: 'Address of the dashboard as users reach it, for links in e-mails and webhooks',
        }),
        smtp: Group(
          {
            host: Type.String({
              default: '',
              description: 'SMTP relay for alert e-mail; empty: e-mail deliveries fail with a clear error',
            }),
            port: Port(587, 'SMTP port'),
            secure: Type.Boolean({
              default: false,
              description: 'TLS from the start (port 465); otherwise STARTTLS when offered',
            }),
            requireTls: Type.Boolean({
              default: false,
              description: 'Refuse to send unless STARTTLS succeeds',
            }),
            user: Type.String({ default: '', description: 'SMTP user; empty: no authentication' }),
            passwordFile: Optional(
              Type.String({ description: 'File holding the SMTP password (or env CCTV_SMTP_PASSWORD)' }),
            ),
            from: Type.String({
              default: 'CCTV hub <cctv-hub@localhost>',
              maxLength: 200,
              description: 'From address of alert e-mail',
            }),
          },
          'SMTP relay for e-mail notifications',
        ),
      },
      'Notifications: e-mail, webhooks and the MQTT alert topic',
    ),
    metrics: Group(
      {
        tokenFile: Optional(
          Type.String({
            description:
              'File holding the bearer token Prometheus sends to GET /metrics (or env CCTV_METRICS_TOKEN); unset: /metrics answers 404',
          }),
        ),
      },
      'Prometheus metrics',
    ),
    cluster: Group(
      {
        enabled: Type.Boolean({
          default: false,
          description:
            'Run as one of several hub processes of a region on one PostgreSQL and one broker (env CCTV_CLUSTER): one holds the ingest lease and runs the cluster jobs, every one serves REST, the dashboard and live sockets. Needs database.url and mqtt.url',
        }),
        instanceId: Optional(
          Type.String({
            minLength: 1,
            maxLength: 64,
            pattern: '^[A-Za-z0-9._-]+$',
            description:
              'This process in logs, /healthz and the event log; default: host name and process id',
          }),
        ),
        advertiseUrl: Optional(
          Type.String({
            pattern: '^https?://',
            description:
              "How the region's other hub processes reach this one's HTTP port (e.g. http://10.0.0.11:8080); default: http.host and http.port as bound. The leading process serves every live feed, and the others forward feed requests to it here",
          }),
        ),
        redisUrl: Optional(
          Type.String({
            pattern: '^rediss?://',
            description:
              'Redis that the per-address request limit (http.rateLimitPerMinute) is counted in, so it holds across the processes of a region (env REDIS_URL); unset: each process counts its own. If Redis is unreachable, requests are served uncounted (logged)',
          }),
        ),
        leaseRetryMs: Type.Integer({
          minimum: 100,
          maximum: 60_000,
          default: 1000,
          description: 'How often a standby asks for the ingest lease (a dead leader frees it at once)',
        }),
        leaseCheckMs: Type.Integer({
          minimum: 100,
          maximum: 60_000,
          default: 1000,
          description:
            'How often the leader checks the connection that holds its lease; a failed check ends the process (its supervisor restarts it as a standby)',
        }),
        eventRetentionMs: Type.Integer({
          minimum: 60_000,
          default: 600_000,
          description:
            'How long the cluster event log keeps events; an instance further behind reloads its state',
        }),
      },
      'Several hub processes serving one region (high availability)',
    ),
    sources: Group(
      {
        area: Type.Tuple(
          [
            Type.Number({ minimum: -180, maximum: 180 }),
            Type.Number({ minimum: -90, maximum: 90 }),
            Type.Number({ minimum: -180, maximum: 180 }),
            Type.Number({ minimum: -90, maximum: 90 }),
          ],
          {
            default: [-8.7, 49.8, 1.8, 60.9],
            description:
              'Where mobile sources may be, [west, south, east, north] in degrees (default: Great Britain and Northern Ireland); a fix outside is refused (POSITION_OUT_OF_AREA)',
          },
        ),
        maxSpeedMps: Type.Object(
          {
            drone: Type.Number({ exclusiveMinimum: 0, maximum: 300, default: 50 }),
            bodyworn: Type.Number({ exclusiveMinimum: 0, maximum: 300, default: 70 }),
          },
          {
            additionalProperties: false,
            default: {},
            description:
              'Fastest each kind of source can move (m/s; a body-worn camera may be in a car): a jump between fixes faster than this is refused (IMPOSSIBLE_SPEED)',
          },
        ),
        staleAfterMs: Type.Integer({
          minimum: 1000,
          maximum: 600_000,
          default: 10_000,
          description:
            "A source whose telemetry is this late turns unknown; on duty, a gap between fixes longer than this counts against the link's uptime",
        }),
        offlineAfterMs: Type.Integer({
          minimum: 2000,
          maximum: 86_400_000,
          default: 120_000,
          description: 'A source silent this long is offline (landed, switched off or out of range)',
        }),
        trackMinutes: Type.Integer({
          minimum: 1,
          maximum: 120,
          default: 10,
          description: 'Minutes of track drawn behind a moving source on the map',
        }),
        trackRetentionDays: Type.Integer({
          minimum: 1,
          maximum: 3650,
          default: 31,
          description:
            "Days a source's stored fixes (its track and footprints) and stream checks are kept; older ones are deleted every hour. Incident searches, coverage exports and uptime reach back no further",
        }),
        probeIntervalMs: Type.Integer({
          minimum: 0,
          maximum: 3_600_000,
          default: 60_000,
          description:
            "How often the hub checks a source's stream while it is on duty or its telemetry is live (ffprobe, as the agent checks cameras); 0: never",
        }),
        probeTimeoutMs: Type.Integer({
          minimum: 1000,
          maximum: 60_000,
          default: 10_000,
          description: 'A stream check that has seen no video in this time fails (no_video)',
        }),
        probeSampleMs: Type.Integer({
          minimum: 250,
          maximum: 10_000,
          default: 2_000,
          description: 'How much of the stream a check reads to measure frame rate and bitrate',
        }),
        maxConcurrentProbes: Type.Integer({
          minimum: 1,
          maximum: 16,
          default: 2,
          description: 'Stream checks of sources running at once (each is one ffprobe process)',
        }),
      },
      'Mobile sources (drones, body-worn cameras): where they may be, how fast they can move, when their link is late',
    ),
    federation: Group(
      {
        hubId: Optional(
          Type.String({
            pattern: '^[a-z0-9][a-z0-9-]{0,62}$',
            description:
              "This hub's id in a network of hubs (e.g. west-cornwall); needed when shares or links are set. Peers know it from their own configuration, never from this hub's messages",
          }),
        ),
        shares: Type.Array(
          Type.Object(
            {
              peer: Type.String({
                pattern: '^[a-z0-9][a-z0-9-]{0,62}$',
                description: 'The hub that receives (e.g. the force hub)',
              }),
              keyFile: Type.String({
                minLength: 1,
                description:
                  'File holding the hub-to-hub key the peer presents (Authorization: Bearer) to read this hub; 0600',
              }),
              councils: Type.Optional(
                Type.Array(Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$' }), {
                  maxItems: 1000,
                  description: 'Only cameras of these councils; omitted: every council',
                }),
              ),
              sites: Type.Optional(
                Type.Array(Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$' }), {
                  maxItems: 10_000,
                  description: 'Only cameras of these sites; omitted: every site',
                }),
              ),
              cameras: Type.Optional(
                Type.Array(Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$' }), {
                  maxItems: 100_000,
                  description:
                    'Only these cameras (a cross-force agreement lists them); omitted: every camera the other lists allow',
                }),
              ),
              sources: Type.Optional(
                Type.Object(
                  {
                    units: Type.Optional(
                      Type.Array(Type.String({ minLength: 1, maxLength: 120 }), {
                        maxItems: 100,
                        description:
                          'Only sources of these police units (as registered); omitted: every unit',
                      }),
                    ),
                    ids: Type.Optional(
                      Type.Array(Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$' }), {
                        maxItems: 1000,
                        description: 'Only these sources; omitted: every source the unit list allows',
                      }),
                    ),
                  },
                  {
                    additionalProperties: false,
                    description:
                      "Mobile sources (drones, body-worn cameras) the peer's control rooms may see, search and view: an agreement between forces. Omitted: none ({} shares every source)",
                  },
                ),
              ),
              bridge: Type.Optional(
                Type.Object(
                  {
                    address: Type.String({
                      pattern: '^[A-Za-z0-9.:\\[\\]-]+:[0-9]{1,5}$',
                      description: "The peer's broker, MQTT over TLS (host:port)",
                    }),
                    caFile: Type.String({
                      minLength: 1,
                      description: "CA (PEM) of the peer broker's certificate",
                    }),
                    passwordFile: Type.String({
                      minLength: 1,
                      description: "This hub's bridge password on the peer broker (user bridge.<hubId>)",
                    }),
                  },
                  {
                    additionalProperties: false,
                    description:
                      "The Mosquitto bridge to the peer, written by npm run mqtt:mosquitto-config into this broker's configuration",
                  },
                ),
              ),
            },
            { additionalProperties: false },
          ),
          {
            default: [],
            maxItems: 64,
            description:
              "Sharing policy: what each peer hub may see of this hub (status and geometry of cameras, no council data). Each share is published to cctv/federation/out/<peer>/ on this hub's broker, which a Mosquitto bridge carries to the peer (npm run mqtt:mosquitto-config -- --bridge)",
          },
        ),
        links: Type.Array(
          Type.Object(
            {
              hub: Type.String({
                pattern: '^[a-z0-9][a-z0-9-]{0,62}$',
                description: 'The hub whose cameras this one receives (e.g. a regional hub)',
              }),
              apiUrl: Type.String({
                pattern: '^https?://',
                description: "That hub's REST address, for full snapshots after a gap",
              }),
              keyFile: Type.String({
                minLength: 1,
                description: 'File holding the hub-to-hub key for that hub',
              }),
              caFile: Type.Optional(
                Type.String({ description: "CA (PEM) to verify that hub's HTTPS certificate" }),
              ),
              bridgePasswordFile: Type.Optional(
                Type.String({
                  minLength: 1,
                  description:
                    "The password that hub's bridge uses on this hub's broker (user bridge.<hub>); npm run mqtt:mosquitto-config adds the user, allowed to write cctv/federation/in/<hub>/ only",
                }),
              ),
              maxCameras: Type.Integer({
                minimum: 1,
                maximum: 500_000,
                default: 20_000,
                description:
                  'Most cameras taken from that hub; more are refused (TOO_MANY_CAMERAS), so a broken or hostile hub cannot fill this one',
              }),
              maxSources: Type.Integer({
                minimum: 0,
                maximum: 1000,
                default: 200,
                description:
                  'Most mobile sources taken from that hub (each with its track of the last minutes); more are refused (TOO_MANY_SOURCES)',
              }),
              maxMessagesPerSecond: Type.Integer({
                minimum: 1,
                maximum: 10_000,
                default: 100,
                description:
                  'Messages read from that hub per second, with a burst of ten seconds; more are dropped unread (RATE_LIMITED) and the gap is mended by a snapshot',
              }),
            },
            { additionalProperties: false },
          ),
          {
            default: [],
            maxItems: 64,
            description:
              "Hubs this one receives cameras from, over a Mosquitto bridge into cctv/federation/in/<hub>/ on this hub's broker (the broker's ACL lets each bridge write there only)",
          },
        ),
        heartbeatMs: Type.Integer({
          minimum: 500,
          maximum: 60_000,
          default: 5000,
          description: 'How often a sharing hub tells each peer it is alive, with its latest sequence number',
        }),
        linkTimeoutMs: Type.Integer({
          minimum: 2000,
          maximum: 600_000,
          default: 20_000,
          description:
            "A link silent this long is down: that hub's cameras show as unknown (hub_link_down), never as their last state",
        }),
      },
      'A network of hubs: what this hub shares with others, and which hubs it receives from',
    ),
    log: Group(
      {
        level: Type.Union(
          ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
          { default: 'info', description: 'Log level (env LOG_LEVEL)' },
        ),
      },
      'Logging',
    ),
  },
  { additionalProperties: false },
);
export type HubConfig = Static<typeof HubConfig>;

export const HUB_ENV_ALIASES: Record<string, string> = {
  PORT: 'http.port',
  HOST: 'http.host',
  MQTT_URL: 'mqtt.url',
  MQTT_PORT: 'mqtt.port',
  DATABASE_URL: 'database.url',
  DEMO: 'demo.enabled',
  CCTV_DEMO_PASSWORD: 'demo.password',
  LOG_LEVEL: 'log.level',
  CCTV_CLUSTER: 'cluster.enabled',
  REDIS_URL: 'cluster.redisUrl',
};
export const HUB_ENV_PREFIX = 'CCTV_HUB';
