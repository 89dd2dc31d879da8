import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Database } from '../../../hub-server/src/db/database.ts';

// The host is shared: nothing but the hub process may reach its embedded database (DESIGN, trust
// model). Another local account is played by `nobody`; it tries every socket the embedded database
// process listens on, speaking the PostgreSQL protocol as any client would, and must not get an
// answer to a query, nor read the database files. The same probe run as the hub's own user must
// succeed, so a refusal proves the boundary and not a broken probe. With DATABASE_URL set the hub
// uses real PostgreSQL, so the test starts the embedded database itself on both CI passes.

const OTHER_USER = ['--reuid=nobody', '--regid=nogroup', '--clear-groups'];

type Endpoint = { path: string } | { host: string; port: number };

// A PostgreSQL client small enough to pass to `node -e` with no modules (`nobody` may not read the
// repository): startup as user postgres, then one query on the hub's users table (password hashes).
// Prints `query-ok`, or how it was turned away.
const PROBE = String.raw`
const net = require('node:net');
const target = JSON.parse(process.argv[1]);
const done = (outcome) => { process.stdout.write(outcome); process.exit(0); };
const socket = 'path' in target ? net.connect(target.path) : net.connect(target.port, target.host);
socket.setTimeout(10000, () => done('timeout'));
socket.on('error', (error) => done('refused ' + error.code));
socket.on('close', () => done('closed'));
socket.on('connect', () => {
  const params = Buffer.from('user\0postgres\0database\0postgres\0\0');
  const head = Buffer.alloc(8);
  head.writeInt32BE(8 + params.length, 0);
  head.writeInt32BE(196608, 4);
  socket.write(Buffer.concat([head, params]));
});
let buffer = Buffer.alloc(0);
let asked = false;
socket.on('data', (data) => {
  buffer = Buffer.concat([buffer, data]);
  while (buffer.length >= 5 && buffer.length >= 1 + buffer.readInt32BE(1)) {
    const type = String.fromCharCode(buffer[0]);
    const body = buffer.subarray(5, 1 + buffer.readInt32BE(1));
    buffer = buffer.subarray(1 + buffer.readInt32BE(1));
    if (type === 'E') done('error ' + body.toString('latin1').replace(/\0/g, ' ').trim());
    if (type === 'R' && body.readInt32BE(0) !== 0) done('auth-required ' + body.readInt32BE(0));
    if (type === 'D') done('query-ok');
    if (type === 'Z' && !asked) {
      asked = true;
      const sql = Buffer.from('SELECT count(*) FROM users\0');
      const head = Buffer.alloc(5);
      head.write('Q');
      head.writeInt32BE(4 + sql.length, 1);
      socket.write(Buffer.concat([head, sql]));
    }
  }
});
`;

function runNode(script: string, args: string[], asOtherUser: boolean) {
  const command = asOtherUser ? 'setpriv' : process.execPath;
  const argv = asOtherUser
    ? [...OTHER_USER, process.execPath, '-e', script, ...args]
    : ['-e', script, ...args];
  return spawnSync(command, argv, { cwd: '/', encoding: 'utf8', timeout: 20_000 });
}

function probe(endpoint: Endpoint, asOtherUser: boolean): string {
  const result = runNode(PROBE, [JSON.stringify(endpoint)], asOtherUser);
  return result.stdout || `probe failed: ${result.error?.message ?? result.stderr}`;
}

/** Fails loudly (never skips) when this machine cannot act as another local user. */
function assertCanSwitchUser(): void {
  const result = runNode('process.stdout.write(String(process.getuid()))', [], true);
  const uid = Number(result.stdout);
  if (result.status !== 0 || !Number.isInteger(uid) || uid === process.getuid?.())
    throw new Error(
      `this test acts as another local user with \`setpriv ${OTHER_USER.join(' ')} node\` and could not ` +
        `(${result.error?.message ?? result.stderr.trim()}); run it as root on Linux with util-linux setpriv ` +
        'and a node binary that user may run',
    );
}

/** The embedded database's child process: the one process this test process started. */
function embeddedDatabasePid(): number {
  const children = readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        return ppid === process.pid && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('pglite-server');
      } catch {
        return false; // the process ended while being read
      }
    });
  expect(children).toHaveLength(1);
  return Number(children[0]);
}

function ipFromProcHex(hex: string): string {
  // /proc/net/tcp{,6} print addresses as 32-bit words in host (little-endian) byte order.
  const bytes = (hex.match(/.{8}/g) ?? []).flatMap((word) => (word.match(/../g) ?? []).reverse());
  if (bytes.length === 4) return bytes.map((b) => Number.parseInt(b, 16)).join('.');
  return (bytes.join('').match(/.{4}/g) ?? []).join(':');
}

