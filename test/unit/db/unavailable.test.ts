import { describe, expect, it } from 'vitest';
import { isDatabaseUnavailable } from '../../../hub-server/src/db/unavailable.ts';

describe('isDatabaseUnavailable', () => {
  const error = (fields: Record<string, unknown>) =>
    Object.assign(new Error(String(fields.message ?? 'x')), fields);
  it.each([
    [
      'a refused connection',
      error({ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:5432' }),
      true,
    ],
    ['a reset connection', error({ code: 'ECONNRESET' }), true],
    ['a dropped connection (pg)', error({ message: 'Connection terminated unexpectedly' }), true],
    [
      'PostgreSQL shutting down (57P01)',
      error({ code: '57P01', message: 'terminating connection due to administrator command' }),
      true,
    ],
    [
      'PostgreSQL starting up (57P03)',
      error({ code: '57P03', message: 'the database system is starting up' }),
      true,
    ],
    ['a connection exception (08006)', error({ code: '08006' }), true],
    ['a syntax error (42601)', error({ code: '42601', message: 'syntax error at or near "x"' }), false],
    ['a unique violation (23505)', error({ code: '23505' }), false],
    ['a plain error', new Error('something else'), false],
    ['not an error', 'ECONNREFUSED', false],
  ])('%s: %s', (_name, value, expected) => {
    expect(isDatabaseUnavailable(value)).toBe(expected);
  });
});
