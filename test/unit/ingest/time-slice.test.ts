import { describe, expect, it } from 'vitest';
import { TimeSlice } from '../../../hub-server/src/time-slice.ts';

const busy = (ms: number) => {
  const until = performance.now() + ms;
  while (performance.now() < until);
};

describe('TimeSlice', () => {
  it('asks for no turn while the slice is short', () => {
    const slice = new TimeSlice(60_000);
    busy(2);
    expect(slice.due()).toBeUndefined();
  });

  it('asks for a turn once the slice has run its time, and the turn lets waiting work run', async () => {
    const slice = new TimeSlice(1);
    busy(3);
    let ran = false;
    setImmediate(() => {
      ran = true;
    });
    const turn = slice.due();
    expect(turn).toBeInstanceOf(Promise);
    await turn;
    expect(ran).toBe(true);
  });

  it('starts a new slice after a turn and on restart', async () => {
    const slice = new TimeSlice(200);
    busy(210);
    await slice.due();
    expect(slice.due()).toBeUndefined();
    const other = new TimeSlice(5);
    busy(10);
    other.restart();
    expect(other.due()).toBeUndefined();
  });
});
