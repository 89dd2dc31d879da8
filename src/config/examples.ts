import { renderExample } from './example.ts';
import { HubConfig } from './hub-config.ts';
import { defaultsOf } from './resolve.ts';

const HUB_HEADER = `# CCTV hub configuration: every key at its default.
# Copy to config/hub.yaml (read automatically) or pass --config <file>. Environment overrides:
# PORT, HOST, MQTT_URL, MQTT_PORT, DATABASE_URL, DEMO, CCTV_DEMO_PASSWORD, LOG_LEVEL, and
# CCTV_HUB__<group>__<key> for any key (e.g. CCTV_HUB__ingest__batchSize=2000).
# Secrets come from the environment or files: CCTV_AUTH_SECRET, MQTT_PASSWORD, *File keys.
`;

export function hubExampleText(): string {
  return `${HUB_HEADER}\n${renderExample(HubConfig, defaultsOf(HubConfig))}`;
}
