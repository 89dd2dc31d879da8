import type { Role } from '../../../src/schemas/api.ts';
import { ApiError } from '../../../src/schemas/api.ts';
import { MIN_PASSWORD_LENGTH } from '../../../src/schemas/auth-api.ts';
import type { TokenClaims } from '../auth/auth-service.ts';
import type { Scope } from '../repositories/fleet-repository.ts';

export type { TokenClaims };

export const ApiErrorSchema = ApiError;

/** The error answers any authenticated route can give (every one is rate limited and size limited). */
export const API_ERRORS = {
  400: ApiError,
  401: ApiError,
  403: ApiError,
  404: ApiError,
  409: ApiError,
  413: ApiError,
  429: ApiError,
} as const;

/** Council scope of a caller: council officers see their councils only; null sees all. */
export function scopeOf(claims: TokenClaims): Scope {
  return claims.role === 'council' ? claims.councilIds : null;
}

/** Why a new password is refused, or null. Length is checked by the schema too; this says why. */
export function passwordProblem(password: string, username: string): string | null {
  if (password.length < MIN_PASSWORD_LENGTH)
    return `password must have at least ${MIN_PASSWORD_LENGTH} characters`;
  if (password.toLowerCase().includes(username.toLowerCase()))
    return 'password must not contain the user name';
  if (new Set(password).size < 5) return 'password must use at least 5 different characters';
  return null;
}

/** A client error with a stable code; the app's error handler turns it into the error body. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: 400 | 401 | 403 | 404 | 409 | 503,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

type ScopeKind = 'fleet' | 'hub' | 'council' | 'site' | 'camera';

/**
 * Cameras of a report scope within the caller's councils. Unknown and out-of-scope ids are both
 * 404, so nothing leaks about other councils.
 */
export async function camerasInScope(
  fleet: { cameraIdsIn: (kind: ScopeKind, id: string | null, scope: Scope) => Promise<string[]> },
  claims: TokenClaims,
  kind: ScopeKind,
  id: string | undefined,
): Promise<string[]> {
  if (kind !== 'fleet' && !id) throw new HttpError(400, 'BAD_SCOPE', `scope ${kind} needs an id`);
  const ids = await fleet.cameraIdsIn(kind, id ?? null, scopeOf(claims));
  if (kind !== 'fleet' && ids.length === 0) throw new HttpError(404, 'NOT_FOUND', `${kind} ${id} not found`);
  return ids;
}

/** Refuses (403) a role the route is not for, saying which roles it is for. */
export function assertRole(claims: TokenClaims, roles: readonly Role[], what: string): void {
  if (!roles.includes(claims.role))
    throw new HttpError(403, 'FORBIDDEN', `${what} is for ${roles.join(', ')} users, not ${claims.role}`);
}
