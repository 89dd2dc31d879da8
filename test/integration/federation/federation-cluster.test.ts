import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CameraView } from '../../../src/schemas/api.ts';
import type { LinkStatus } from '../../../src/schemas/federation.ts';
import { closeAll } from '../../support/cleanup.ts';
import { type HubNetwork, startHubNetwork } from '../../support/hub-network.ts';
import { createTestPki } from '../../support/test-pki.ts';
import { regionDatabase, regionUnavailable } from '../cluster/helpers/region.ts';

// A force hub run as two processes of one region (cluster mode): each process holds the links to
// the regional hubs itself, so a control room on either sees the regions' cameras, live, and a cut
// bridge as unknown.

const PASSWORD = 'Correct-Horse-7';
const skip = regionUnavailable();

describe.skipIf(skip !== null)('a force hub of two processes receiving a regional hub', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cctv-fed-cluster-'));
  let network: HubNetwork | undefined;
  let database: { url: string; cleanup: () => Promise<void> } | undefined;

  beforeAll(async () => {
    database = await regionDatabase();
    network = await startHubNetwork({
      dir,
      pki: createTestPki(dir),
      regions: [{ id: 'west-cornwall', cameras: 2, location: { lat: 50.1186, lon: -5.5371 } }],
      linkTimeoutMs: 5000,
      forceCluster: { processes: 2, databaseUrl: database.url },
    });
    await network.force.createUser('force-room', 'controlroom', [], PASSWORD);
  }, 180_000);

  afterAll(() =>
    closeAll(
      () => network?.stop(),
      () => database?.cleanup(),
      async () => rmSync(dir, { recursive: true, force: true }),
    ),
  );

  const read = async <T>(url: string, token: string, path: string) =>
    (await (await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${token}` } })).json()) as T;

  it('shows the region on the standby as on the leader, and a cut bridge as unknown on both', async () => {
    const net = network as HubNetwork;
    const roles = await Promise.all(
      net.forceProcesses.map(
        async (p) => ((await (await fetch(`${p.hub.url}/healthz`)).json()) as { role: string }).role,
      ),
    );
    expect(roles.sort()).toEqual(['leader', 'standby']);
    const region = net.regions[0] as HubNetwork['regions'][number];
    const states = async (url: string, token: string) => {
      const cams = await read<CameraView[]>(url, token, '/api/cameras');
      return region.cameras.map((id) => cams.find((c) => c.id === id)?.state ?? 'missing');
    };
    const poll = async (what: string, ok: () => Promise<boolean>) => {
      const deadline = Date.now() + 30_000;
      while (!(await ok())) {
        if (Date.now() > deadline) throw new Error(`${what} not within 30 s`);
        await new Promise((r) => setTimeout(r, 200));
      }
    };
    const tokens = await Promise.all(net.forceProcesses.map((p) => p.login('force-room', PASSWORD)));
    for (const [i, p] of net.forceProcesses.entries()) {
      const token = tokens[i] as string;
      await poll(`region cameras up at ${p.hub.role}`, async () =>
        (await states(p.hub.url, token)).every((s) => s === 'up'),
      );
      const links = await read<LinkStatus[]>(p.hub.url, token, '/api/federation/links');
      expect(links.map((l) => [l.hub, l.state])).toEqual([['west-cornwall', 'up']]);
    }
    await region.relay.down();
    for (const [i, p] of net.forceProcesses.entries())
      await poll(`region cameras unknown at ${p.hub.role}`, async () =>
        (await states(p.hub.url, tokens[i] as string)).every((s) => s === 'unknown'),
      );
    await region.relay.up();
    for (const [i, p] of net.forceProcesses.entries())
      await poll(`region cameras up again at ${p.hub.role}`, async () =>
        (await states(p.hub.url, tokens[i] as string)).every((s) => s === 'up'),
      );
  });
});
