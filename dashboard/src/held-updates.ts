import type { LiveUpdate } from './live.ts';

/**
 * Live changes for a view that is not on screen: held, merged, and applied once when it is shown
 * again. A hidden live map and table otherwise redraw markers, clusters and rows for every change a
 * second (at 1,000 changes a second with thousands of cameras, that is most of a control room's
 * frames, on a view nobody sees). A full resync is applied at once: it replaces everything, so
 * nothing held before it matters, and the markers and rows it builds are what selection and search
 * work on.
 */
export class HeldUpdates {
  private readonly cameraIds = new Set<string>();
  private readonly siteIds = new Set<string>();
  private holding = false;

  constructor(private readonly apply: (update: LiveUpdate) => void) {}

  /** An update from the live store, applied now when `visible`, else held. */
  offer(update: LiveUpdate, visible: boolean): void {
    if (update.full) {
      this.clear();
      this.apply(update);
      return;
    }
    if (visible && !this.holding) {
      this.apply(update);
      return;
    }
    for (const id of update.cameraIds) this.cameraIds.add(id);
    for (const id of update.siteIds) this.siteIds.add(id);
    this.holding = true;
    if (visible) this.release();
  }

  /** The view is shown: what was held, as one update. */
  release(): void {
    if (!this.holding) return;
    const update: LiveUpdate = {
      full: false,
      cameraIds: new Set(this.cameraIds),
      siteIds: new Set(this.siteIds),
    };
    this.clear();
    this.apply(update);
  }

  /** Changes held, for tests and the page's data attributes. */
  get size(): number {
    return this.cameraIds.size + this.siteIds.size;
  }

  private clear(): void {
    this.cameraIds.clear();
    this.siteIds.clear();
    this.holding = false;
  }
}
