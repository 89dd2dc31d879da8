import { pino } from 'pino';
import { ConfigError, redactConfig } from '../../src/config/resolve.ts';
import { EdgeAgent } from './agent.ts';
import { configPathFrom, loadAgentConfig } from './config.ts';
import { resolveMediaBinaries } from './media/binaries.ts';

/** Wiring only: load config, start the agent, stop it cleanly on SIGINT/SIGTERM. */
async function main(): Promise<void> {
  const logger = pino({ name: 'edge-agent' });
  let agent: EdgeAgent;
  try {
    const path = configPathFrom(process.argv.slice(2), process.env);
    const { config, secrets } = await loadAgentConfig({ path, env: process.env });
    logger.info({ config: redactConfig(config) }, 'configuration loaded');
    agent = new EdgeAgent({ config, secrets, logger, media: resolveMediaBinaries(process.env) });
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  await agent.start();
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping: publishing offline state');
    agent.stop('graceful').then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: (error as Error).message }, 'unclean stop');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((error: unknown) => {
  process.stderr.write(`edge agent failed to start: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
