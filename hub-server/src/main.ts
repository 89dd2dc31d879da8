import { fileURLToPath } from 'node:url';
import { ConfigError, redactConfig } from '../../src/config/resolve.ts';
import { logDestination } from '../../src/logging.ts';
import { loadHubConfig } from './config.ts';
import { EmbeddedDatabase } from './db/embedded-database.ts';
import type { DemoFleet } from './demo/demo-fleet.ts';
import { createLogger } from './logger.ts';

// From the start bundle (build/hub.mjs), the embedded database's child is its build beside this file.
const BUNDLED = import.meta.url.endsWith('.mjs');

async function main(): Promise<void> {
  let config: ReturnType<typeof loadHubConfig>;
  try {
    config = loadHubConfig(process.argv.slice(2), process.env);
  } catch (error) {
    process.stderr.write(
      `${error instanceof ConfigError ? error.message : `configuration error: ${(error as Error).message}`}\n`,
    );
    process.exit(2);
  }
  const log = createLogger(config.log.level, 'cctv-hub', logDestination());
  log.info({ config: redactConfig(config) }, 'starting hub');
  // The embedded database takes about two seconds to start (PGlite and PostGIS load in its child
  // process): it starts first, and the hub's own modules load while it does. The hub waits for it
  // when it needs it, and reports its failure then.
  const embedded = config.database.url
    ? undefined
    : new EmbeddedDatabase({
        dataDir: config.database.dataDir,
        maxConnections: 3,
        ...(BUNDLED
          ? {
              server: {
                script: fileURLToPath(new URL('./pglite-server.mjs', import.meta.url)),
                execArgv: [],
              },
            }
          : {}),
      });
  embedded?.start().catch(() => undefined);
  const [{ Hub }, { DemoFleet }] = await Promise.all([import('./hub.ts'), import('./demo/demo-fleet.ts')]);
  const hub = new Hub({ config, log, embeddedDatabase: embedded });
  let demo: DemoFleet | null = null;
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    await demo?.stop();
    await hub.stop();
    await embedded?.stop();
    log.info({ signal }, 'stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  try {
    await hub.start();
  } catch (error) {
    log.fatal({ err: error }, `hub failed to start: ${(error as Error).message}`);
    await hub
      .stop()
      .catch((stopError: Error) =>
        log.warn({ err: stopError.message }, 'partial start-up did not stop cleanly'),
      );
    await embedded?.stop().catch(() => undefined);
    process.exit(1);
  }
  if (config.demo.enabled) {
    demo = new DemoFleet({
      mqttUrl: hub.mqttUrl,
      config: config.demo,
      logLevel: config.log.level,
      sitePasswords: hub.demoSitePasswords,
      sourceKeys: hub.demoSourceKeys,
      log: log.child({ part: 'demo' }),
    });
    await hub.setSourceStreams(await demo.start());
  }
}

void main();
