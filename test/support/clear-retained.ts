import { connectAsync } from 'mqtt';
import { beforeAll } from 'vitest';

/**
 * Integration files share one external broker when MQTT_URL is set, and a file that ends early
 * (or kills an agent on purpose) can leave sites' retained inventory and state behind, which the
 * next file's hub would take for its own fleet. Each file starts with none.
 */
export async function clearRetained(url: string, settleMs = 300): Promise<number> {
  const client = await connectAsync(url, {
    clean: true,
    clientId: `test-clear-${process.pid}-${Date.now()}`,
    reconnectPeriod: 0,
  });
  const topics = new Set<string>();
  client.on('message', (topic, payload, packet) => {
    if (packet.retain && payload.length > 0) topics.add(topic);
  });
  await client.subscribeAsync('cctv/#', { qos: 0 });
  await new Promise((resolve) => setTimeout(resolve, settleMs));
  await client.unsubscribeAsync('cctv/#');
  for (const topic of topics) await client.publishAsync(topic, '', { qos: 1, retain: true });
  await client.endAsync();
  return topics.size;
}

beforeAll(async () => {
  if (process.env.MQTT_URL) await clearRetained(process.env.MQTT_URL);
});
