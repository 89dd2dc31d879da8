import { describe, expect, it } from 'vitest';
import { cameraPhases } from '../../../edge-agent/src/phases.ts';

const base = {
  firstProbeAfterMs: 10_000,
  probeIntervalMs: 60_000,
  videoIntervalMs: 300_000,
};

function countBy(values: number[]): Map<number, number> {
  const counts = new Map<number, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return counts;
}

describe('camera phases', () => {
  it('puts 250 cameras in groups of at most 8 on an even grid over the probe and analysis periods', () => {
    const phases = cameraPhases({ ...base, cameras: 250, groupSize: 8, random: () => 0.5 });
    const probeGroups = countBy(phases.map((p) => p.probeDelayMs));
    // 32 groups of 7 or 8: every probe run can be full, at 32 runs a minute instead of about 45.
    expect(probeGroups.size).toBe(32);
    expect(Math.max(...probeGroups.values())).toBe(8);
    expect(Math.min(...probeGroups.values())).toBe(7);
    const probeTimes = [...probeGroups.keys()].sort((a, b) => a - b);
    expect(probeTimes[0]).toBe(10_000 + Math.floor(0.5 * (60_000 / 32)));
    for (let i = 1; i < probeTimes.length; i++)
      expect((probeTimes[i] as number) - (probeTimes[i - 1] as number)).toBeGreaterThanOrEqual(1874);
    expect(probeTimes.at(-1)).toBeLessThan(10_000 + 60_000);
    // The cameras probed together are analysed together.
    const videoOfProbe = new Map<number, Set<number>>();
    for (const p of phases) {
      const set = videoOfProbe.get(p.probeDelayMs) ?? new Set();
      set.add(p.videoDelayMs);
      videoOfProbe.set(p.probeDelayMs, set);
    }
    for (const set of videoOfProbe.values()) expect(set.size).toBe(1);
    // Each group's first analysis is due at one of its five probes after the first, and each of the
    // five carries the analyses of 6 or 7 groups (an even grid of due times gave 2, 8, 8, 8, 6).
    const groupsPerProbe = [0, 0, 0, 0, 0, 0];
    for (const [probeDelay, set] of videoOfProbe) {
      const due = [...set][0] as number;
      const k = Math.ceil((due - probeDelay) / 60_000);
      // Due half a probe period before the probe it waits for.
      expect(probeDelay + k * 60_000 - due).toBe(30_000);
      groupsPerProbe[k] = (groupsPerProbe[k] ?? 0) + 1;
    }
    expect(groupsPerProbe[0]).toBe(0);
    expect(groupsPerProbe.slice(1).sort()).toEqual([6, 6, 6, 7, 7]);
  });

  it('starts the grid at a random offset within one step, so agents on one machine do not probe in step', () => {
    const a = cameraPhases({ ...base, cameras: 16, groupSize: 8, random: () => 0 });
    const b = cameraPhases({ ...base, cameras: 16, groupSize: 8, random: () => 0.99 });
    expect(a[0]?.probeDelayMs).toBe(10_000);
    expect(b[0]?.probeDelayMs).toBe(10_000 + Math.floor(0.99 * 30_000));
    expect(new Set(a.map((p) => p.probeDelayMs)).size).toBe(2);
  });

  it('puts a few cameras in one group', () => {
    const phases = cameraPhases({ ...base, cameras: 5, groupSize: 8, random: () => 0.25 });
    expect(new Set(phases.map((p) => p.probeDelayMs))).toEqual(new Set([10_000 + 15_000]));
  });

  it('spreads each camera at random with batching off', () => {
    let n = 0;
    const phases = cameraPhases({ ...base, cameras: 4, groupSize: 1, random: () => (n++ % 10) / 10 });
    expect(new Set(phases.map((p) => p.probeDelayMs)).size).toBe(4);
    expect(phases.every((p) => p.probeDelayMs >= 10_000 && p.probeDelayMs < 70_000)).toBe(true);
  });
});
