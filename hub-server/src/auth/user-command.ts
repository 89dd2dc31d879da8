/**
 * Manages hub users from the command line, against the database the hub uses (DATABASE_URL, else
 * the embedded database directory; stop the hub first, the embedded database serves one process).
 * This is how the first operator of a hub outside demo mode is made: there are no default users or
 * passwords. Passwords are generated and printed once (or read from the CCTV_NEW_PASSWORD
 * environment variable); they are never taken as arguments, which shells keep in their history.
 *
 *   npm run user -- add <username> --role operator|council|controlroom|auditor [--council <id>]...
 *   npm run user -- reset-password <username>
 *   npm run user -- disable <username> | enable <username>
 *   npm run user -- list
 *
 * Exit 0: done; 1: refused (with the reason); 2: could not run.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError } from '../../../src/config/resolve.ts';
import type { Role } from '../../../src/schemas/api.ts';
import { AuditLog } from '../audit/audit-log.ts';
import { loadHubConfig } from '../config.ts';
import { Database } from '../db/database.ts';
import { passwordProblem } from '../http/common.ts';
import { UserRepository } from '../repositories/user-repository.ts';
import { hashPassword } from './passwords.ts';

const ROLES: readonly Role[] = ['operator', 'council', 'controlroom', 'auditor'];
const USERNAME = /^[a-z0-9][a-z0-9._@-]{0,99}$/;
const ACTOR = 'command-line';

class Refused extends Error {}

function newPassword(username: string): { password: string; generated: boolean } {
  const given = process.env.CCTV_NEW_PASSWORD;
  if (given) {
    const problem = passwordProblem(given, username);
    if (problem) throw new Refused(`CCTV_NEW_PASSWORD: ${problem}`);
    return { password: given, generated: false };
  }
  return { password: randomBytes(18).toString('base64url'), generated: true };
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      role: { type: 'string' },
      council: { type: 'string', multiple: true },
      config: { type: 'string' },
    },
  });
  const [command, username] = positionals;
  const config = loadHubConfig(values.config ? ['--config', values.config] : [], process.env);
  if (!command || !['add', 'reset-password', 'disable', 'enable', 'list'].includes(command))
    throw new Refused(
      'usage: user add|reset-password|disable|enable|list [username] [--role r] [--council id]',
    );
  if (command !== 'list' && (!username || !USERNAME.test(username)))
    throw new Refused(`user name ${JSON.stringify(username ?? '')} must be 1-100 of a-z 0-9 . _ @ -`);
  if (!config.database.url && existsSync(join(config.database.dataDir, 'postmaster.pid')))
    throw new Refused(
      `the embedded database in ${config.database.dataDir} is in use: stop the hub first, or use the users API`,
    );

  const db = new Database({
    url: config.database.url,
    dataDir: config.database.dataDir,
    poolSize: 1,
    log: () => {},
  });
  await db.start();
  try {
    const users = new UserRepository(db.pool);
    const audit = new AuditLog(db.pool);
    const name = username as string;
    const at = new Date();
    switch (command) {
      case 'list': {
        for (const u of await users.list())
          process.stdout.write(
            `${u.username}\t${u.role}\t${u.councilIds.join(',') || '-'}\t${u.disabled ? 'disabled' : 'enabled'}\n`,
          );
        return 0;
      }
      case 'add': {
        const role = values.role as Role | undefined;
        if (!role || !ROLES.includes(role)) throw new Refused(`--role must be one of ${ROLES.join(', ')}`);
        const councilIds = values.council ?? [];
        if (role === 'council' && councilIds.length === 0)
          throw new Refused('a council officer needs --council <id> (one or more)');
        if (role !== 'council' && councilIds.length > 0) throw new Refused(`role ${role} takes no --council`);
        const { password, generated } = newPassword(name);
        const created = await users.create(
          { username: name, passwordHash: await hashPassword(password), role, councilIds },
          at,
        );
        if (!created) throw new Refused(`user ${name} already exists (use reset-password)`);
        await audit.append({
          kind: 'config.user.create',
          actor: ACTOR,
          role: null,
          subject: { type: 'user', id: name },
          detail: { userRole: role, councilIds, passwordGenerated: generated },
        });
        process.stdout.write(
          generated
            ? `created ${role} ${name}; password (shown once): ${password}\n`
            : `created ${role} ${name}\n`,
        );
        return 0;
      }
      case 'reset-password': {
        const { password, generated } = newPassword(name);
        if (!(await users.setPassword(name, await hashPassword(password), at)))
          throw new Refused(`no user ${name}`);
        await db.pool.query(
          'UPDATE auth_sessions SET revoked_at = $2, revoked_by = $3 WHERE username = $1 AND revoked_at IS NULL',
          [name, at, ACTOR],
        );
        await audit.append({
          kind: 'config.user.password',
          actor: ACTOR,
          role: null,
          subject: { type: 'user', id: name },
          detail: { passwordGenerated: generated },
        });
        process.stdout.write(
          generated ? `new password for ${name} (shown once): ${password}\n` : `password of ${name} set\n`,
        );
        return 0;
      }
      default: {
        const disabled = command === 'disable';
        const user = await users.find(name);
        if (!user) throw new Refused(`no user ${name}`);
        await users.update(name, { disabled });
        if (disabled)
          await db.pool.query(
            'UPDATE auth_sessions SET revoked_at = $2, revoked_by = $3 WHERE username = $1 AND revoked_at IS NULL',
            [name, at, ACTOR],
          );
        await audit.append({
          kind: 'config.user.update',
          actor: ACTOR,
          role: null,
          subject: { type: 'user', id: name },
          detail: { before: { disabled: user.disabled }, after: { disabled } },
        });
        process.stdout.write(`${name} ${disabled ? 'disabled' : 'enabled'}\n`);
        return 0;
      }
    }
  } finally {
    await db.stop();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof Refused) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    const known = error instanceof ConfigError;
    process.stderr.write(`the user command could not run: ${known ? error.message : String(error)}\n`);
    process.exit(2);
  },
);
