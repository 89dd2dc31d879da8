import pg from 'pg';
import type { Socket } from 'socket.io-client';
import { hashPassword } from '../../../../hub-server/src/auth/passwords.ts';
import { UserRepository } from '../../../../hub-server/src/repositories/user-repository.ts';
import type { Role } from '../../../../src/schemas/api.ts';
import { LIVE_EVENTS } from '../../../../src/schemas/api.ts';
import { PrivatePostgres } from '../../../support/private-postgres.ts';
import { testServices } from '../../../support/services.ts';

/** Why a region's database cannot be had here (cluster mode needs a PostgreSQL server), or null. */
export const regionUnavailable = (): string | null =>
  process.env.DATABASE_URL ? null : PrivatePostgres.unavailable();

/** The region's PostgreSQL: a fresh database on DATABASE_URL, else a server of the test's own. */
export async function regionDatabase(): Promise<{ url: string; cleanup: () => Promise<void> }> {
  if (process.env.DATABASE_URL) {
    const services = await testServices();
    return { url: services.databaseUrl as string, cleanup: () => services.cleanup() };
  }
  const server = new PrivatePostgres();
  await server.start();
  return { url: server.url, cleanup: async () => server.destroy() };
}

/** One hub process of the region (cluster mode), sharing the hub's MQTT identity with the others. */
export function clusterEnv(
  broker: Record<string, string>,
  databaseUrl: string,
  clientId: string,
  instance: string,
): Record<string, string> {
  return {
    ...broker,
    DATABASE_URL: databaseUrl,
    CCTV_CLUSTER: 'true',
    CCTV_HUB__cluster__instanceId: instance,
    CCTV_HUB__mqtt__clientId: clientId,
  };
}

export async function addUser(
  databaseUrl: string,
  username: string,
  role: Role,
  password: string,
): Promise<void> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 1 });
  try {
    await new UserRepository(pool).upsert({
      username,
      role,
      councilIds: [],
      passwordHash: await hashPassword(password),
    });
  } finally {
    await pool.end();
  }
}

export async function login(
  hubUrl: string,
  username: string,
  password: string,
): Promise<{ status: number; body: { token?: string; code?: string } }> {
  const r = await fetch(`${hubUrl}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  return { status: r.status, body: (await r.json()) as { token?: string; code?: string } };
}

/** Resolves once the socket's first snapshot has come; rejects if it cannot connect. */
export function snapshotReceived(socket: Socket): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    socket.once(LIVE_EVENTS.snapshot, () => resolve());
    socket.once('connect_error', reject);
  });
}
