import { randomBytes } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Role } from '../../../src/schemas/api.ts';
import {
  ApiKeyCreate,
  ApiKeyCreated,
  ApiKeyView,
  PasswordReset,
  SessionView,
  UserCreate,
  UserCreated,
  Username,
  UserUpdate,
  UserView,
} from '../../../src/schemas/auth-api.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import type { ApiKeyRecord, AuthService } from '../auth/auth-service.ts';
import { hashPassword } from '../auth/passwords.ts';
import type { UserRecord, UserRepository } from '../repositories/user-repository.ts';
import { sessionView } from './auth-routes.ts';
import { API_ERRORS, assertRole, HttpError, passwordProblem } from './common.ts';

const errors = API_ERRORS;
const UserParams = Type.Object({ username: Username }, { additionalProperties: false });
const KeyParams = Type.Object(
  { id: Type.String({ pattern: '^[a-z0-9]{12}$' }) },
  { additionalProperties: false },
);

export interface UserRouteDeps {
  auth: AuthService;
  users: UserRepository;
  audit: AuditLog;
  councilExists: (id: string) => Promise<boolean>;
  now: () => number;
}

const iso = (d: Date | null | undefined) => d?.toISOString() ?? null;

function userView(user: UserRecord): UserView {
  return {
    username: user.username,
    role: user.role,
    councilIds: user.councilIds,
    disabled: user.disabled,
    createdAt: iso(user.createdAt),
    passwordChangedAt: iso(user.passwordChangedAt),
    lastLoginAt: iso(user.lastLoginAt),
  };
}

function keyView(key: ApiKeyRecord): ApiKeyView {
  return {
    id: key.id,
    name: key.name,
    role: key.role,
    councilIds: key.councilIds,
    createdBy: key.createdBy,
    createdAt: key.createdAt.toISOString(),
    expiresAt: iso(key.expiresAt),
    revokedAt: iso(key.revokedAt),
    lastUsedAt: iso(key.lastUsedAt),
  };
}

/** A generated password: 144 random bits, readable (base64url). */
const generatePassword = () => randomBytes(18).toString('base64url');

const operatorOnly = async (request: FastifyRequest) =>
  assertRole(request.user, ['operator'], 'managing users and API keys');

/**
 * Users and API keys, managed by hub operators. A council officer must name at least one existing
 * council and other roles none; the last enabled operator cannot be removed, disabled or demoted;
 * changing a user's role, councils, password or disabling them ends their sessions. Every change
 * is audited; passwords and key secrets never are.
 */