/** Every TCP and Unix socket the process listens on, read from /proc (no cooperation asked of it). */
function listeningEndpoints(pid: number): Endpoint[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    const inode = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1];
    if (inode) inodes.add(inode);
  }
  const rows = (file: string) =>
    readFileSync(file, 'utf8')
      .split('\n')
      .slice(1)
      .map((line) => line.trim().split(/\s+/));
  const endpoints: Endpoint[] = [];
  for (const file of [`/proc/${pid}/net/tcp`, `/proc/${pid}/net/tcp6`]) {
    for (const [, local, , state, , , , , , inode] of rows(file)) {
      if (state !== '0A' || !inode || !inodes.has(inode) || !local) continue; // 0A: LISTEN
      const [address = '', port = ''] = local.split(':');
      const ip = ipFromProcHex(address);
      // A wildcard listener is reached through loopback, as another local account would.
      const host = ip === '0.0.0.0' ? '127.0.0.1' : /^[0:]+$/.test(ip) ? '::1' : ip;
      endpoints.push({ host, port: Number.parseInt(port, 16) });
    }
  }
  for (const [, , , flags, , state, inode, path] of rows(`/proc/${pid}/net/unix`)) {
    // Flags 00010000 (__SO_ACCEPTCON) and state 01: a listening socket. Abstract names start with @.
    if (flags !== '00010000' || state !== '01' || !inode || !inodes.has(inode) || !path) continue;
    endpoints.push({ path: path.startsWith('@') ? `\0${path.slice(1)}` : path });
  }
  return endpoints;
}

describe('embedded database: reachable by the hub process only', () => {
  let testDir = '';
  let db: Database;
  let dataDir = '';
  let endpoints: Endpoint[] = [];

  beforeAll(async () => {
    assertCanSwitchUser();
    // The test's own temporary directory must not be what keeps `nobody` out: open it, and leave
    // the database directory as an older hub (or a umask of 022) would have made it.
    testDir = mkdtempSync(join(tmpdir(), 'cctv-test-'));
    chmodSync(testDir, 0o755);
    dataDir = join(testDir, 'pglite');
    mkdirSync(dataDir, { mode: 0o755 });
    chmodSync(dataDir, 0o755);
    db = new Database({ url: null, dataDir, poolSize: 4 });
    await db.start();
    endpoints = listeningEndpoints(embeddedDatabasePid());
  }, 180_000);

  afterAll(async () => {
    await db?.stop();
    if (testDir) rmSync(testDir, { recursive: true, force: true });
  });

  it('serves the hub through its pool', async () => {
    expect(db.kind).toBe('pglite');
    const { rows } = await db.pool.query<{ users: number; near: boolean }>(
      `SELECT (SELECT count(*) FROM users)::int AS users,
              ST_DWithin(ST_MakePoint(-5.54, 50.12)::geography, ST_MakePoint(-5.53, 50.12)::geography, 1000) AS near`,
    );
    expect(rows).toEqual([{ users: 0, near: true }]);
  });

  it('refuses another local user on every socket it listens on', () => {
    expect(endpoints.length).toBeGreaterThan(0);
    const asHubUser = endpoints.map((endpoint) => [JSON.stringify(endpoint), probe(endpoint, false)]);
    expect(Object.fromEntries(asHubUser)).toEqual(
      Object.fromEntries(endpoints.map((endpoint) => [JSON.stringify(endpoint), 'query-ok'])),
    );
    for (const endpoint of endpoints) {
      const outcome = probe(endpoint, true);
      expect({ endpoint, outcome }).toEqual({
        endpoint,
        outcome: expect.stringMatching(/^(refused|error|closed)/),
      });
    }
  });

  it('keeps its files from other local users', () => {
    expect(existsSync(join(dataDir, 'PG_VERSION'))).toBe(true);
    expect((statSync(dataDir).mode & 0o777).toString(8)).toBe('700');
    const read = runNode(
      `try { require('node:fs').readFileSync(process.argv[1]); process.stdout.write('read') }
       catch (error) { process.stdout.write(error.code) }`,
      [join(dataDir, 'PG_VERSION')],
      true,
    );
    expect(read.stdout).toBe('EACCES');
  });

  it('keeps serving through a signal until the hub stops it (Ctrl-C signals the whole group)', async () => {
    // Ctrl-C, `timeout` or a service manager signals every process of the hub: the database's
    // process must not go before the hub's ordered stop (ingest drained first, the database last).
    const pid = embeddedDatabasePid();
    process.kill(pid, 'SIGINT');
    process.kill(pid, 'SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const { rows } = await db.pool.query<{ one: number }>('SELECT 1 AS one');
    expect(rows).toEqual([{ one: 1 }]);
    expect(existsSync(`/proc/${pid}`)).toBe(true);
    // The hub's stop then ends it at once, not after the signal's grace.
    const stopStarted = Date.now();
    await db.stop();
    expect(existsSync(`/proc/${pid}`)).toBe(false);
    expect(Date.now() - stopStarted).toBeLessThan(10_000);
  });

  it('removes its socket when it stops', async () => {
    await db.stop();
    const paths = endpoints.flatMap((endpoint) => ('path' in endpoint ? [endpoint.path] : []));
    expect(paths.length).toBeGreaterThan(0);
    for (const path of paths) expect(existsSync(dirname(path))).toBe(false);
  });
});
