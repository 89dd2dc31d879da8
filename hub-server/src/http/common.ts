import type { Role } from '../../../src/schemas/api.ts';
import { ApiError } from '../../../src/schemas/api.ts';
import type { Scope } from '../repositories/fleet-repository.ts';

export interface TokenClaims {
  sub: string;
  role: Role;
  councilIds: string[];
}

export const ApiErrorSchema = ApiError;

/** Council scope of a caller: council officers see their councils only; null sees all. */
export function scopeOf(claims: TokenClaims): Scope {
  return claims.role === 'council' ? claims.councilIds : null;
}
