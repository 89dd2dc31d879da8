import * as L from 'leaflet';
import {
  bearingDeg,
  destination,
  distanceM,
  fovSectorRing,
  type LatLonDeg,
} from '../../src/incidents/fov-sector.ts';
import type { GeometryUpdate } from './incident-api.ts';

export interface GeometryPreviewOptions {
  /** The camera marker was dragged to a new position. */
  onMove: (location: LatLonDeg) => void;
  /** The aim handle was dragged: the new bearing and range, rounded to whole degrees and metres. */
  onAim: (bearingDeg: number, rangeM: number) => void;
  /** The limits of the range field, so the aim handle never proposes a range the hub refuses. */
  rangeLimitsM: { min: number; max: number };
}

const handleIcon = (className: string) =>
  L.divIcon({ className: `geometry-handle ${className}`, html: '', iconSize: [16, 16], iconAnchor: [8, 8] });

/**
 * The cone being edited, drawn in the browser as the hub would build it, with two handles: the
 * camera's position and an aim handle at the far end of its axis (bearing and range). The handles
 * are for the mouse; the form's fields do the same from the keyboard.
 */
export class GeometryPreview {
  private readonly cone = L.polygon([], {
    className: 'fov-preview',
    interactive: false,
    color: '#6d28d9',
    weight: 3,
    dashArray: '6 4',
    fillColor: '#6d28d9',
    fillOpacity: 0.2,
  });
  private readonly cameraHandle = L.marker([0, 0], {
    icon: handleIcon('camera-handle'),
    draggable: true,
    keyboard: false,
    title: 'Camera position: drag to move the camera',
    zIndexOffset: 2000,
  });
  private readonly aimHandle = L.marker([0, 0], {
    icon: handleIcon('aim-handle'),
    draggable: true,
    keyboard: false,
    title: 'Aim: drag to set the bearing and the useful range',
    zIndexOffset: 2001,
  });
  private geometry: GeometryUpdate | null = null;

  constructor(
    private readonly host: L.LayerGroup,
    private readonly options: GeometryPreviewOptions,
  ) {
    this.cameraHandle.on('drag', () => {
      const { lat, lng } = this.cameraHandle.getLatLng();
      if (!this.geometry) return;
      this.geometry = { ...this.geometry, location: { lat, lon: lng } };
      this.draw(true);
      this.options.onMove({ lat, lon: lng });
    });
    this.aimHandle.on('drag', () => {
      if (!this.geometry) return;
      const { lat, lng } = this.aimHandle.getLatLng();
      const { min, max } = this.options.rangeLimitsM;
      const bearing = Math.round(bearingDeg(this.geometry.location, { lat, lon: lng })) % 360;
      const range = Math.min(
        max,
        Math.max(min, Math.round(distanceM(this.geometry.location, { lat, lon: lng }))),
      );
      this.geometry = { ...this.geometry, bearingDeg: bearing, rangeM: range };
      this.draw(false);
      this.options.onAim(bearing, range);
    });
    // While dragging the handle follows the pointer; once dropped it sits on the rounded values.
    this.aimHandle.on('dragend', () => this.draw(true));
  }

  /** Draws (or redraws) the preview; null hides the cone when the form holds an invalid value. */
  show(geometry: GeometryUpdate | null): void {
    if (this.host.getLayers().length === 0)
      this.host.addLayer(this.cone).addLayer(this.cameraHandle).addLayer(this.aimHandle);
    if (geometry === null) {
      this.cone.setLatLngs([]);
      this.aimHandle.setOpacity(0);
      return;
    }
    this.geometry = geometry;
    this.aimHandle.setOpacity(1);
    this.draw(true);
  }

  clear(): void {
    this.host.clearLayers();
    this.geometry = null;
  }

  private draw(moveAimHandle: boolean): void {
    const geometry = this.geometry;
    if (!geometry) return;
    const { location, bearingDeg: bearing, hfovDeg, rangeM } = geometry;
    const ring = fovSectorRing(location, bearing, hfovDeg, rangeM);
    this.cone.setLatLngs(ring.map(([lon, lat]) => [lat, lon] as L.LatLngTuple));
    this.cameraHandle.setLatLng([location.lat, location.lon]);
    if (moveAimHandle) {
      const tip = destination(location, bearing, rangeM);
      this.aimHandle.setLatLng([tip.lat, tip.lon]);
    }
  }
}
