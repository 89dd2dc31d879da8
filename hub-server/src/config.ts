import { existsSync, readFileSync } from 'node:fs';
import { HUB_ENV_ALIASES, HUB_ENV_PREFIX, HubConfig } from '../../src/config/hub-config.ts';
import { resolveConfig } from '../../src/config/resolve.ts';

/** Config file: `--config <file>`, else CCTV_HUB_CONFIG, else ./config/hub.yaml if present, else defaults. */
export function loadHubConfig(argv: readonly string[], env: Record<string, string | undefined>): HubConfig {
  const flag = argv.indexOf('--config');
  const explicit = flag >= 0 ? argv[flag + 1] : env.CCTV_HUB_CONFIG;
  if (flag >= 0 && !explicit) throw new Error('--config needs a file path');
  const path = explicit ?? (existsSync('config/hub.yaml') ? 'config/hub.yaml' : undefined);
  if (explicit && !existsSync(explicit)) throw new Error(`config file ${explicit} does not exist`);
  return resolveConfig(HubConfig, {
    fileText: path ? readFileSync(path, 'utf8') : undefined,
    source: path ?? 'environment',
    env,
    envAliases: HUB_ENV_ALIASES,
    envPrefix: HUB_ENV_PREFIX,
  });
}
