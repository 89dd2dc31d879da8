import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHub } from '../../support/hub-harness.ts';
import { type TestServices, testServices } from '../../support/services.ts';

// Outside demo mode a hub has no users and no default password: the first operator is made with
// `npm run user`, whose generated password (printed once) then signs in to a real hub.

describe('npm run user: the first operator of a hub', () => {
  let services: TestServices;
  let env: Record<string, string>;

  const run = (args: string[], extra: Record<string, string> = {}) =>
    new Promise<{ code: number; out: string; err: string }>((resolve) => {
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', 'hub-server/src/auth/user-command.ts', ...args],
        {
          env: { ...process.env, ...env, ...extra },
        },
      );
      let out = '';
      let err = '';
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString();
      });
      child.stderr.on('data', (c: Buffer) => {
        err += c.toString();
      });
      child.on('close', (code) => resolve({ code: code ?? -1, out, err }));
    });

  beforeAll(async () => {
    services = await testServices();
    env = { DEMO: '0', CCTV_HUB__database__dataDir: join(services.dataDir, 'pglite') };
    if (services.databaseUrl) env.DATABASE_URL = services.databaseUrl;
  });

  afterAll(async () => {
    await services?.cleanup();
  });

  it('creates an operator with a generated password, refuses bad requests, and the password signs in', async () => {
    const made = await run(['add', 'chief', '--role', 'operator']);
    expect(made.err).toBe('');
    expect(made.code).toBe(0);
    const password = /password \(shown once\): (\S+)/.exec(made.out)?.[1] ?? '';
    expect(password).toMatch(/^[A-Za-z0-9_-]{24}$/);

    const again = await run(['add', 'chief', '--role', 'operator']);
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/already exists/);
    const noCouncil = await run(['add', 'officer', '--role', 'council']);
    expect(noCouncil.code).toBe(1);
    expect(noCouncil.err).toMatch(/--council/);
    const weak = await run(['reset-password', 'chief'], { CCTV_NEW_PASSWORD: 'short' });
    expect(weak.code).toBe(1);
    expect(weak.err).toMatch(/at least 12 characters/);
    const badName = await run(['add', "x'; DROP TABLE users; --", '--role', 'auditor']);
    expect(badName.code).toBe(1);

    // The hub on the same database: the printed password works, nothing else does.
    const h = await startHub(
      env.DATABASE_URL
        ? { DATABASE_URL: env.DATABASE_URL }
        : { CCTV_HUB__database__dataDir: env.CCTV_HUB__database__dataDir as string },
    );
    try {
      await expect(h.login('chief', 'demo')).rejects.toThrow(/401/);
      const token = await h.login('chief', password);
      const users = await fetch(`${h.hub.url}/api/users`, { headers: { authorization: `Bearer ${token}` } });
      expect(users.status).toBe(200);
      expect(((await users.json()) as { username: string }[]).map((u) => u.username)).toEqual(['chief']);
      const audit = await h.hub.database.pool.query<{ actor: string; subject: string }>(
        "SELECT actor, subject FROM audit_log WHERE kind = 'config.user.create'",
      );
      expect(audit.rows).toEqual([{ actor: 'command-line', subject: 'user:chief' }]);
      // Nothing the command printed reached the hub's logs.
      expect(h.logs.join('\n')).not.toContain(password);
    } finally {
      await h.stop();
    }
  });
});
