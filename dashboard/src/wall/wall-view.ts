import { INCIDENT_REF_PATTERN } from '../../../src/schemas/incident-ref.ts';
import { WALL_MAX_TILES } from '../../../src/schemas/wall-api.ts';
import { ApiRequestError, UnauthorizedError } from '../api.ts';
import { el, setText } from '../dom.ts';
import { FeedTile } from '../feed-tile.ts';
import type { IncidentApi } from '../incident-api.ts';
import type { WallApi, WallLayout } from './wall-api.ts';

export interface WallCamera {
  id: string;
  name: string;
}

const GRIDS = [1, 2, 3, 4] as const;

/** A site or hub limit said plainly ("Site limit: 2 feeds at once reached"); other refusals as the hub put them. */
export function limitMessage(code: string, message: string): string {
  const limit = /\(limit (\d+)\)/.exec(message)?.[1];
  if (code === 'SITE_FEED_LIMIT' && limit) return `Site limit: ${limit} feeds at once reached`;
  if (code === 'HUB_FEED_LIMIT' && limit) return `Hub limit: ${limit} feeds at once reached`;
  return message;
}

/**
 * The camera wall: up to 16 live tiles in a 1x1 to 4x4 grid, filled from any view ("Add to wall").
 * Feeds need an incident reference: the wall asks once and uses it for every tile until cleared.
 * Layouts (camera ids and grid) are kept at the hub per user.
 */
export class WallView {
  readonly element: HTMLElement;
  private readonly grid = el('div', { class: 'wall-grid', id: 'wall-grid', 'data-grid': 2 });
  private readonly notice = el('p', { class: 'wall-notice', id: 'wall-notice', role: 'status' });
  private readonly error = el('p', { class: 'error', id: 'wall-error', role: 'alert' });
  private readonly gridSelect = el(
    'select',
    { id: 'wall-grid-size' },
    ...GRIDS.map((n) => el('option', { value: String(n) }, `${n}x${n}`)),
  );
  private readonly incidentRef = el('input', {
    id: 'wall-incident-ref',
    type: 'text',
    required: true,
    minlength: 3,
    maxlength: 64,
    pattern: INCIDENT_REF_PATTERN,
    placeholder: 'e.g. INC-2026-0142',
    autocomplete: 'off',
    'aria-describedby': 'wall-error',
  });
  private readonly reason = el('input', {
    id: 'wall-reason',
    type: 'text',
    required: true,
    minlength: 3,
    maxlength: 500,
    placeholder: 'Why the feeds are needed',
    autocomplete: 'off',
    'aria-describedby': 'wall-error',
  });
  private readonly layoutName = el('input', {
    id: 'wall-layout-name',
    type: 'text',
    maxlength: 60,
    placeholder: 'Layout name',
    autocomplete: 'off',
  });
  private readonly layoutSelect = el('select', { id: 'wall-layout-select', 'aria-label': 'Saved layouts' });
  private tiles: FeedTile[] = [];
  /** Cameras waiting for the incident reference. */
  private pending: WallCamera[] = [];
  private layouts: WallLayout[] = [];

  constructor(
    private readonly options: { feeds: IncidentApi; layouts: WallApi; cameraName: (id: string) => string },
  ) {
    this.gridSelect.value = '2';
    this.gridSelect.addEventListener('change', () => this.setGrid(Number(this.gridSelect.value)));
    const start = el(
      'button',
      { type: 'button', class: 'mw-action', id: 'wall-start' },
      'Open pending feeds',
    );
    start.addEventListener('click', () => this.openPending());
    const save = el('button', { type: 'button', class: 'mw-action', id: 'wall-save' }, 'Save layout');
    save.addEventListener('click', () => void this.save());
    const load = el('button', { type: 'button', class: 'mw-action', id: 'wall-load' }, 'Load');
    load.addEventListener('click', () => void this.load());
    const remove = el('button', { type: 'button', class: 'mw-action', id: 'wall-delete' }, 'Delete');
    remove.addEventListener('click', () => void this.removeLayout());
    const clear = el('button', { type: 'button', class: 'mw-action', id: 'wall-clear' }, 'Close all');
    clear.addEventListener('click', () => this.closeAll());
    this.element = el(
      'section',
      { id: 'view-wall', class: 'wall-view', hidden: true, 'aria-labelledby': 'wall-title' },
      el('h2', { class: 'panel-title', id: 'wall-title' }, 'Camera wall'),
      el(
        'div',
        { class: 'wall-controls' },
        el('label', {}, 'Incident reference ', this.incidentRef),
        el('label', {}, 'Reason ', this.reason),
        start,
        el('label', {}, 'Grid ', this.gridSelect),
        clear,
      ),
      el(
        'div',
        { class: 'wall-controls' },
        el('label', {}, 'Name ', this.layoutName),
        save,
        el('label', {}, 'Saved ', this.layoutSelect),
        load,
        remove,
      ),
      this.error,
      this.notice,
      this.grid,
    );
  }

  activate(): void {
    this.element.hidden = false;
    void this.refreshLayouts();
  }

  deactivate(): void {
    this.element.hidden = true;
  }

  stop(): void {
    this.closeAll(true);
  }

  private get capacity(): number {
    return Number(this.gridSelect.value) ** 2;
  }

