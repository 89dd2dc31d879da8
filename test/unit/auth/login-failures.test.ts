import { describe, expect, it } from 'vitest';
import { LoginFailures } from '../../../hub-server/src/auth/login-failures.ts';

describe('login failures', () => {
  it('counts failures inside the window only, and says when the oldest leaves it', () => {
    let now = 1_000_000;
    const f = new LoginFailures(60_000, () => now);
    f.add('k');
    now += 10_000;
    f.add('k');
    expect(f.count('k')).toBe(2);
    expect(f.retryAfterMs('k')).toBe(50_000);
    now += 50_000;
    expect(f.count('k')).toBe(1);
    now += 10_000;
    expect(f.count('k')).toBe(0);
    expect(f.retryAfterMs('k')).toBe(0);
  });

  it('takes back an attempt that succeeded, and clears a key', () => {
    const f = new LoginFailures(60_000, () => 5);
    f.add('addr');
    f.add('addr');
    f.removeLatest('addr');
    expect(f.count('addr')).toBe(1);
    f.add('user');
    f.clear('user');
    expect(f.count('user')).toBe(0);
  });

  it('holds at most maxKeys keys, dropping the least recently failed', () => {
    const f = new LoginFailures(60_000, () => 5, 3);
    for (const k of ['a', 'b', 'c']) f.add(k);
    f.add('a');
    f.add('d');
    expect(['a', 'b', 'c', 'd'].map((k) => f.count(k))).toEqual([2, 0, 1, 1]);
  });
});