export function userRoutes(api: FastifyInstance, deps: UserRouteDeps): void {
  const checkCouncils = async (role: Role, councilIds: string[]) => {
    if (role === 'council' && councilIds.length === 0)
      throw new HttpError(400, 'BAD_COUNCILS', 'a council officer needs at least one council in councilIds');
    if (role !== 'council' && councilIds.length > 0)
      throw new HttpError(
        400,
        'BAD_COUNCILS',
        `role ${role} is not limited to councils: councilIds must be empty`,
      );
    for (const id of councilIds)
      if (!(await deps.councilExists(id)))
        throw new HttpError(400, 'BAD_COUNCILS', `council ${id} does not exist`);
  };
  const find = async (username: string) => {
    const user = await deps.users.find(username);
    if (!user) throw new HttpError(404, 'NOT_FOUND', `user ${username} not found`);
    return user;
  };
  const keepAnOperator = async (user: UserRecord, what: string) => {
    if (user.role === 'operator' && !user.disabled && (await deps.users.activeOperators()) <= 1)
      throw new HttpError(409, 'LAST_OPERATOR', `${what} would leave the hub without an enabled operator`);
  };

  api.get(
    '/api/users',
    { preHandler: operatorOnly, schema: { response: { 200: Type.Array(UserView), ...errors } } },
    async () => (await deps.users.list()).map(userView),
  );

  api.get(
    '/api/users/:username',
    { preHandler: operatorOnly, schema: { params: UserParams, response: { 200: UserView, ...errors } } },
    async (request) => userView(await find((request.params as { username: string }).username)),
  );

  api.post(
    '/api/users',
    { preHandler: operatorOnly, schema: { body: UserCreate, response: { 201: UserCreated, ...errors } } },
    async (request, reply) => {
      const body = request.body as UserCreate;
      await checkCouncils(body.role, body.councilIds);
      const password = body.password ?? generatePassword();
      const problem = passwordProblem(password, body.username);
      if (problem) throw new HttpError(400, 'WEAK_PASSWORD', problem);
      const created = await deps.users.create(
        {
          username: body.username,
          passwordHash: await hashPassword(password),
          role: body.role,
          councilIds: body.councilIds,
        },
        new Date(deps.now()),
      );
      if (!created) throw new HttpError(409, 'USER_EXISTS', `user ${body.username} already exists`);
      await deps.audit.append({
        kind: 'config.user.create',
        actor: request.user.sub,
        role: request.user.role,
        subject: { type: 'user', id: created.username },
        detail: { userRole: created.role, councilIds: created.councilIds, passwordGenerated: !body.password },
      });
      return reply
        .status(201)
        .send({ user: userView(created), password: body.password ? null : password, sessionsEnded: 0 });
    },
  );

  api.patch(
    '/api/users/:username',
    {
      preHandler: operatorOnly,
      schema: { params: UserParams, body: UserUpdate, response: { 200: UserCreated, ...errors } },
    },
    async (request) => {
      const { username } = request.params as { username: string };
      const change = request.body as UserUpdate;
      const user = await find(username);
      const role = change.role ?? user.role;
      const councilIds = change.councilIds ?? (role === 'council' ? user.councilIds : []);
      await checkCouncils(role, councilIds);
      if ((change.role && change.role !== 'operator') || change.disabled === true)
        await keepAnOperator(user, `changing ${username}`);
      const updated = await deps.users.update(username, { role, councilIds, disabled: change.disabled });
      if (!updated) throw new HttpError(404, 'NOT_FOUND', `user ${username} not found`);
      const narrowed =
        updated.role !== user.role ||
        updated.disabled !== user.disabled ||
        updated.councilIds.join() !== user.councilIds.join();
      // Tokens carry the role and councils: a change takes effect by ending the user's sessions.
      const sessionsEnded = narrowed ? await deps.auth.revokeUserSessions(username, request.user.sub) : 0;
      await deps.audit.append({
        kind: 'config.user.update',
        actor: request.user.sub,
        role: request.user.role,
        subject: { type: 'user', id: username },
        detail: {
          before: { role: user.role, councilIds: user.councilIds, disabled: user.disabled },
          after: { role: updated.role, councilIds: updated.councilIds, disabled: updated.disabled },
          sessionsEnded,
        },
      });
      return { user: userView(updated), password: null, sessionsEnded };
    },
  );

  api.post(
    '/api/users/:username/password',
    {
      preHandler: operatorOnly,
      schema: { params: UserParams, body: PasswordReset, response: { 200: UserCreated, ...errors } },
    },
    async (request) => {
      const { username } = request.params as { username: string };
      const body = (request.body ?? {}) as PasswordReset;
      const user = await find(username);
      const password = body.password ?? generatePassword();
      const problem = passwordProblem(password, username);
      if (problem) throw new HttpError(400, 'WEAK_PASSWORD', problem);
      await deps.users.setPassword(username, await hashPassword(password), new Date(deps.now()));
      const sessionsEnded = await deps.auth.revokeUserSessions(username, request.user.sub);
      await deps.audit.append({
        kind: 'config.user.password',
        actor: request.user.sub,
        role: request.user.role,
        subject: { type: 'user', id: username },
        detail: { passwordGenerated: !body.password, sessionsEnded },
      });
      return { user: userView(user), password: body.password ? null : password, sessionsEnded };
    },
  );

  api.delete(
    '/api/users/:username',
    { preHandler: operatorOnly, schema: { params: UserParams, response: { 204: Type.Null(), ...errors } } },
    async (request, reply) => {
      const { username } = request.params as { username: string };
      if (username === request.user.sub)
        throw new HttpError(409, 'SELF', 'an operator cannot remove their own account');
      const user = await find(username);
      await keepAnOperator(user, `removing ${username}`);
      await deps.auth.revokeUserSessions(username, request.user.sub);
      await deps.users.remove(username);
      await deps.audit.append({
        kind: 'config.user.delete',
        actor: request.user.sub,
        role: request.user.role,
        subject: { type: 'user', id: username },
        detail: { userRole: user.role, councilIds: user.councilIds },
      });
      return reply.status(204).send();
    },
  );

  api.get(
    '/api/users/:username/sessions',
    {
      preHandler: operatorOnly,
      schema: { params: UserParams, response: { 200: Type.Array(SessionView), ...errors } },
    },
    async (request) => {
      const { username } = request.params as { username: string };
      await find(username);
      return (await deps.auth.sessionsOf(username)).map((s) => sessionView(s, request.user.sid));
    },
  );

  api.get(
    '/api/api-keys',
    { preHandler: operatorOnly, schema: { response: { 200: Type.Array(ApiKeyView), ...errors } } },
    async () => (await deps.auth.listKeys()).map(keyView),
  );

  api.post(
    '/api/api-keys',
    { preHandler: operatorOnly, schema: { body: ApiKeyCreate, response: { 201: ApiKeyCreated, ...errors } } },
    async (request, reply) => {
      const body = request.body as ApiKeyCreate;
      await checkCouncils(body.role, body.councilIds);
      const expiresAt = body.expiresAt ? new Date(body.expiresAt) : null;
      if (expiresAt && expiresAt.getTime() <= deps.now())
        throw new HttpError(400, 'BAD_EXPIRY', 'expiresAt must be in the future');
      const { key, record } = await deps.auth.createKey({
        name: body.name,
        role: body.role,
        councilIds: body.councilIds,
        expiresAt,
        createdBy: request.user.sub,
      });
      await deps.audit.append({
        kind: 'config.apikey.create',
        actor: request.user.sub,
        role: request.user.role,
        subject: { type: 'apikey', id: record.id },
        detail: {
          name: record.name,
          keyRole: record.role,
          councilIds: record.councilIds,
          expiresAt: iso(expiresAt),
        },
      });
      return reply.status(201).send({ key, apiKey: keyView(record) });
    },
  );

  api.delete(
    '/api/api-keys/:id',
    { preHandler: operatorOnly, schema: { params: KeyParams, response: { 204: Type.Null(), ...errors } } },
    async (request, reply) => {
      const { id } = request.params as { id: string };
      if (!(await deps.auth.revokeKey(id, request.user.sub)))
        throw new HttpError(404, 'NOT_FOUND', `no unrevoked API key ${id}`);
      await deps.audit.append({
        kind: 'config.apikey.revoke',
        actor: request.user.sub,
        role: request.user.role,
        subject: { type: 'apikey', id },
      });
      return reply.status(204).send();
    },
  );
}
