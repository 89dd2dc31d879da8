import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isMap, isSeq, parseDocument, stringify } from 'yaml';
import { loadAgentConfig } from '../../../edge-agent/src/config.ts';
import type { CameraDetail, CameraView } from '../../../src/schemas/api.ts';
import type { AuditPage } from '../../../src/schemas/audit-api.ts';
import type { EnrolmentCodeIssued } from '../../../src/schemas/enrolment-api.ts';
import type { CameraApprovalView, SiteRecord } from '../../../src/schemas/registry-api.ts';
import { eventually } from '../../support/eventually.ts';
import { type HubHarness, startHub } from '../../support/hub-harness.ts';
import { uniqueId } from '../../support/services.ts';

// "Connecting a town in minutes", from nothing to live, as the README's "Connect a town" says. The
// commands are read from the README and run as they are written (`npm run agent -- ...`, each a child
// process with its real arguments), with only the README's example values (hub address, code,
// directory) replaced by this run's. The town is a network namespace this test makes: ten simulated
// ONVIF cameras on a camera network (192.168.50.0/24) that answer multicast WS-Discovery, and the site
// box's uplink to the hub (a veth pair). Every agent command runs inside it, as on the site box; the
// hub (its REST API, and its broker or the pair's Mosquitto through a relay on the uplink) outside.
// Two of the ten cameras were installed with another password: the first discover reports them as
// wrong credentials and leaves them out, the second (with their password too) adds them.

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const NS = `cctv-town-${process.pid}`;
const VETH = `town-${process.pid}`.slice(0, 15);
/** The site box's address on its camera network, where the cameras answer (one simulator, many ports). */
const CAMERA_HOST = '192.168.50.10';
const CAMERA_NETWORK = '192.168.50.0/24';
const TOWN_PW = 'Town-Installer-7';
const OTHER_PW = 'Contractor-B-3';
const profile = { width: 320, height: 240, fps: 10, bitrateKbps: 300 };

/** The ten cameras of the town; the two installed by another contractor have another password. */
const TOWN = [
  'Market Square',
  'Harbour Wall',
  'Fore Street',
  'Church Lane',
  'Quay Steps',
  'Bus Station',
  'Car Park',
  'Library',
  'Town Hall',
  'Park Gates',
].map((name, i) => ({
  simId: `cam${i + 1}`,
  name,
  password: name === 'Car Park' || name === 'Park Gates' ? OTHER_PW : TOWN_PW,
}));
const slug = (name: string) => name.toLowerCase().replace(/[^a-z0-9]+/g, '-');

/** The README's example values, each replaced by this run's (and nothing else is changed). */
const README_HUB = 'https://hub.example.org';
const README_CODE = '7KQ2-M9XD-4T1B';
const README_DIR = '/srv/cctv-agent';

type Step = { kind: 'note'; text: string } | { kind: 'command'; args: string[] };

