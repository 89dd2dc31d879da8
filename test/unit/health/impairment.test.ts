import { describe, expect, it } from 'vitest';
import { AgentConfig } from '../../../src/config/agent-config.ts';
import { defaultsOf } from '../../../src/config/resolve.ts';
import {
  DEFAULT_IMPAIRMENT_LIMITS,
  judgeFailedCheck,
  judgeWindow,
  type MonitorReading,
} from '../../../src/health/impairment.ts';

const at = (atMs: number, loopLostMs: number, cpuWaitMs: number | null = null): MonitorReading => ({
  atMs,
  loopLostMs,
  cpuWaitMs,
});

describe('judgeWindow', () => {
  const cases: {
    name: string;
    start: MonitorReading;
    end: MonitorReading;
    impaired: boolean;
    detail?: RegExp;
  }[] = [
    { name: 'nothing lost', start: at(0, 0, 0), end: at(5_000, 0, 0), impaired: false },
    { name: 'a little jitter', start: at(0, 100, 0), end: at(5_000, 300, 500), impaired: false },
    {
      name: 'loop stalled for a fifth of the window',
      start: at(0, 0),
      end: at(5_000, 1_000),
      impaired: true,
      detail: /event loop was stalled for 1\.0 s of the 5\.0 s window/,
    },
    {
      name: 'loop stalled longer than the deadline',
      start: at(1_000, 50),
      end: at(7_500, 6_050),
      impaired: true,
      detail: /stalled for 6\.0 s of the 6\.5 s window/,
    },
    {
      name: 'host CPU contended for most of the window',
      start: at(0, 0, 10_000),
      end: at(10_000, 0, 17_000),
      impaired: true,
      detail: /processes waited for a CPU for 70% of the window/,
    },
    {
      name: 'host CPU contended for under half',
      start: at(0, 0, 0),
      end: at(10_000, 0, 4_000),
      impaired: false,
    },
    {
      name: 'no CPU pressure figure at the end',
      start: at(0, 0, 0),
      end: at(10_000, 0, null),
      impaired: false,
    },
    { name: 'an empty window', start: at(5_000, 0, 0), end: at(5_000, 0, 0), impaired: false },
  ];
  it.each(cases)('$name', ({ start, end, impaired, detail }) => {
    const judged = judgeWindow(start, end);
    expect(judged.impaired).toBe(impaired);
    if (detail) expect(judged.detail).toMatch(detail);
    else expect(judged.detail).toBeNull();
  });

  it('reports the CPU pressure share and the lost time', () => {
    const judged = judgeWindow(at(0, 0, 0), at(4_000, 200, 1_000));
    expect(judged).toMatchObject({ windowMs: 4_000, loopLostMs: 200, cpuWaitShare: 0.25, impaired: false });
  });

  it('takes limits from the caller', () => {
    expect(
      judgeWindow(at(0, 0), at(1_000, 100), { maxLoopLostShare: 0.05, maxCpuWaitShare: 1 }).impaired,
    ).toBe(true);
  });
});

it("the agent config's defaults are the judgement's", () => {
  expect((defaultsOf(AgentConfig) as AgentConfig).impairment).toEqual(DEFAULT_IMPAIRMENT_LIMITS);
});

describe('judgeFailedCheck', () => {
  const impaired = judgeWindow(at(0, 0), at(2_000, 1_800));
  const healthy = judgeWindow(at(0, 0), at(2_000, 0));
  const cases = [
    { name: 'timeout while impaired', deadlineExpired: true, window: impaired, kind: 'inconclusive' },
    { name: 'timeout while healthy', deadlineExpired: true, window: healthy, kind: 'definite' },
    // Connection refused, credentials rejected, an error reply: the camera answered, whatever the load.
    { name: 'definite failure while impaired', deadlineExpired: false, window: impaired, kind: 'definite' },
    { name: 'definite failure while healthy', deadlineExpired: false, window: healthy, kind: 'definite' },
  ] as const;
  it.each(cases)('$name', ({ deadlineExpired, window, kind }) => {
    const verdict = judgeFailedCheck({ deadlineExpired, message: 'no answer within 1500 ms' }, window);
    expect(verdict.kind).toBe(kind);
    if (verdict.kind === 'inconclusive') {
      expect(verdict.message).toMatch(
        /^inconclusive, not counted against the camera: no answer within 1500 ms/,
      );
      expect(verdict.message).toMatch(/monitor itself was impaired \(its event loop was stalled/);
    }
  });
});
