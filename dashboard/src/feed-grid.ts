import { ApiRequestError, UnauthorizedError } from './api.ts';
import { el, setText } from './dom.ts';
import { FeedTile } from './feed-tile.ts';
import type { IncidentApi } from './incident-api.ts';

/** Tiles a control-room screen holds at once (each is a pull over a town's thin link). */
export const MAX_FEEDS = 4;

export interface FeedRequest {
  cameraId: string;
  cameraName: string;
  incidentRef: string;
  reason: string;
}

/**
 * Up to four live feed tiles. Opening asks the hub for a session; closing a tile (or the view)
 * ends its session with DELETE so the pull from the camera stops.
 */
export class FeedGrid {
  readonly element: HTMLElement;
  private readonly grid = el('div', { class: 'feed-grid', id: 'feed-grid', 'data-count': 0 });
  private readonly notice = el('p', { class: 'feed-notice', id: 'feed-notice', role: 'alert' });
  private readonly empty = el(
    'p',
    { class: 'muted feed-empty' },
    `No live feed open. Open up to ${MAX_FEEDS} from the results.`,
  );
  private tiles: FeedTile[] = [];

  constructor(
    private readonly api: IncidentApi,
    private readonly onChange: () => void,
  ) {
    this.element = el(
      'section',
      { class: 'panel feed-panel', 'aria-labelledby': 'feed-panel-title' },
      el('h2', { class: 'panel-title', id: 'feed-panel-title' }, 'Live feeds'),
      this.notice,
      this.empty,
      this.grid,
    );
  }

  /** Cameras with a tile opening or playing. */
  get openCameraIds(): Set<string> {
    return new Set(this.tiles.filter((t) => t.active).map((t) => t.cameraId));
  }

  async open(request: FeedRequest): Promise<void> {
    setText(this.notice, '');
    const existing = this.tiles.find((t) => t.cameraId === request.cameraId && t.active);
    if (existing) {
      existing.element.focus();
      setText(this.notice, `The feed of ${request.cameraName} is already open.`);
      return;
    }
    if (this.tiles.filter((t) => t.active).length >= MAX_FEEDS) {
      setText(
        this.notice,
        `${MAX_FEEDS} feeds are open: close one before opening the feed of ${request.cameraName}.`,
      );
      return;
    }
    // An earlier refusal for the same camera gives way to the new attempt.
    for (const tile of this.tiles.filter((t) => t.cameraId === request.cameraId)) this.remove(tile);
    // Messages of refused or ended feeds make room for a new one, oldest first.
    while (this.tiles.length >= MAX_FEEDS) {
      const stale = this.tiles.find((t) => !t.active);
      if (!stale) break;
      this.remove(stale);
    }
    const tile = new FeedTile({
      cameraId: request.cameraId,
      cameraName: request.cameraName,
      incidentRef: request.incidentRef,
      onClose: (t) => this.close(t),
    });
    this.tiles.push(tile);
    this.grid.append(tile.element);
    this.changed();
    try {
      const session = await this.api.openFeed({
        cameraId: request.cameraId,
        incidentRef: request.incidentRef,
        reason: request.reason,
      });
      if (!this.tiles.includes(tile)) {
        // Closed while the hub was still opening it: end the session straight away.
        await this.api.closeFeed(session.id).catch((error: Error) => this.report(error, request.cameraName));
        return;
      }
      tile.play(session);
    } catch (error) {
      if (error instanceof UnauthorizedError) {
        this.remove(tile);
        return;
      }
      const code = error instanceof ApiRequestError ? error.code : 'FEED_FAILED';
      if (this.tiles.includes(tile)) tile.refuse(code, (error as Error).message);
    }
    this.changed();
  }

  /** Ends every session (leaving the view or logging out); `keepalive` when the page is going away. */
  closeAll(keepalive = false): void {
    for (const tile of [...this.tiles]) this.close(tile, keepalive);
    setText(this.notice, '');
  }

  private close(tile: FeedTile, keepalive = false): void {
    const session = tile.session;
    const wasActive = tile.active;
    this.remove(tile);
    if (session !== null && wasActive)
      this.api.closeFeed(session.id, keepalive).catch((error: Error) => this.report(error, tile.cameraId));
  }

  private remove(tile: FeedTile): void {
    tile.dispose();
    tile.element.remove();
    this.tiles = this.tiles.filter((t) => t !== tile);
    this.changed();
  }

  private report(error: Error, camera: string): void {
    if (error instanceof UnauthorizedError) return;
    // The hub also closes it on its own once nobody fetches its files.
    if (error instanceof ApiRequestError && error.status === 404) return;
    setText(this.notice, `Could not close the feed of ${camera}: ${error.message}`);
  }

  private changed(): void {
    this.grid.dataset.count = String(this.tiles.length);
    this.empty.hidden = this.tiles.length > 0;
    this.onChange();
  }
}