/** The README's "Connect a town" commands, in order: `npm run agent -- ...` lines and the notes between them. */
function readmeSteps(): Step[] {
  const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
  const section = readme.split(/^### Connect a town$/m)[1]?.split(/^##/m)[0] ?? '';
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1];
  if (!block) throw new Error('README.md: no sh block under "### Connect a town"');
  return block
    .trim()
    .split('\n')
    .map((line): Step => {
      if (line.startsWith('#')) return { kind: 'note', text: line.slice(1).trim() };
      // Shell words as the README writes them: plain, or in double quotes.
      const words = [...line.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? '');
      if (words.slice(0, 4).join(' ') !== 'npm run agent --')
        throw new Error(`README.md "Connect a town": not an agent command: ${line}`);
      return { kind: 'command', args: words.slice(4) };
    });
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

describe('connect a town: from nothing to ten cameras live, as the README says', () => {
  let h: HubHarness;
  let token = '';
  let relay: Server | null = null;
  const relayed = new Set<Socket>();
  const children: ChildProcess[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'cctv-town-'));
  /** The fresh directory `enrol` is told to write to (it does not exist yet). */
  const agentDir = join(dir, 'cctv-agent');
  const configPath = join(agentDir, 'agent.yaml');
  const siteId = uniqueId('porthleven');
  const council = uniqueId('cornwall');
  const hubId = 'west-cornwall';
  // The uplink: a /30 of 10.214.0.0/16 picked by process id, so two runs side by side differ.
  const slot = process.pid % 16_000;
  const uplinkBase = `10.214.${slot >> 6}.${(slot & 63) * 4}`;
  const hubAddress = uplinkBase.replace(/\.\d+$/, (m) => `.${Number(m.slice(1)) + 1}`);
  const boxAddress = uplinkBase.replace(/\.\d+$/, (m) => `.${Number(m.slice(1)) + 2}`);

  /** The site box's environment: the installer's camera passwords, and none of the suite's settings. */
  const boxEnv = () => {
    const env: NodeJS.ProcessEnv = { ...process.env, CAM_PW: TOWN_PW, CAM_PW2: OTHER_PW };
    delete env.MQTT_URL;
    delete env.DATABASE_URL;
    delete env.CCTV_AGENT_CONFIG;
    return env;
  };

  /** Starts a command inside the town's namespace, in its own process group (so all of it can be stopped). */
  const startInTown = (command: string[]) => {
    const child = spawn('ip', ['netns', 'exec', NS, ...command], {
      cwd: REPO,
      env: boxEnv(),
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    const output = { stdout: '', stderr: '' };
    child.stdout?.on('data', (d: Buffer) => {
      output.stdout = (output.stdout + d.toString()).slice(-200_000);
    });
    child.stderr?.on('data', (d: Buffer) => {
      output.stderr = (output.stderr + d.toString()).slice(-200_000);
    });
    return { child, output };
  };
  const stop = (child: ChildProcess, signal: NodeJS.Signals) => {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null)
      try {
        process.kill(-child.pid, signal);
      } catch {
        // already gone
      }
  };

  /** `npm run agent -- <args>` on the site box, to its end (bounded). */
  const agent = (args: string[], timeoutMs = 90_000): Promise<Run> => {
    const { child, output } = startInTown(['npm', 'run', 'agent', '--', ...args]);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        stop(child, 'SIGKILL');
        reject(
          new Error(
            `npm run agent -- ${args.join(' ')} did not finish within ${timeoutMs / 1000} s\n${output.stdout}\n${output.stderr}`,
          ),
        );
      }, timeoutMs);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, ...output });
      });
    });
  };

  const api = async <T>(method: string, path: string, body?: unknown) => {
    const response = await fetch(`${h.hub.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as T };
  };

  beforeAll(async () => {
    const ip = (...args: string[]) => execFileSync('ip', args, { stdio: 'pipe' });
    try {
      ip('netns', 'add', NS);
    } catch (error) {
      throw new Error(
        `this test makes a network namespace and a veth pair, which needs root (CAP_NET_ADMIN): ${String(error)}`,
      );
    }
    if (execFileSync('ip', ['-o', '-4', 'addr'], { encoding: 'utf8' }).includes(` ${hubAddress}/`))
      throw new Error(`${hubAddress} is already in use on this machine`);
    // The town's LAN: multicast on loopback (routed to it), and the camera network's address.
    ip('-n', NS, 'link', 'set', 'lo', 'up');
    ip('-n', NS, 'link', 'set', 'lo', 'multicast', 'on');
    ip('-n', NS, 'route', 'add', '224.0.0.0/4', 'dev', 'lo');
    ip('-n', NS, 'addr', 'add', `${CAMERA_HOST}/32`, 'dev', 'lo');
    // The site box's uplink to the hub.
    ip('link', 'add', VETH, 'type', 'veth', 'peer', 'name', 'uplink', 'netns', NS);
    ip('addr', 'add', `${hubAddress}/30`, 'dev', VETH);
    ip('link', 'set', VETH, 'up');
    ip('-n', NS, 'addr', 'add', `${boxAddress}/30`, 'dev', 'uplink');
    ip('-n', NS, 'link', 'set', 'uplink', 'up');

    // The hub listens where the site box reaches it. On the services pair the hub uses the pair's
    // broker, which listens on loopback only: a relay on the uplink stands for its public address.
    const external = process.env.MQTT_URL;
    const overrides: Record<string, string> = {
      HOST: hubAddress,
      CCTV_HUB__mqtt__host: hubAddress,
      CCTV_HUB__mqtt__siteAuth: 'enforce',
    };
    if (external) {
      const target = new URL(external);
      const server = createServer((inbound) => {
        const outbound = createConnection(Number(target.port || 1883), target.hostname);
        for (const [a, b] of [
          [inbound, outbound],
          [outbound, inbound],
        ] as const) {
          relayed.add(a);
          a.on('error', () => b.destroy());
          a.on('close', () => {
            relayed.delete(a);
            b.destroy();
          });
          a.pipe(b);
        }
      });
      relay = server;
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, hubAddress, () => resolve());
      });
      const port = (server.address() as { port: number }).port;
      overrides.CCTV_HUB__enrolment__brokerUrl = `mqtt://${hubAddress}:${port}`;
    }

    // The town's cameras, already installed: they answer multicast probes on the standard port.
    const fleetFile = join(dir, 'town.yaml');
    writeFileSync(
      fleetFile,
      stringify({
        host: CAMERA_HOST,
        controlPort: null,
        discovery: { multicast: true },
        cameras: TOWN.map((c) => ({
          id: c.simId,
          name: c.name,
          username: 'admin',
          password: c.password,
          profile,
        })),
      }),
    );
    const sim = startInTown([
      process.execPath,
      '--import',
      'tsx',
      'test/simulators/camera/cli.ts',
      '--config',
      fleetFile,
    ]);
    const cameraFleetReady = eventually(
      'the town simulator to print its ten cameras',
      async () => {
        if (sim.child.exitCode !== null) throw new Error(`simulator exited: ${sim.output.stderr}`);
        try {
          const out = JSON.parse(sim.output.stdout) as { cameras: unknown[] };
          return out.cameras.length === TOWN.length ? true : undefined;
        } catch {
          return undefined;
        }
      },
      60_000,
    );
    // The hub starts while the cameras come up (kept for afterAll even if the cameras fail).
    await Promise.all([
      startHub(overrides).then((hub) => {
        h = hub;
      }),
      cameraFleetReady,
    ]);
    await h.createUser('town-op', 'operator');
    token = await h.login('town-op');
  }, 180_000);

  afterAll(async () => {
    for (const child of children) stop(child, 'SIGTERM');
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            const timer = setTimeout(() => {
              stop(child, 'SIGKILL');
              resolve();
            }, 5000);
            child.on('close', () => {
              clearTimeout(timer);
              resolve();
            });
          }),
      ),
    );
    for (const socket of relayed) socket.destroy();
    relay?.close();
    await h?.stop();
    try {
      execFileSync('ip', ['netns', 'del', NS], { stdio: 'pipe' });
    } catch {
      // not made
    }
    try {
      execFileSync('ip', ['link', 'del', VETH], { stdio: 'pipe' });
    } catch {
      // went with the namespace
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('registers the site, enrols the box, discovers, commissions, checks, runs and approves: ten cameras up', async () => {
    const steps = readmeSteps();
    // The README's order, which this test follows step by step.
    expect(steps.map((s) => (s.kind === 'note' ? '#' : s.args[0]))).toEqual([
      'enrol',
      'discover',
      '#',
      'discover',
      '#',
      'commission',
      'check',
      '--config',
    ]);
    const [enrolStep, discoverStep, , rediscoverStep, , commissionStep, checkStep, runStep] = steps;
    let code = '';
    /** A README command with its example values replaced by this run's. */
    const argsOf = (step: Step | undefined) => {
      if (step?.kind !== 'command') throw new Error('not a command');
      return step.args.map((a) =>
        a.replace(README_HUB, h.hub.url).replace(README_CODE, code).replaceAll(README_DIR, agentDir),
      );
    };
    const ids = Object.fromEntries(TOWN.map((c) => [c.name, `${siteId}-${slug(c.name)}`]));
    const wrongCredentials = ['Car Park', 'Park Gates'];
    const goodIds = TOWN.filter((c) => !wrongCredentials.includes(c.name)).map((c) => ids[c.name] as string);
    const allIds = Object.values(ids).sort();

    // 1. The operator registers the hub's council and the site (camera network included), and issues a code.
    const started = Date.now();
    /** Seconds from site creation at the end of each step, printed with the total. */
    const marks: string[] = [];
    const mark = (step: string) => marks.push(`${step} ${((Date.now() - started) / 1000).toFixed(1)}`);
    expect((await api('PUT', `/api/registry/hubs/${hubId}`, { name: 'West Cornwall hub' })).status).toBe(200);
    expect(
      (await api('PUT', `/api/registry/councils/${council}`, { name: 'Porthleven TC', hubId })).status,
    ).toBe(200);
    const created = await api<SiteRecord>('POST', '/api/registry/sites', {
      id: siteId,
      name: 'Porthleven',
      councilId: council,
      hubId,
      location: { lat: 50.0845, lon: -5.3157 },
      cameraNetworks: [CAMERA_NETWORK],
    });
    expect(created.status).toBe(201);
    const issued = await api<EnrolmentCodeIssued>('POST', `/api/registry/sites/${siteId}/enrolment-code`, {});
    expect(issued.status).toBe(201);
    code = issued.body.code;
    mark('registered');

    // 2. enrol on a fresh directory: the registry's facts and the site's broker credential.
    const enrolled = await agent(argsOf(enrolStep));
    expect(enrolled.stderr).toBe('');
    expect(enrolled.code).toBe(0);
    expect(enrolled.stdout).toContain(
      `Enrolled as site ${siteId} (Porthleven), council ${council}, hub ${hubId}.`,
    );
    const afterEnrol = await loadAgentConfig({ path: configPath, env: {} });
    expect(afterEnrol.config.site).toMatchObject({ id: siteId, councilId: council, hubId });
    expect(afterEnrol.config.cameras).toEqual([]);
    mark('enrolled');

    // 3. discover with the installer's password: ten found, two refuse it and are left out.
    const discovered = await agent(argsOf(discoverStep));
    expect(discovered.code, discovered.stderr).toBe(1);
    expect(discovered.stdout).toContain(
      'Found 10 devices: 8 opened, 2 wrong credentials, 0 without media service, 0 unreachable, 0 errors.',
    );
    for (const name of wrongCredentials) {
      // Not opened, so nothing more is known of it than where it is.
      expect(discovered.stdout).toMatch(
        new RegExp(
          `^WRONG CREDENTIALS\\s+${name}\\s+http://192\\.168\\.50\\.10:\\d+/onvif/device_service$`,
          'm',
        ),
      );
      expect(discovered.stdout).not.toContain(ids[name]);
    }
    expect(discovered.stdout.match(/: credentials refused: admin \(env CAM_PW\)$/gm)).toHaveLength(2);
    const added = (run: Run) =>
      [...run.stdout.matchAll(/^Added (\S+) \(password in /gm)].map((m) => m[1]).sort();
    expect(added(discovered)).toEqual([...goodIds].sort());
    expect(
      (await loadAgentConfig({ path: configPath, env: {} })).config.cameras.map((c) => c.id).sort(),
    ).toEqual([...goodIds].sort());

    // 4. Again with the other contractor's password as well: the two are added, the eight kept.
    const rediscovered = await agent(argsOf(rediscoverStep));
    expect(rediscovered.code, rediscovered.stderr).toBe(0);
    expect(rediscovered.stdout).toContain('Found 10 devices: 10 opened, 0 wrong credentials');
    expect(added(rediscovered)).toEqual(wrongCredentials.map((n) => ids[n]).sort());
    expect(rediscovered.stdout.match(/^Kept \S+ out: already listed as /gm)).toHaveLength(8);
    const written = await loadAgentConfig({ path: configPath, env: {} });
    expect(written.config.cameras.map((c) => c.id).sort()).toEqual(allIds);
    for (const c of TOWN) expect(written.secrets.cameraPasswords.get(ids[c.name] as string)).toBe(c.password);
    const configText = readFileSync(configPath, 'utf8');
    expect(configText).not.toContain(TOWN_PW);
    expect(configText).not.toContain(OTHER_PW);
    mark('discovered');

    // 5. The installer fills in each camera's commissioning (surveyed on site) in the config.
    const doc = parseDocument(configText);
    const cameras = doc.get('cameras');
    if (!isSeq(cameras)) throw new Error('cameras: is not a list');
    cameras.items.forEach((item, i) => {
      if (!isMap(item)) throw new Error('a camera is not a map');
      const wide = i % 2 === 0;
      item.set(
        'commissioning',
        doc.createNode({
          location: { lat: 50.0845 + i * 0.0002, lon: -5.3157 + i * 0.0003 },
          bearingDeg: (i * 37) % 360,
          hfovDeg: 60,
          // 320 px over 60 degrees: 34.6 px/m at 8 m (detect needs 25), 13.9 px/m at 20 m (monitor, 12.5).
          designDistanceM: wide ? 20 : 8,
          purpose: wide ? 'monitor' : 'detect',
        }),
      );
    });
    writeFileSync(configPath, doc.toString());

    // 6. commission --all: a record per camera at the hub, each meeting its purpose.
    const commissioned = await agent(argsOf(commissionStep), 180_000);
    expect(commissioned.code, `${commissioned.stdout}\n${commissioned.stderr}`).toBe(0);
    expect(commissioned.stdout.match(/^\S+: recorded at the hub\. .*: met$/gm)).toHaveLength(10);
    expect(commissioned.stdout).not.toContain('NOT recorded');
    mark('commissioned');

    // 7. check: every camera and the hub connection pass.
    const checked = await agent(argsOf(checkStep));
    expect(checked.code, `${checked.stdout}\n${checked.stderr}`).toBe(0);
    for (const id of allIds)
      expect(checked.stdout).toMatch(new RegExp(`^${id}\\s+ok\\s+ok\\s+ok\\s+ok\\s+ok$`, 'm'));
    expect(checked.stdout).toContain('MQTT: ok - connected to');
    expect(checked.stdout).toContain('Passed: 10 cameras and the hub connection.');
    mark('checked');

    // 8. The agent runs; the hub hears from every camera, each waiting as pending and commissioned.
    const running = startInTown(['npm', 'run', 'agent', '--', ...argsOf(runStep)]);
    const cameraViews = async () => (await api<CameraView[]>('GET', `/api/cameras?siteId=${siteId}`)).body;
    const reported = await eventually(
      'the running agent to report all ten cameras, pending at the hub',
      async () => {
        if (running.child.exitCode !== null) throw new Error(`the agent exited: ${running.output.stderr}`);
        const cams = await cameraViews();
        return cams.length === 10 && cams.every((c) => c.lastSeenAt !== null) ? cams : undefined;
      },
      60_000,
    );
    mark('reported');
    expect(Object.fromEntries(reported.map((c) => [c.id, c.approval]))).toEqual(
      Object.fromEntries(allIds.map((id) => [id, 'pending'])),
    );
    const pending = (
      await api<CameraApprovalView[]>('GET', `/api/registry/cameras?siteId=${siteId}&approval=pending`)
    ).body;
    expect(pending.map((c) => c.id).sort()).toEqual(allIds);
    expect(pending.every((c) => c.commissionedAt !== null)).toBe(true);
    const site = (await api<SiteRecord[]>('GET', '/api/registry/sites')).body.find((s) => s.id === siteId);
    expect(site).toMatchObject({
      link: 'online',
      enrolment: 'enrolled',
      pendingCameras: 10,
      approvedCameras: 0,
    });

    // 9. The operator approves each as commissioned; all ten turn up live.
    for (const id of allIds) {
      const approved = await api<{ approval: { approval: string } }>(
        'POST',
        `/api/registry/cameras/${id}/approve-commissioned`,
        {},
      );
      expect(approved.status, JSON.stringify(approved.body)).toBe(200);
      expect(approved.body.approval.approval).toBe('approved');
    }
    mark('approved');
    const live = await eventually(
      'all ten cameras approved and up at the hub',
      async () => {
        if (running.child.exitCode !== null) throw new Error(`the agent exited: ${running.output.stderr}`);
        const cams = await cameraViews();
        return cams.length === 10 && cams.every((c) => c.state === 'up' && c.approval === 'approved')
          ? cams
          : undefined;
      },
      60_000,
    ).catch(async (error: Error) => {
      const cams = await cameraViews();
      throw new Error(
        `${error.message}; at the hub: ${JSON.stringify(cams.map((c) => [c.id, c.state, c.approval, c.reasons]))}`,
      );
    });
    const seconds = (Date.now() - started) / 1000;
    console.log(
      `connect a town (${h.services.label}): site created to ${live.length} cameras live in ${seconds.toFixed(1)} s (${marks.join(', ')})`,
    );
    expect(live.map((c) => c.id).sort()).toEqual(allIds);
    // The streams lie in the camera network the registry holds for the site, so the hub takes the
    // agent's stream reports (one outside it would be refused, audited and alerted). The agent spreads
    // its first probes over a minute: the first report accepted, and none refused, says it for all
    // ten (one camera network, one address).
    const firstStream = await eventually(
      "the first camera's stream report accepted at the hub",
      async () => {
        const all = await Promise.all(allIds.map((id) => api<CameraDetail>('GET', `/api/cameras/${id}`)));
        return all.find((d) => d.status === 200 && d.body.stream !== null)?.body.stream ?? undefined;
      },
      90_000,
    );
    expect(firstStream.uri).toMatch(/^rtsp:\/\/192\.168\.50\.10:\d+\/cam\/cam\d+\/main$/);
    const refused = await api<AuditPage>('GET', '/api/audit?kind=site.refused&limit=100');
    expect(refused.body.entries.filter((e) => e.subject === `site:${siteId}`)).toEqual([]);
  }, 300_000);
});