  /** From any view: the camera joins the wall (or waits for the incident reference). */
  add(camera: WallCamera): void {
    if (
      this.tiles.some((t) => t.cameraId === camera.id && t.active) ||
      this.pending.some((c) => c.id === camera.id)
    ) {
      setText(this.notice, `${camera.name} is already on the wall.`);
      return;
    }
    if (this.tiles.length + this.pending.length >= WALL_MAX_TILES) {
      setText(this.notice, `The wall holds ${WALL_MAX_TILES} cameras: close one first.`);
      return;
    }
    if (this.tiles.length + this.pending.length >= this.capacity) this.setGrid(this.nextGrid());
    if (!this.referenceValid()) {
      this.pending.push(camera);
      setText(
        this.notice,
        `${camera.name} waits for the incident reference: enter it on the wall and press Open pending feeds.`,
      );
      return;
    }
    setText(this.notice, `${camera.name} added to the wall.`);
    void this.open(camera);
  }

  private nextGrid(): number {
    const needed = this.tiles.length + this.pending.length + 1;
    return GRIDS.find((n) => n * n >= needed) ?? 4;
  }

  private setGrid(n: number): void {
    this.gridSelect.value = String(n);
    this.grid.dataset.grid = String(n);
  }

  private referenceValid(): boolean {
    return this.incidentRef.checkValidity() && this.reason.checkValidity();
  }

  private openPending(): void {
    for (const input of [this.incidentRef, this.reason]) {
      if (input.checkValidity()) {
        input.removeAttribute('aria-invalid');
        continue;
      }
      input.setAttribute('aria-invalid', 'true');
      setText(
        this.error,
        input === this.incidentRef
          ? 'Enter an incident reference (3 to 64 letters, digits or / . _ : -, starting with a letter or digit).'
          : 'Enter a reason (at least 3 characters).',
      );
      input.focus();
      return;
    }
    setText(this.error, '');
    setText(this.notice, '');
    const waiting = this.pending;
    this.pending = [];
    for (const camera of waiting) void this.open(camera);
  }

  private async open(camera: WallCamera): Promise<void> {
    const tile = new FeedTile({
      cameraId: camera.id,
      cameraName: camera.name,
      incidentRef: this.incidentRef.value.trim(),
      onClose: (t) => this.close(t),
    });
    this.tiles.push(tile);
    this.grid.append(tile.element);
    try {
      const session = await this.options.feeds.openFeed({
        cameraId: camera.id,
        incidentRef: this.incidentRef.value.trim(),
        reason: this.reason.value.trim(),
      });
      if (!this.tiles.includes(tile)) {
        await this.options.feeds.closeFeed(session.id).catch(() => undefined);
        return;
      }
      tile.play(session);
    } catch (error) {
      if (error instanceof UnauthorizedError) return this.remove(tile);
      const code = error instanceof ApiRequestError ? error.code : 'FEED_FAILED';
      if (this.tiles.includes(tile)) tile.refuse(code, limitMessage(code, (error as Error).message));
    }
  }

  private close(tile: FeedTile, keepalive = false): void {
    const session = tile.session;
    const wasActive = tile.active;
    this.remove(tile);
    if (session !== null && wasActive)
      this.options.feeds.closeFeed(session.id, keepalive).catch((error: Error) => {
        if (!(error instanceof UnauthorizedError))
          setText(this.notice, `Could not close a feed: ${error.message}`);
      });
  }

  private remove(tile: FeedTile): void {
    tile.dispose();
    tile.element.remove();
    this.tiles = this.tiles.filter((t) => t !== tile);
  }

  private closeAll(keepalive = false): void {
    for (const tile of [...this.tiles]) this.close(tile, keepalive);
    this.pending = [];
  }

  private async refreshLayouts(): Promise<void> {
    try {
      this.layouts = await this.options.layouts.layouts();
    } catch (error) {
      if (!(error instanceof UnauthorizedError))
        setText(this.error, `Layouts not loaded: ${(error as Error).message}`);
      return;
    }
    const chosen = this.layoutSelect.value;
    this.layoutSelect.replaceChildren(
      ...this.layouts.map((l) =>
        el('option', { value: l.name }, `${l.name} (${l.grid}x${l.grid}, ${l.cameraIds.length})`),
      ),
    );
    if (this.layouts.some((l) => l.name === chosen)) this.layoutSelect.value = chosen;
  }

  private async save(): Promise<void> {
    const name = this.layoutName.value.trim();
    if (!name) {
      setText(this.error, 'Enter a name for the layout.');
      this.layoutName.focus();
      return;
    }
    const cameraIds = [...new Set([...this.tiles.map((t) => t.cameraId), ...this.pending.map((c) => c.id)])];
    try {
      await this.options.layouts.save(name, { grid: Number(this.gridSelect.value), cameraIds });
      setText(this.error, '');
      setText(this.notice, `Layout "${name}" saved (${cameraIds.length} cameras).`);
      await this.refreshLayouts();
      this.layoutSelect.value = name;
    } catch (error) {
      if (!(error instanceof UnauthorizedError))
        setText(this.error, `Layout not saved: ${(error as Error).message}`);
    }
  }

  private async load(): Promise<void> {
    const layout = this.layouts.find((l) => l.name === this.layoutSelect.value);
    if (!layout) return;
    this.closeAll();
    this.setGrid(layout.grid);
    this.layoutName.value = layout.name;
    for (const id of layout.cameraIds) this.add({ id, name: this.options.cameraName(id) });
    setText(this.notice, `Layout "${layout.name}" loaded.`);
    if (this.pending.length > 0)
      setText(
        this.notice,
        `Layout "${layout.name}" loaded: enter the incident reference and press Open pending feeds.`,
      );
  }

  private async removeLayout(): Promise<void> {
    const name = this.layoutSelect.value;
    if (!name) return;
    try {
      await this.options.layouts.remove(name);
      setText(this.notice, `Layout "${name}" deleted.`);
      await this.refreshLayouts();
    } catch (error) {
      if (!(error instanceof UnauthorizedError))
        setText(this.error, `Layout not deleted: ${(error as Error).message}`);
    }
  }
}
