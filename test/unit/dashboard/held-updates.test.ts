import { describe, expect, it } from 'vitest';
import { HeldUpdates } from '../../../dashboard/src/held-updates.ts';
import type { LiveUpdate } from '../../../dashboard/src/live.ts';

const change = (cameraIds: string[], siteIds: string[] = []): LiveUpdate => ({
  full: false,
  cameraIds: new Set(cameraIds),
  siteIds: new Set(siteIds),
});
const shown = (u: LiveUpdate) => ({
  full: u.full,
  cameras: [...u.cameraIds].sort(),
  sites: [...u.siteIds].sort(),
});

describe('live changes for a hidden view', () => {
  it('applies changes at once while the view is on screen', () => {
    const applied: LiveUpdate[] = [];
    const held = new HeldUpdates((u) => applied.push(u));
    held.offer(change(['a']), true);
    held.offer(change(['b'], ['s1']), true);
    expect(applied.map(shown)).toEqual([
      { full: false, cameras: ['a'], sites: [] },
      { full: false, cameras: ['b'], sites: ['s1'] },
    ]);
  });

  it('holds changes while hidden and applies them merged, once, when shown', () => {
    const applied: LiveUpdate[] = [];
    const held = new HeldUpdates((u) => applied.push(u));
    held.offer(change(['a', 'b']), false);
    held.offer(change(['b', 'c'], ['s1']), false);
    expect(applied).toEqual([]);
    expect(held.size).toBe(4);
    held.release();
    expect(applied.map(shown)).toEqual([{ full: false, cameras: ['a', 'b', 'c'], sites: ['s1'] }]);
    // Nothing held any more: showing the view again applies nothing.
    held.release();
    expect(applied).toHaveLength(1);
    expect(held.size).toBe(0);
  });

  it('holds a full resync too, forgetting what was held before it, and merges later changes into it', () => {
    const applied: LiveUpdate[] = [];
    const held = new HeldUpdates((u) => applied.push(u));
    held.offer(change(['a']), false);
    held.offer({ full: true, cameraIds: new Set(), siteIds: new Set() }, false);
    held.offer(change(['b']), false);
    expect(applied).toEqual([]);
    expect(held.release()?.full).toBe(true);
    // A full resync redraws every camera: no ids to list.
    expect(applied.map(shown)).toEqual([{ full: true, cameras: [], sites: [] }]);
    expect(held.release()).toBeNull();
  });

  it('applies a full resync at once while shown', () => {
    const applied: LiveUpdate[] = [];
    const held = new HeldUpdates((u) => applied.push(u));
    held.offer({ full: true, cameraIds: new Set(), siteIds: new Set() }, true);
    expect(applied.map((u) => u.full)).toEqual([true]);
  });

  it('keeps order: a change offered while shown, with changes still held, goes with them', () => {
    const applied: LiveUpdate[] = [];
    const held = new HeldUpdates((u) => applied.push(u));
    held.offer(change(['a']), false);
    held.offer(change(['b']), true);
    expect(applied.map(shown)).toEqual([{ full: false, cameras: ['a', 'b'], sites: [] }]);
  });
});
