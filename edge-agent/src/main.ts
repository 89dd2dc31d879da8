import { pino } from 'pino';
import { ConfigError, redactConfig } from '../../src/config/resolve.ts';
import { logDestination } from '../../src/logging.ts';
import { EdgeAgent } from './agent.ts';
import { configPathFrom, type LoadedAgentConfig, loadAgentConfig } from './config.ts';
import { resolveMediaBinaries } from './media/binaries.ts';
import { agentMetrics, serveMetrics } from './metrics.ts';

/** Wiring only: load config, start the agent, stop it cleanly on SIGINT/SIGTERM. */
async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === 'enrol') {
    const { enrolCommand } = await import('./enrol-command.ts');
    process.exit(await enrolCommand(args.slice(1), process.stdout, process.stderr));
  }
  if (args[0] === 'commission') {
    const { commissionCommand } = await import('./commission-command.ts');
    process.exit(await commissionCommand(args.slice(1), process.env, process.stdout, process.stderr));
  }
  if (args[0] === 'check') {
    const { checkCommand } = await import('./check-command.ts');
    process.exit(await checkCommand(args.slice(1), process.env, process.stdout, process.stderr));
  }
  if (args[0] === 'discover') {
    const { discoverCommand } = await import('./discover-command.ts');
    process.exit(await discoverCommand(args.slice(1), process.env, process.stdout, process.stderr));
  }
  const destination = logDestination();
  const logger = destination ? pino({ name: 'edge-agent' }, destination) : pino({ name: 'edge-agent' });
  let agent: EdgeAgent;
  let agentConfig: LoadedAgentConfig['config'];
  let agentSecrets: LoadedAgentConfig['secrets'];
  try {
    const path = configPathFrom(process.argv.slice(2), process.env);
    const { config, secrets } = await loadAgentConfig({ path, env: process.env });
    agentConfig = config;
    agentSecrets = secrets;
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
  // Config validation refuses a metrics port without a token, so a token is here whenever a port is.
  const { metrics, site } = agentConfig;
  const token = agentSecrets.metricsToken;
  const metricsServer =
    metrics.port > 0 && token
      ? await serveMetrics(
          agentMetrics(() => agent.stats(), site.id),
          { host: metrics.host, port: metrics.port, token },
        )
      : null;
  if (metricsServer) logger.info({ host: metrics.host, port: metrics.port }, 'metrics served at /metrics');
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping: publishing offline state');
    metricsServer?.close();
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
