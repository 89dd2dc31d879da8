import { generateMqttPassword, hashMqttPassword } from '../auth/mqtt-password.ts';
import { hashPassword } from '../auth/passwords.ts';
import type { FleetRepository } from '../repositories/fleet-repository.ts';
import type { SiteCredentialRepository } from '../repositories/site-credential-repository.ts';
import type { UserRepository } from '../repositories/user-repository.ts';
import { loadHubs, loadTowns, slug } from './fleet-data.ts';

/** Demo mode only: reference data from the towns file and the documented demo users. */
export async function seedDemo(
  fleet: FleetRepository,
  users: UserRepository,
  password: string,
): Promise<void> {
  for (const hub of loadHubs())
    await fleet.upsertHub({
      id: hub.hub,
      name: hub.name,
      operator: hub.operator,
      lat: hub.lat,
      lon: hub.lon,
    });
  const councils = new Map<string, { name: string; hubId: string }>();
  for (const town of loadTowns()) councils.set(slug(town.council), { name: town.council, hubId: town.hub });
  for (const [id, council] of councils) await fleet.upsertCouncil({ id, ...council });
  const hash = await hashPassword(password);
  await users.upsert({ username: 'operator', passwordHash: hash, role: 'operator', councilIds: [] });
  await users.upsert({ username: 'controlroom', passwordHash: hash, role: 'controlroom', councilIds: [] });
  await users.upsert({ username: 'auditor', passwordHash: hash, role: 'auditor', councilIds: [] });
  for (const id of councils.keys())
    await users.upsert({ username: id, passwordHash: hash, role: 'council', councilIds: [id] });
}

/**
 * Demo mode only: a fresh MQTT credential for every demo site on each start (the hub keeps only
 * hashes, so the passwords exist just for this run), handed to the demo fleet over IPC.
 */
export async function seedDemoSiteCredentials(
  credentials: SiteCredentialRepository,
  siteIds: readonly string[],
  now: Date,
): Promise<Map<string, string>> {
  const passwords = new Map<string, string>();
  for (const siteId of siteIds) {
    const password = generateMqttPassword();
    await credentials.put(siteId, await hashMqttPassword(password), 'demo', now);
    passwords.set(siteId, password);
  }
  return passwords;
}
