import { ConfigError, redactConfig } from '../../src/config/resolve.ts';
import { logDestination } from '../../src/logging.ts';
import { loadHubConfig } from './config.ts';
import { DemoFleet } from './demo/demo-fleet.ts';
import { Hub } from './hub.ts';
import { createLogger } from './logger.ts';

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
  const hub = new Hub({ config, log });
  let demo: DemoFleet | null = null;
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    await demo?.stop();
    await hub.stop();
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
    process.exit(1);
  }
  if (config.demo.enabled) {
    demo = new DemoFleet({
      mqttUrl: hub.mqttUrl,
      config: config.demo,
      logLevel: config.log.level,
      sitePasswords: hub.demoSitePasswords,
      log: log.child({ part: 'demo' }),
    });
    await demo.start();
  }
}

void main();
