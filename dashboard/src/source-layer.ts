import * as L from 'leaflet';
import type { SourceView } from '../../src/schemas/sources.ts';
import { describeSource } from './source-words.ts';

interface Drawn {
  marker: L.Marker;
  track: L.Polyline;
  footprint: L.Polygon | null;
  state: SourceView['state'];
}

/**
 * Mobile sources on a Leaflet map: each one's marker where it is now (a triangle for a drone, a
 * circle for a body-worn camera, turned to its heading), its track of the last minutes, and for a
 * drone the ground footprint of its camera. Redrawn from the live store as telemetry arrives.
 */
export class SourceLayer {
  readonly layer = L.featureGroup();
  private readonly drawn = new Map<string, Drawn>();

  constructor(private readonly onSelect: ((id: string) => void) | null = null) {}

  /** Brings the map's sources in line with `sources` (ids missing from it are taken off). */
  sync(sources: ReadonlyMap<string, SourceView>): void {
    for (const [id, d] of this.drawn)
      if (!sources.has(id)) {
        this.layer.removeLayer(d.marker);
        this.layer.removeLayer(d.track);
        if (d.footprint) this.layer.removeLayer(d.footprint);
        this.drawn.delete(id);
      }
    for (const source of sources.values()) this.draw(source);
  }

  /** Where the sources are, to fit a map to them. */
  bounds(): L.LatLngBounds | null {
    const points = [...this.drawn.values()].map((d) => d.marker.getLatLng());
    return points.length > 0 ? L.latLngBounds(points) : null;
  }

  private draw(source: SourceView): void {
    let d = this.drawn.get(source.id);
    const where = source.location;
    const trackPoints = source.track.map(([lon, lat]) => L.latLng(lat, lon));
    if (!where) {
      if (d) {
        this.layer.removeLayer(d.marker);
        this.layer.removeLayer(d.track);
        if (d.footprint) this.layer.removeLayer(d.footprint);
        this.drawn.delete(source.id);
      }
      return;
    }
    const at = L.latLng(where.coordinates[1], where.coordinates[0]);
    const label = describeSource(source);
    if (!d) {
      const marker = L.marker(at, {
        icon: this.icon(source),
        title: label,
        alt: label,
        keyboard: true,
        zIndexOffset: 1000,
      });
      if (this.onSelect) marker.on('click', () => this.onSelect?.(source.id));
      const track = L.polyline(trackPoints, { className: 'source-track', interactive: false, weight: 3 });
      this.layer.addLayer(track);
      this.layer.addLayer(marker);
      d = { marker, track, footprint: null, state: source.state };
      this.drawn.set(source.id, d);
    } else {
      d.marker.setLatLng(at);
      d.marker.setIcon(this.icon(source));
      d.track.setLatLngs(trackPoints);
    }
    const element = d.marker.getElement();
    if (element) {
      element.setAttribute('aria-label', label);
      element.setAttribute('title', label);
    }
    d.state = source.state;
    const ring = source.footprint?.coordinates[0];
    if (ring && source.state !== 'offline') {
      const points = ring.map(([lon, lat]) => L.latLng(lat as number, lon as number));
      if (d.footprint) d.footprint.setLatLngs(points);
      else {
        d.footprint = L.polygon(points, {
          className: `source-footprint source-footprint-${source.kind}`,
          interactive: false,
          weight: 2,
        });
        this.layer.addLayer(d.footprint);
        d.footprint.bringToBack();
      }
    } else if (d.footprint) {
      this.layer.removeLayer(d.footprint);
      d.footprint = null;
    }
  }

  private icon(source: SourceView): L.DivIcon {
    const heading = Math.round(source.headingDeg ?? 0);
    const [lon, lat] = source.location?.coordinates ?? [0, 0];
    const shape =
      source.kind === 'drone'
        ? '<path d="M12 2 L21 21 L12 16 L3 21 Z"/>'
        : '<circle cx="12" cy="12" r="8"/><path d="M12 1 L15 6 L9 6 Z"/>';
    return L.divIcon({
      className: 'source-marker',
      html: `<span class="source-glyph" data-source-id="${source.id}" data-kind="${source.kind}" data-state="${source.state}" data-lat="${lat.toFixed(6)}" data-lon="${lon.toFixed(6)}" style="transform: rotate(${heading}deg)"><svg viewBox="0 0 24 24" width="24" height="24" aria-hidden="true" focusable="false">${shape}</svg></span>`,
      iconSize: [24, 24],
      iconAnchor: [12, 12],
    });
  }
}
