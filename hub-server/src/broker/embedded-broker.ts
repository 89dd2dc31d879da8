import { createServer, type Server } from 'node:net';
import { Aedes } from 'aedes';
import type { Logger } from 'pino';

export interface EmbeddedBrokerOptions {
  host: string;
  port: number;
  log: Logger;
}

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
  private boundPort = 0;

  constructor(private readonly options: EmbeddedBrokerOptions) {}

  get url(): string {
    return `mqtt://${this.options.host}:${this.boundPort}`;
  }

  get port(): number {
    return this.boundPort;
  }

  async start(): Promise<void> {
    const broker = await Aedes.createBroker({ id: 'cctv-hub-embedded' });
    broker.on('clientError', (client, error) => {
      this.options.log.debug({ clientId: client.id, err: error.message }, 'mqtt client error');
    });
    const server = createServer(broker.handle);
    this.broker = broker;
    this.server = server;
    try {
      this.boundPort = await listenOrExplain(
        server,
        this.options.host,
        this.options.port,
        'set MQTT_PORT to a free port for the embedded broker, or MQTT_URL to use the broker already listening there',
      );
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  async stop(): Promise<void> {
    const server = this.server;
    const broker = this.broker;
    this.server = null;
    this.broker = null;
    if (broker) await new Promise<void>((resolve) => broker.close(() => resolve()));
    if (server?.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
