import { el, setText } from './dom.ts';
import type { GeoPolygon } from './incident-api.ts';
import type { IncidentMap } from './incident-map.ts';

export interface AreaDrawingOptions {
  /** Guidance for the view's hint line; null puts the view's own hint back. */
  onHint: (text: string | null) => void;
  /** Drawing begins (the view ends anything else that takes map clicks). */
  onStart: () => void;
  onArea: (polygon: GeoPolygon) => void;
}

/** The Draw area and Finish area buttons: a search area drawn on the incident map, corner by corner. */
export class AreaDrawing {
  readonly drawButton = el(
    'button',
    { type: 'button', class: 'mw-action', id: 'draw-area', 'aria-pressed': 'false' },
    'Draw area',
  );
  readonly finishButton = el(
    'button',
    { type: 'button', class: 'mw-action', id: 'finish-area', hidden: true, disabled: true },
    'Finish area',
  );

  constructor(
    private readonly map: IncidentMap,
    private readonly options: AreaDrawingOptions,
  ) {
    this.drawButton.addEventListener('click', () => this.toggle());
    this.finishButton.addEventListener('click', () => this.finish());
  }

  /** The map's vertex count changed. */
  progress(vertices: number): void {
    this.finishButton.disabled = vertices < 3;
    this.options.onHint(
      `Drawing an area: ${vertices} corner${vertices === 1 ? '' : 's'}. Click the map to add corners; double-click or Finish area to close it (3 corners at least).`,
    );
  }

  /** Closes the polygon being drawn (Finish area, or a double click on the map). */
  finish(): void {
    const polygon = this.map.finishDrawing();
    this.reset();
    if (polygon === null) {
      this.options.onHint('An area needs at least 3 corners.');
      return;
    }
    this.options.onHint(null);
    this.options.onArea(polygon);
  }

  /** Drops the polygon being drawn, if any. */
  cancel(): void {
    if (!this.map.isDrawing) return;
    this.map.cancelDrawing();
    this.reset();
    this.options.onHint(null);
  }

  private toggle(): void {
    if (this.map.isDrawing) {
      this.cancel();
      return;
    }
    this.options.onStart();
    this.map.startDrawing();
    this.drawButton.setAttribute('aria-pressed', 'true');
    setText(this.drawButton, 'Cancel drawing');
    this.finishButton.hidden = false;
  }

  private reset(): void {
    this.drawButton.setAttribute('aria-pressed', 'false');
    setText(this.drawButton, 'Draw area');
    this.finishButton.hidden = true;
    this.finishButton.disabled = true;
  }
}
