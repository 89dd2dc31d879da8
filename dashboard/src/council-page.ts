import * as L from 'leaflet';
import type { UiConfig } from '../../src/schemas/api.ts';
import type { PublicPageData } from '../../src/schemas/public-page.ts';
import { createBaseMap } from './base-map.ts';

// The map of a council's public CCTV page. The page itself is rendered by the hub and reads without
// this script (the table lists the same places); this only draws the places on a map.

async function main(): Promise<void> {
  const page = document.querySelector<HTMLElement>('main[data-council]');
  const container = document.getElementById('public-map');
  if (!page || !container) return;
  const council = page.dataset.council as string;
  const [data, ui] = await Promise.all([
    fetch(`/public/councils/${encodeURIComponent(council)}/data.json`).then((r) =>
      r.ok ? (r.json() as Promise<PublicPageData>) : null,
    ),
    fetch('/api/ui-config').then((r) => (r.ok ? (r.json() as Promise<UiConfig>) : null)),
  ]);
  if (!data || !ui) return;
  const map = createBaseMap(container, ui);
  // Keyboard users scroll past the map with the page; the table carries the same places.
  map.scrollWheelZoom.disable();
  const marks = data.places.map((p) =>
    L.circleMarker([p.lat, p.lon], {
      radius: data.positionsTo > 0 ? 8 + Math.min(10, p.cameras) : 6,
      color: '#0b57a4',
      weight: 2,
      fillColor: '#0b57a4',
      fillOpacity: 0.35,
      interactive: false,
    }),
  );
  const group = L.featureGroup(marks).addTo(map);
  if (marks.length > 0) map.fitBounds(group.getBounds().pad(0.3), { maxZoom: 16 });
}

void main();
