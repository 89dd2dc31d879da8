import type pg from 'pg';
import type { AuditLog } from '../audit/audit-log.ts';
import { generateMqttPassword, hashMqttPassword } from '../auth/mqtt-password.ts';
import { hashPassword } from '../auth/passwords.ts';
import { RegistryRepository } from '../registry/registry-repository.ts';
import type { FleetRepository } from '../repositories/fleet-repository.ts';
import type { SiteCredentialRepository } from '../repositories/site-credential-repository.ts';
import type { UserRepository } from '../repositories/user-repository.ts';
import { SourceRepository } from '../sources/source-repository.ts';
import type { DemoSite, DemoSource } from './demo-plan.ts';
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
 * Demo mode only: councils whose recordings the police use as evidence adopt the police-evidential code
 * (31 days of retention, a correct clock, identification-grade images where the purpose says so); the
 * demo gives it to every third council, the others keep the hub's default code. An assignment an
 * operator made on an earlier start is left as it is.
 */
export async function seedDemoAssignments(pool: pg.Pool, sites: readonly DemoSite[]): Promise<void> {
  const councils = [...new Set(sites.map((s) => s.councilId))].sort();
  const police = councils.filter((_, i) => i % 3 === 0);
  await pool.query(
    `INSERT INTO certification_assignments (scope_kind, scope_id, code, version, overrides, assigned_by)
     SELECT 'council', id, 'police-evidential', NULL, '{}'::jsonb, 'demo' FROM unnest($1::text[]) AS t(id)
     ON CONFLICT (scope_kind, scope_id) DO NOTHING`,
    [police],
  );
}

/**
 * Demo mode only: every demo council publishes its public page (the second with positions rounded to
 * 250 m), so the demo shows one. A page a council has edited since is left as it is.
 */
export async function seedDemoPublicPages(
  pool: pg.Pool,
  sites: readonly DemoSite[],
  at: Date,
): Promise<void> {
  const councils = [...new Set(sites.map((s) => s.councilId))].sort();
  await pool.query(
    `INSERT INTO council_public_pages
       (council_id, enabled, purpose, responsible_body, contact, coarsen_m, licence, updated_by, updated_at)
     SELECT t.id, true,
       'To prevent and detect crime and disorder in the town centre, and to help people feel safe there.',
       k.name, 'CCTV office, ' || k.name || ' (demo: no real contact)',
       CASE WHEN t.n % 2 = 0 THEN 250 ELSE 0 END, 'OGL-UK-3.0', 'demo', $2
     FROM unnest($1::text[]) WITH ORDINALITY AS t(id, n) JOIN councils k ON k.id = t.id
     ON CONFLICT (council_id) DO NOTHING`,
    [councils, at],
  );
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

/**
 * Demo mode only: registers the demo's drone and body-worn cameras (once), and issues each a fresh
 * telemetry key on every start, handed to the demo fleet over IPC like the sites' passwords. Their
 * streams' addresses follow when the demo fleet has started them.
 */
export async function seedDemoSources(
  pool: pg.Pool,
  sources: readonly DemoSource[],
  nowMs: number,
): Promise<Map<string, string>> {
  const repository = new SourceRepository(pool);
  const keys = new Map<string, string>();
  for (const source of sources) {
    const rotated = await repository.rotateKey(source.id, nowMs);
    if (rotated) {
      keys.set(source.id, rotated.key);
      continue;
    }
    const created = await repository.create(
      {
        id: source.id,
        kind: source.kind,
        name: source.name,
        unit: source.unit,
        relaySiteId: source.relaySiteId,
        // Replaced once the demo fleet has started the simulated stream.
        streamUrl: `rtsp://127.0.0.1:554/${source.id}`,
      },
      'demo',
      nowMs,
    );
    keys.set(source.id, created.key);
  }
  return keys;
}

/**
 * Demo mode only: registers each demo site the way an operator would (council, hub, its cameras'
 * loopback network, its cameras listed so they count from first sight), audited as the demo.
 * Sites registered on an earlier start are left as they are.
 */
export async function seedDemoRegistry(
  pool: pg.Pool,
  audit: AuditLog,
  sites: readonly DemoSite[],
  now: Date,
): Promise<void> {
  const registry = new RegistryRepository(pool);
  for (const site of sites) {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const registration = {
        id: site.id,
        name: site.name,
        councilId: site.councilId,
        hubId: site.hubId,
        location: site.location,
        cameraNetworks: ['127.0.0.1/32'],
        expectedCameras: site.cameras.map((c) => c.id),
      };
      if (await registry.insertSite(client, registration, 'demo', now))
        await audit.appendWith(client, {
          kind: 'config.site.register',
          actor: 'demo',
          role: null,
          councilId: site.councilId,
          subject: { type: 'site', id: site.id },
          detail: { ...registration, location: undefined },
        });
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }
}
