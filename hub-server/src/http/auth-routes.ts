import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest, preHandlerHookHandler } from 'fastify';
import { LoginBody, LoginResponse } from '../../../src/schemas/api.ts';
import { Me, PasswordChange, SessionView } from '../../../src/schemas/auth-api.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import type { AuthService, SessionRecord } from '../auth/auth-service.ts';
import { hashPassword } from '../auth/passwords.ts';
import type { UserRepository } from '../repositories/user-repository.ts';
import { API_ERRORS, HttpError, passwordProblem } from './common.ts';

const errors = API_ERRORS;

export interface AuthRouteDeps {
  auth: AuthService;
  users: UserRepository;
  audit: AuditLog;
  now: () => number;
}

export function sessionView(session: SessionRecord, currentSid: string | undefined): SessionView {
  return {
    id: session.id,
    username: session.username,
    createdAt: session.createdAt.toISOString(),
    expiresAt: session.expiresAt.toISOString(),
    revokedAt: session.revokedAt?.toISOString() ?? null,
    revokedBy: session.revokedBy,
    ip: session.ip,
    current: session.id === currentSid,
  };
}

/**
 * The login route, outside the bearer-token scope. `limits` are rate-limit pre-handlers (per
 * address, and per address and user name) so password guessing is slowed to a crawl.
 */
export function loginRoute(
  app: FastifyInstance,
  deps: AuthRouteDeps,
  limits: {
    preHandler: preHandlerHookHandler[];
    succeeded: (request: FastifyRequest) => void | Promise<void>;
  },
): void {
  app.post(
    '/api/auth/login',
    {
      preHandler: limits.preHandler,
      schema: { security: [], body: LoginBody, response: { 200: LoginResponse, ...errors } },
    },
    async (request, reply) => {
      const { username, password } = request.body as LoginBody;
      const user = await deps.auth.checkPassword(username, password);
      if (!user) {
        // The name tried is recorded, never the password; the cause is for auditors only.
        const known = await deps.users.find(username);
        await deps.audit.append({
          kind: 'login.refused',
          actor: username,
          role: null,
          detail: {
            ip: request.ip,
            cause: !known ? 'unknown user' : known.disabled ? 'disabled' : 'wrong password',
          },
        });
        request.log.info({ username }, 'login refused');
        return reply.status(401).send({
          statusCode: 401,
          code: 'BAD_CREDENTIALS',
          error: 'Unauthorized',
          message: 'wrong user name or password',
        });
      }
      await limits.succeeded(request);
      const session = await deps.auth.openSession(user, {
        ip: request.ip,
        userAgent: request.headers['user-agent'],
      });
      // Recorded before the token is handed out: no session without its audit entry.
      await deps.audit.append({
        kind: 'login.success',
        actor: user.username,
        role: user.role,
        subject: { type: 'session', id: session.sessionId },
        detail: { ip: request.ip },
      });
      request.log.info({ username, role: user.role }, 'login');
      return {
        token: session.token,
        expiresAt: session.expiresAt.toISOString(),
        user: { username: user.username, role: user.role, councilIds: user.councilIds },
      };
    },
  );
}

/** The caller's own session: who am I, sign out, change my password, my sessions. */
export function authRoutes(api: FastifyInstance, deps: AuthRouteDeps): void {
  api.get('/api/auth/me', { schema: { response: { 200: Me, ...errors } } }, async (request) => {
    const claims = request.user;
    return {
      username: claims.sub,
      role: claims.role,
      councilIds: claims.councilIds,
      kind: claims.keyId ? ('apikey' as const) : ('session' as const),
      sessionId: claims.sid ?? null,
      expiresAt: claims.exp ? new Date(claims.exp * 1000).toISOString() : null,
    };
  });

  api.post(
    '/api/auth/logout',
    { schema: { response: { 204: Type.Null(), ...errors } } },
    async (request, reply) => {
      const sid = sessionOf(request);
      await deps.auth.revokeSession(sid, request.user.sub, request.user.sub);
      await deps.audit.append({
        kind: 'auth.logout',
        actor: request.user.sub,
        role: request.user.role,
        subject: { type: 'session', id: sid },
      });
      return reply.status(204).send();
    },
  );

  api.post(
    '/api/auth/password',
    {
      schema: {
        body: PasswordChange,
        response: { 200: Type.Object({ sessionsEnded: Type.Integer() }), ...errors },
      },
    },
    async (request) => {
      sessionOf(request);
      const { currentPassword, newPassword } = request.body as PasswordChange;
      const username = request.user.sub;
      const user = await deps.auth.checkPassword(username, currentPassword);
      if (!user) throw new HttpError(403, 'BAD_CREDENTIALS', 'current password is wrong');
      const problem = passwordProblem(newPassword, username);
      if (problem) throw new HttpError(400, 'WEAK_PASSWORD', problem);
      await deps.users.setPassword(username, await hashPassword(newPassword), new Date(deps.now()));
      // Every session ends, this one too: other devices signed in with the old password are out.
      const sessionsEnded = await deps.auth.revokeUserSessions(username, username);
      await deps.audit.append({
        kind: 'auth.password.change',
        actor: username,
        role: request.user.role,
        subject: { type: 'user', id: username },
        detail: { sessionsEnded },
      });
      return { sessionsEnded };
    },
  );

  api.get(
    '/api/auth/sessions',
    { schema: { response: { 200: Type.Array(SessionView), ...errors } } },
    async (request) => {
      const sid = sessionOf(request);
      return (await deps.auth.sessionsOf(request.user.sub)).map((s) => sessionView(s, sid));
    },
  );

  api.delete(
    '/api/auth/sessions/:id',
    {
      schema: {
        params: Type.Object({ id: Type.String({ format: 'uuid' }) }, { additionalProperties: false }),
        response: { 204: Type.Null(), ...errors },
      },
    },
    async (request, reply) => {
      const { id } = request.params as { id: string };
      // Operators may end anybody's session; others only their own.
      const owner = request.user.role === 'operator' ? undefined : request.user.sub;
      if (!(await deps.auth.revokeSession(id, request.user.sub, owner)))
        throw new HttpError(404, 'NOT_FOUND', `no open session ${id}`);
      await deps.audit.append({
        kind: 'auth.session.revoke',
        actor: request.user.sub,
        role: request.user.role,
        subject: { type: 'session', id },
      });
      return reply.status(204).send();
    },
  );
}

/** The caller's session id; API keys have none (they are revoked as keys). */
function sessionOf(request: FastifyRequest): string {
  const sid = request.user.sid;
  if (!sid)
    throw new HttpError(400, 'NOT_A_SESSION', 'this request is made with an API key, not a login session');
  return sid;
}
