import { hashPassword } from '../auth/passwords.ts';
import type { FleetRepository } from '../repositories/fleet-repository.ts';
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
