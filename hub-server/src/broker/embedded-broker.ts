import { createServer, type Server, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { createServer as createTlsServer } from 'node:tls';
import { Aedes, type AuthenticateError, type Client } from 'aedes';
import type { Logger } from 'pino';
import type { BrokerLimits } from './broker-limits.ts';
import { duplexPair } from './duplex-pair.ts';
import { type IndexedOutgoing, indexedMemoryPersistence } from './indexed-outgoing.ts';
import { guardPacketSize } from './packet-size-guard.ts';
import type { MqttIdentity, SiteAuthPolicy } from './site-auth.ts';

/** An MQTT over TLS listener: PEM certificate chain and key, and whether it is the only listener. */
export interface BrokerTls {
  host: string;
  port: number;
  cert: string;
  key: string;
  only: boolean;
}

export interface EmbeddedBrokerOptions {
  host: string;
  port: number;
  log: Logger;
  /** Who may connect, publish and subscribe (the same rules on every listener). */
  auth: SiteAuthPolicy;
  /** Packet size and what each site may retain (the same on every listener). */
  limits: BrokerLimits;
  tls?: BrokerTls | null;
}

const PORT_HINT =
  'set MQTT_PORT to a free port for the embedded broker, or MQTT_URL to use the broker already listening there';
const TLS_PORT_HINT = 'set mqtt.tls.port to a free port for the embedded broker';

// CONNACK return codes [MQTT-3.2.2-3]: 3 server unavailable, 4 bad user name or password, 5 not authorised.
const CONNACK_CODE = { noCredentials: 5, unknownUser: 4, badPassword: 4, clientId: 2, notReady: 3 } as const;

export class PortInUseError extends Error {
  readonly code = 'PORT_IN_USE';
}

/** Listens on host:port or fails with a message naming the setting to change. */
export async function listenOrExplain(
  server: Server,
  host: string,
  port: number,
  hint: string,
): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      if (error.code === 'EADDRINUSE')
        reject(new PortInUseError(`${host}:${port} is already in use: ${hint}`));
      else if (error.code === 'EACCES')
        reject(new PortInUseError(`no permission to listen on ${host}:${port}: ${hint}`));
      else reject(error);
    };
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
  const address = server.address();
  return typeof address === 'object' && address ? address.port : port;
}

/** Fails with the same explanation as listenOrExplain if host:port cannot be bound right now. */
export async function ensurePortFree(host: string, port: number, hint: string): Promise<void> {
  const probe = createServer();
  await listenOrExplain(probe, host, port, hint);
  await new Promise<void>((resolve) => probe.close(() => resolve()));
}

/** In-process MQTT 3.1.1 broker (aedes) for the embedded default. */
export class EmbeddedBroker {
  private broker: Aedes | null = null;
  private server: Server | null = null;
  private tlsServer: Server | null = null;
  private boundPort = 0;
  private boundTlsPort = 0;
  /** Identity of each authenticated connection (null when site authentication is off). */
  private readonly identities = new WeakMap<Client, MqttIdentity | null>();
  private outgoing: IndexedOutgoing | null = null;

  constructor(private readonly options: EmbeddedBrokerOptions) {}

  /** Where sites connect: the plain listener, or the TLS one when it is the only one. */
  get url(): string {
    return this.options.tls?.only ? (this.tlsUrl as string) : `mqtt://${this.options.host}:${this.boundPort}`;
  }

  get tlsUrl(): string | null {
    return this.options.tls ? `mqtts://${this.options.tls.host}:${this.boundTlsPort}` : null;
  }

  /** The plain listener's port (0 when there is none). */
  get port(): number {
    return this.boundPort;
  }

  get tlsPort(): number {
    return this.boundTlsPort;
  }

  /** QoS 1 and 2 messages queued for a persistent session and not yet acknowledged by it. */
  queuedFor(clientId: string): number {
    return this.outgoing?.queued(clientId) ?? 0;
  }

  /**
   * How the hub's own clients connect: in process, never over the network. Over TLS they would
   * need a CA for the hub's own certificate and a host name it matches; over the plain listener
   * every packet of the hub's session (the whole ingest) would cross the loopback twice, as a
   * socket write and a socket read.
   */
  hubConnector(): () => Duplex {
    return () => {
      if (!this.broker) throw new Error('embedded broker is not started');
      const [client, server] = duplexPair();
      this.broker.handle(server);
      return client;
    };
  }

