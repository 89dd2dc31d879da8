import pg from 'pg';
import { hashPassword } from '../../hub-server/src/auth/passwords.ts';
import { UserRepository } from '../../hub-server/src/repositories/user-repository.ts';

export interface SiteToRegister {
  siteId: string;
  councilId: string;
  cameraIds?: string[];
  hubId?: string;
  cameraNetworks?: string[];
}

const OPERATOR = 'test-registrar';
const PASSWORD = 'Registrar-Pw-71x';

/**
 * Registers sites at a hub running as its own process, as an operator would: through the registry
 * API (the hub, council and site), signed in as an operator this helper adds to the hub's database.
 * For tests and benchmarks whose hub is not in process (HubProcess); in-process hubs use
 * HubHarness.registerSite.
 */
export async function registerSitesViaApi(
  hubUrl: string,
  databaseUrl: string,
  sites: SiteToRegister[],
): Promise<void> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 1 });
  try {
    await new UserRepository(pool).upsert({
      username: OPERATOR,
      role: 'operator',
      councilIds: [],
      passwordHash: await hashPassword(PASSWORD),
    });
  } finally {
    await pool.end();
  }
  const login = await fetch(`${hubUrl}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: OPERATOR, password: PASSWORD }),
  });
  if (!login.ok) throw new Error(`operator login failed: ${login.status}`);
  const { token } = (await login.json()) as { token: string };
  await registerSitesAs(hubUrl, token, sites);
}

/** Registers sites through the registry API with an operator's token, creating their hubs and councils. */
export async function registerSitesAs(hubUrl: string, token: string, sites: SiteToRegister[]): Promise<void> {
  const call = async (method: string, path: string, body: unknown) => {
    const response = await fetch(`${hubUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
  };
  const done = new Set<string>();
  for (const site of sites) {
    const hubId = site.hubId ?? 'test-hub';
    if (!done.has(`hub:${hubId}`))
      await call('PUT', `/api/registry/hubs/${hubId}`, { name: hubId, operator: 'test' });
    if (!done.has(`council:${site.councilId}`))
      await call('PUT', `/api/registry/councils/${site.councilId}`, { name: site.councilId, hubId });
    done.add(`hub:${hubId}`).add(`council:${site.councilId}`);
    await call('POST', '/api/registry/sites', {
      id: site.siteId,
      name: `Site ${site.siteId}`,
      councilId: site.councilId,
      hubId,
      cameraNetworks: site.cameraNetworks ?? ['127.0.0.1/32'],
      expectedCameras: site.cameraIds ?? [],
    });
  }
}

/**
 * Dates a site's registration back in the database, for a test replaying history older than the
 * registration. A hub reads registrations when it starts: restart it afterwards.
 */
export async function backdateRegistration(databaseUrl: string, siteId: string, at: Date): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('UPDATE sites SET registered_at = $2, state_since = $2 WHERE id = $1', [siteId, at]);
    await client.query('UPDATE site_assignments SET valid_from = $2 WHERE site_id = $1', [siteId, at]);
  } finally {
    await client.end();
  }
}
