import * as L from 'leaflet';
import type { UiConfig } from '../../src/schemas/api.ts';
import { el } from './dom.ts';
import { CAMERA_STATE_ORDER, CAMERA_STATE_STYLE } from './states.ts';

type FeatureKind = 'land' | 'boundary' | 'label';
type BasemapData = Parameters<typeof L.geoJSON>[0];
type BasemapFeature = Parameters<NonNullable<L.GeoJSONOptions['onEachFeature']>>[0];

/**
 * A Leaflet map over the dashboard's own outline basemap of the region (plus a tile server if one is
 * configured), shared by the live map and the control room's incident map.
 */
export function createBaseMap(container: HTMLElement, uiConfig: UiConfig): L.Map {
  const map = L.map(container, {
    center: [50.55, -4.0],
    zoom: 8,
    // Fractional zoom lets the whole fleet fill a narrow map panel.
    zoomSnap: 0.25,
    zoomDelta: 0.5,
    minZoom: 6,
    maxZoom: 19,
    zoomControl: true,
    attributionControl: true,
    worldCopyJump: false,
  });
  map.attributionControl.setPrefix(false);
  // The outline sits under any tile layer, so it shows through where tiles fail to load offline.
  map.createPane('basemap').style.zIndex = '150';
  const labels = map.createPane('basemap-labels');
  labels.style.zIndex = '160';
  labels.style.pointerEvents = 'none';
  const { tileUrl, tileAttribution } = uiConfig;
  if (tileUrl) L.tileLayer(tileUrl, { attribution: tileAttribution, maxZoom: 19 }).addTo(map);
  void loadOutline(map);
  return map;
}

/** The legend of marker colours by camera state, bottom left. */
export function addStateLegend(map: L.Map): void {
  const legend = new L.Control({ position: 'bottomleft' });
  legend.onAdd = () =>
    el(
      'div',
      { class: 'map-legend', 'aria-label': 'Marker colours' },
      ...CAMERA_STATE_ORDER.map((state) =>
        el(
          'div',
          { class: 'legend-item' },
          el('span', {
            class: 'legend-dot',
            style: `background:${CAMERA_STATE_STYLE[state].markerColour}`,
          }),
          CAMERA_STATE_STYLE[state].label,
        ),
      ),
    );
  legend.addTo(map);
}

async function loadOutline(map: L.Map): Promise<void> {
  let removed = false;
  map.once('unload', () => {
    removed = true;
  });
  let data: BasemapData;
  try {
    const response = await fetch('/basemap/south-west.geojson');
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    data = (await response.json()) as BasemapData;
  } catch (error) {
    // The map still works without the outline (markers on the sea colour); say so in the console.
    console.warn('Basemap outline not loaded:', error);
    return;
  }
  if (removed) return;
  const renderer = L.svg({ pane: 'basemap' });
  L.geoJSON(data, {
    pane: 'basemap',
    interactive: false,
    style: (feature) =>
      kindOf(feature) === 'boundary'
        ? { renderer, color: '#8a94a0', weight: 1.2, dashArray: '5 4', fill: false, opacity: 0.9 }
        : { renderer, color: '#7d8a96', weight: 1, fillColor: '#eeebe2', fillOpacity: 1 },
    pointToLayer: (feature, latLng) =>
      L.marker(latLng, {
        pane: 'basemap-labels',
        interactive: false,
        keyboard: false,
        icon: L.divIcon({ className: 'basemap-label', html: '', iconSize: [0, 0] }),
      }).bindTooltip(String(feature.properties?.name ?? ''), {
        permanent: true,
        direction: 'center',
        className: 'county-label',
        pane: 'basemap-labels',
      }),
  }).addTo(map);
  map.getContainer().setAttribute('data-basemap', 'loaded');
}

function kindOf(feature: BasemapFeature | undefined): FeatureKind {
  return (feature?.properties?.kind as FeatureKind | undefined) ?? 'land';
}
