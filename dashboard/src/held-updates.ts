import type { LiveUpdate } from './live.ts';

/**
 * Live changes for a view that is not on screen: held, merged, and applied once when it is shown
 * again. A hidden live map and table otherwise build and redraw markers, clusters and rows for every
 * change (at 1,000 changes a second with thousands of cameras, that was most of a control room's
 * frames, on a view nobody sees), and a control room landing on the incident view waited for the
 * live map to place 50,000 markers it was not looking at.
 */
export class HeldUpdates {
  private full = false;
  private readonly cameraIds = new Set<string>();
  private readonly siteIds = new Set<string>();
  private holding = false;

  constructor(private readonly apply: (update: LiveUpdate) => void) {}

  /** An update from the live store, applied now when `visible`, else held. */
  offer(update: LiveUpdate, visible: boolean): void {
    if (visible && !this.holding) {
      this.apply(update);
      return;
    }
    if (update.full) {
      // A full resync replaces everything: what was held before it no longer matters.
      this.full = true;
      this.cameraIds.clear();
      this.siteIds.clear();
    } else {
      for (const id of update.cameraIds) this.cameraIds.add(id);
      for (const id of update.siteIds) this.siteIds.add(id);
    }
    this.holding = true;
    if (visible) this.release();
  }

  /** The view is shown: what was held, as one update (returned; null when nothing was held). */
  release(): LiveUpdate | null {
    if (!this.holding) return null;
    const update: LiveUpdate = {
      full: this.full,
      cameraIds: this.full ? new Set() : new Set(this.cameraIds),
      siteIds: this.full ? new Set() : new Set(this.siteIds),
    };
    this.full = false;
    this.cameraIds.clear();
    this.siteIds.clear();
    this.holding = false;
    this.apply(update);
    return update;
  }

  /** Changes held (a held full resync counts as one). */
  get size(): number {
    return (this.full ? 1 : 0) + this.cameraIds.size + this.siteIds.size;
  }
}
