/// <reference types="vite/client" />
// (Vite's types let the compiler take the stylesheet import; Vite bundles it into the one stylesheet.)
import * as L from 'leaflet';
import 'leaflet.markercluster';
import './map-clusters.css';
import type { CameraState } from '../../src/schemas/camera-state.ts';
import { el } from './dom.ts';
import { CAMERA_STATE_STYLE } from './states.ts';

const ICON_SIZE_PX = 36;
/** The legend's words, fitted to a count ("2 in maintenance"). */
const COUNT_WORDS: Record<CameraState, string> = {
  down: 'down',
  degraded: 'degraded',
  unknown: 'unknown',
  maintenance: 'in maintenance',
  up: 'up',
};
const BY_RANK = (Object.keys(CAMERA_STATE_STYLE) as CameraState[]).sort(
  (a, b) => CAMERA_STATE_STYLE[a].rank - CAMERA_STATE_STYLE[b].rank,
);

/**
 * The plugin adds itself to the Leaflet object on `window`; the bundler hands this module a copy of
 * Leaflet's exports taken before that, so the group is made through the global.
 */
export function markerClusterGroup(options: L.MarkerClusterGroupOptions): L.MarkerClusterGroup {
  return (globalThis as unknown as { L: typeof L }).L.markerClusterGroup(options);
}

export interface ClusterSummary {
  total: number;
  /** The most urgent state among the cameras: the cluster's colour. */
  worst: CameraState;
  counts: Record<CameraState, number>;
}

export function summarise(states: Iterable<CameraState>): ClusterSummary {
  const counts: Record<CameraState, number> = { down: 0, degraded: 0, unknown: 0, maintenance: 0, up: 0 };
  let total = 0;
  let worst: CameraState = 'up';
  for (const state of states) {
    counts[state]++;
    total++;
    if (CAMERA_STATE_STYLE[state].rank < CAMERA_STATE_STYLE[worst].rank) worst = state;
  }
  return { total, worst, counts };
}

/** "12 cameras, 1 down, 2 degraded", or "12 cameras, all up": the name a screen reader gives the cluster. */
export function clusterLabel({ total, counts }: ClusterSummary): string {
  const notUp = BY_RANK.filter((state) => state !== 'up' && counts[state] > 0).map(
    (state) => `${counts[state]} ${COUNT_WORDS[state]}`,
  );
  return `${total} cameras, ${notUp.length > 0 ? notUp.join(', ') : 'all up'}`;
}

/**
 * The icon of a cluster of camera markers: a ring in the colour of its worst state around the count.
 * `stateOf` gives the state each child marker was last drawn with.
 */
export function clusterIcon(
  cluster: L.MarkerCluster,
  stateOf: (marker: L.Layer) => CameraState | undefined,
): L.DivIcon {
  const summary = summarise(
    cluster
      .getAllChildMarkers()
      .map((marker) => stateOf(marker))
      .filter((state) => state !== undefined),
  );
  // Leaflet makes a keyboard-enabled marker a tab stop; the table is the keyboard path to a camera.
  cluster.options.keyboard = false;
  return new ClusterIcon(summary);
}

class ClusterIcon extends L.DivIcon {
  constructor(private readonly summary: ClusterSummary) {
    super({
      className: 'cam-cluster',
      iconSize: [ICON_SIZE_PX, ICON_SIZE_PX],
      html: el('span', { class: 'cam-cluster-count', 'aria-hidden': 'true' }, String(summary.total)),
    });
  }

  override createIcon(oldIcon?: HTMLElement): HTMLElement {
    // Leaflet reuses the old element when a cluster's icon is replaced, so every attribute is set again.
    const div = super.createIcon(oldIcon);
    const label = clusterLabel(this.summary);
    div.setAttribute('data-state', this.summary.worst);
    div.setAttribute('data-count', String(this.summary.total));
    div.setAttribute('role', 'img');
    div.setAttribute('aria-label', label);
    div.setAttribute('title', label);
    div.setAttribute('tabindex', '-1');
    div.style.setProperty('--cluster-colour', CAMERA_STATE_STYLE[this.summary.worst].markerColour);
    return div;
  }
}
