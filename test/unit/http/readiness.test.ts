import { describe, expect, it } from 'vitest';
import { CachedCheck } from '../../../hub-server/src/http/readiness.ts';

describe('cached readiness check', () => {
  it('answers from the latest result without waiting for a slow check, and refreshes in the background', async () => {
    let t = 0;
    let calls = 0;
    let release: (ok: boolean) => void = () => {};
    const check = new CachedCheck(
      () => {
        calls++;
        return new Promise<boolean>((r) => {
          release = r;
        });
      },
      1000,
      3000,
      () => t,
    );
    const first = check.read();
    release(true);
    expect(await first).toBe(true);
    t = 1500;
    // Stale: a background check starts, the caller gets the last answer at once.
    expect(await check.read()).toBe(true);
    expect(calls).toBe(2);
    t = 2000;
    expect(await check.read()).toBe(true);
    expect(calls).toBe(2);
    // The background check has not answered for longer than hangMs: not ready.
    t = 5000;
    expect(await check.read()).toBe(false);
    release(false);
    await new Promise((r) => setImmediate(r));
    t = 5100;
    expect(await check.read()).toBe(false);
  });

  it('reports a failing check as not ready', async () => {
    const check = new CachedCheck(() => Promise.reject(new Error('down')));
    expect(await check.read()).toBe(false);
  });
});