  async start(): Promise<void> {
    const { auth, log } = this.options;
    const store = indexedMemoryPersistence();
    this.outgoing = store.outgoing;
    const broker = await Aedes.createBroker({
      id: 'cctv-hub-embedded',
      // The hub's session holds its whole backlog unacknowledged: its queue must not be scanned per message.
      persistence: store.persistence,
      authenticate: (client, username, password, done) => {
        auth.authenticate(client.id, username, password).then(
          (decision) => {
            if (decision.ok) {
              this.identities.set(client, decision.identity);
              done(null, true);
              return;
            }
            const error = new Error(`connection refused (${decision.reason})`) as AuthenticateError;
            error.returnCode = CONNACK_CODE[decision.reason];
            done(error, false);
          },
          (error: Error) => {
            log.error({ clientId: client.id, err: error.message }, 'mqtt authentication failed');
            const refused = new Error('authentication unavailable') as AuthenticateError;
            refused.returnCode = CONNACK_CODE.notReady;
            done(refused, false);
          },
        );
      },
      // MQTT 3.1.1 cannot refuse a single PUBLISH: the error closes the offender's connection and the
      // message goes nowhere. A will is checked the same way when it fires (client set) and dropped.
      authorizePublish: (client, packet, done) => {
        if (client === null) return done(null);
        const allowed = auth.canPublish(this.identities.get(client) ?? null, client.id, packet.topic);
        if (!allowed) return done(new Error(`publish to ${packet.topic.slice(0, 200)} not authorised`));
        if (packet.retain) {
          const refused = this.options.limits.retain(client.id, packet.topic, packet.payload.length);
          if (refused)
            return done(new Error(`retained publish to ${packet.topic.slice(0, 200)} refused (${refused})`));
        }
        done(null);
      },
      // A null subscription is a refusal: SUBACK return code 0x80 for that filter [MQTT-3.9.3].
      authorizeSubscribe: (client, subscription, done) => {
        const allowed = auth.canSubscribe(this.identities.get(client) ?? null, client.id, subscription.topic);
        done(null, allowed ? subscription : null);
      },
    });
    broker.on('clientError', (client, error) => {
      this.options.log.debug({ clientId: client.id, err: error.message }, 'mqtt client error');
    });
    this.broker = broker;
    const tls = this.options.tls;
    try {
      if (!tls?.only) {
        this.server = createServer((socket) => this.accept(socket));
        this.boundPort = await listenOrExplain(this.server, this.options.host, this.options.port, PORT_HINT);
      }
      if (tls) {
        // Sites authenticate inside the TLS session exactly as on the plain listener.
        const secure = createTlsServer({ cert: tls.cert, key: tls.key, minVersion: 'TLSv1.2' }, (socket) =>
          this.accept(socket),
        );
        secure.on('tlsClientError', (error, socket) => {
          log.debug(
            { remote: socket.remoteAddress ?? null, err: error.message },
            'mqtt tls handshake failed',
          );
        });
        this.tlsServer = secure;
        this.boundTlsPort = await listenOrExplain(secure, tls.host, tls.port, TLS_PORT_HINT);
      }
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  /** Hands a site's connection to the broker behind the packet size limit. */
  private accept(socket: Duplex): void {
    const broker = this.broker;
    if (!broker) {
      socket.destroy();
      return;
    }
    // Small packets (PUBACKs, the hub's requests) go out at once, not after Nagle's wait for an ACK.
    if (socket instanceof Socket) socket.setNoDelay(true);
    const { limits } = this.options;
    let client: Client | null = null;
    const guarded = guardPacketSize(socket, limits.config.maxPacketBytes, (packetBytes) => {
      // Only an authenticated connection is a site; a CONNECT is from nobody in particular yet.
      const identity = client ? this.identities.get(client) : undefined;
      const siteId = identity?.kind === 'site' ? identity.siteId : null;
      limits.packetTooLarge(siteId, client?.id ?? null, packetBytes);
    });
    client = broker.handle(guarded);
  }

  /** Closes the connections of one site (after its credential was rotated or revoked). */
  disconnectSite(siteId: string): number {
    const broker = this.broker;
    if (!broker) return 0;
    let closed = 0;
    // aedes keeps its connected clients by id; its typings leave the map out.
    const clients = (broker as unknown as { clients: Record<string, Client> }).clients;
    for (const client of Object.values(clients)) {
      const identity = this.identities.get(client);
      if (identity?.kind === 'site' && identity.siteId === siteId) {
        client.close();
        closed++;
      }
    }
    return closed;
  }

  async stop(): Promise<void> {
    const servers = [this.server, this.tlsServer];
    const broker = this.broker;
    this.server = null;
    this.tlsServer = null;
    this.broker = null;
    if (broker) await new Promise<void>((resolve) => broker.close(() => resolve()));
    for (const server of servers)
      if (server?.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
