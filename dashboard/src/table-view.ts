import type { CameraView } from '../../src/schemas/api.ts';
import type { Catalog } from './catalog.ts';
import { el, setText } from './dom.ts';
import { type Filters, matchesFilters } from './filters.ts';
import { dateTime, relativeTime } from './format.ts';
import type { LiveStore, LiveUpdate } from './live.ts';
import { reasonsLine } from './reason-words.ts';
import { APPROVAL_LABEL, APPROVAL_SHORT, CAMERA_STATE_STYLE } from './states.ts';

type ColumnKey = 'name' | 'site' | 'council' | 'state' | 'since' | 'lastSeen' | 'reasons';
type SortValue = string | number;

interface Column {
  key: ColumnKey;
  label: string;
  width: string;
}

const COLUMNS: readonly Column[] = [
  { key: 'name', label: 'Camera', width: '20%' },
  { key: 'site', label: 'Site', width: '13%' },
  { key: 'council', label: 'Council', width: '17%' },
  { key: 'state', label: 'State', width: '112px' },
  { key: 'since', label: 'Since', width: '92px' },
  { key: 'lastSeen', label: 'Last seen', width: '92px' },
  { key: 'reasons', label: 'Reasons', width: 'auto' },
];

/** Must match `tr.cam-row` height in styles.css: the virtual window is computed from it. */
export const ROW_HEIGHT_PX = 34;
const OVERSCAN_ROWS = 12;
/**
 * While changes stream in, the table is sorted again at most this often: changed rows show their new
 * values at once, their new place within this time. (Sorting 50,000 rows on every frame made frames
 * of 100-200 ms at 1,000 changes a second.)
 */
const REORDER_MIN_INTERVAL_MS = 1000;

interface TableViewOptions {
  store: LiveStore;
  catalog: Catalog;
  onSelect: (cameraId: string) => void;
}

/**
 * Sortable camera table, virtualised: only the rows in (and near) the viewport exist in the DOM,
 * between two spacer rows that keep the scrollbar true. Live changes patch the visible rows in place;
 * the filtered and sorted id list is rebuilt only when a change moves a camera in or out of the
 * filter or changes its sort key.
 */
export class TableView {
  readonly element: HTMLElement;
  private readonly scroller: HTMLElement;
  private readonly table: HTMLTableElement;
  private readonly tbody: HTMLTableSectionElement;
  private readonly topSpacer: HTMLTableRowElement;
  private readonly bottomSpacer: HTMLTableRowElement;
  private readonly emptyRow: HTMLTableRowElement;
  private readonly headers = new Map<ColumnKey, HTMLTableCellElement>();
  private readonly rows = new Map<string, HTMLTableRowElement>();
  /** Filtered and sorted camera ids. */
  private ids: string[] = [];
  private readonly position = new Map<string, number>();
  /** Per camera: whether it passed the filter and its sort value at the last rebuild. */
  private readonly rowKeys = new Map<string, string>();
  private sortKey: ColumnKey = 'state';
  private sortDescending = false;
  private filters: Filters;
  private selectedId: string | null = null;
  private windowStart = 0;
  private windowEnd = 0;
  private scrollFrame: number | null = null;
  private lastRebuildMs = Number.NEGATIVE_INFINITY;
  private rebuildTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly options: TableViewOptions,
    filters: Filters,
  ) {
    this.filters = filters;
    const headRow = el('tr', { 'aria-rowindex': 1 });
    for (const column of COLUMNS) {
      const button = el(
        'button',
        { type: 'button', class: 'sort-button' },
        column.label,
        el('span', { class: 'sort-mark', 'aria-hidden': 'true' }),
      );
      button.addEventListener('click', () => this.sortBy(column.key));
      const th = el('th', { scope: 'col', 'data-column': column.key }, button);
      this.headers.set(column.key, th);
      headRow.append(th);
    }
    this.topSpacer = spacer();
    this.bottomSpacer = spacer();
    this.emptyRow = el(
      'tr',
      { class: 'empty-row' },
      el('td', { colspan: COLUMNS.length }, 'No cameras match the filters.'),
    );
    this.tbody = el('tbody', {}, this.topSpacer, this.bottomSpacer);
    this.table = el(
      'table',
      { id: 'camera-table', class: 'camera-table', 'aria-label': 'Cameras', 'aria-rowcount': 1 },
      el('colgroup', {}, ...COLUMNS.map((column) => el('col', { style: `width:${column.width}` }))),
      el('thead', {}, headRow),
      this.tbody,
    );
    this.scroller = el('div', { class: 'table-scroll', id: 'table-scroll' }, this.table);
    this.element = el('section', { class: 'table-panel', 'aria-label': 'Camera table' }, this.scroller);
    this.scroller.addEventListener('scroll', () => {
      if (this.scrollFrame === null) {
        this.scrollFrame = requestAnimationFrame(() => {
          this.scrollFrame = null;
          this.renderWindow(false);
        });
      }
    });
    this.tbody.addEventListener('click', (event) => {
      const row = (event.target as Element).closest<HTMLTableRowElement>('tr.cam-row');
      if (row?.dataset.cameraId) this.options.onSelect(row.dataset.cameraId);
    });
    this.tbody.addEventListener('keydown', (event) => this.onKey(event));
    this.updateSortHeaders();
  }

  stop(): void {
    if (this.scrollFrame !== null) cancelAnimationFrame(this.scrollFrame);
    if (this.rebuildTimer !== null) clearTimeout(this.rebuildTimer);
    this.rebuildTimer = null;
  }

  /** After mounting: the viewport has a height now. */
  start(): void {
    this.rebuild();
  }

  setFilters(filters: Filters): void {
    this.filters = filters;
    this.rebuild();
  }

  applyUpdate(update: LiveUpdate): void {
    if (update.full) {
      this.rebuild();
      return;
    }
    let reorder = false;
    for (const id of update.cameraIds) {
      const camera = this.options.store.cameras.get(id);
      if (!camera || this.rowKeys.get(id) !== this.rowKey(camera)) {
        reorder = true;
        break;
      }
    }
    if (reorder) {
      const sinceMs = performance.now() - this.lastRebuildMs;
      if (sinceMs >= REORDER_MIN_INTERVAL_MS) {
        this.rebuild();
        return;
      }
      this.rebuildTimer ??= setTimeout(() => {
        this.rebuildTimer = null;
        this.rebuild();
      }, REORDER_MIN_INTERVAL_MS - sinceMs);
    }
    const now = Date.now();
    for (const id of update.cameraIds) {
      const row = this.rows.get(id);
      const camera = this.options.store.cameras.get(id);
      if (row && camera) this.fillRow(row, camera, now);
    }
    // Site names may have arrived after the cameras.
    if (update.siteIds.size > 0) this.refreshVisible();
  }

  /** Relative times ("5 min ago") age; the app calls this on a timer. */
  refreshVisible(): void {
    const now = Date.now();
    for (const [id, row] of this.rows) {
      const camera = this.options.store.cameras.get(id);
      if (camera) this.fillRow(row, camera, now);
    }
  }

  setSelected(cameraId: string | null, scrollIntoView: boolean): void {
    if (this.selectedId !== null) this.rows.get(this.selectedId)?.setAttribute('aria-selected', 'false');
    this.selectedId = cameraId;
    if (cameraId === null) return;
    this.rows.get(cameraId)?.setAttribute('aria-selected', 'true');
    if (scrollIntoView) this.scrollToIndex(this.position.get(cameraId));
  }

  private rowKey(camera: CameraView): string {
    const passes = matchesFilters(camera, this.filters, this.options.catalog);
    return passes ? `1|${this.sortValue(camera, this.sortKey)}` : '0';
  }

  private sortValue(camera: CameraView, key: ColumnKey): SortValue {
    const { catalog } = this.options;
    switch (key) {
      case 'name':
        return camera.name.toLowerCase();
      case 'site':
        return catalog.siteName(camera.siteId).toLowerCase();
      case 'council':
        return catalog.councilName(camera.councilId).toLowerCase();
      case 'state':
        return CAMERA_STATE_STYLE[camera.state].rank;
      case 'since':
        return Date.parse(camera.stateSince);
      case 'lastSeen':
        return camera.lastSeenAt === null ? 0 : Date.parse(camera.lastSeenAt);
      case 'reasons':
        return camera.reasons.map((r) => r.code).join(',');
    }
  }

  private sortBy(key: ColumnKey): void {
    if (this.sortKey === key) this.sortDescending = !this.sortDescending;
    else {
      this.sortKey = key;
      // Times read most recent first; everything else ascending.
      this.sortDescending = key === 'since' || key === 'lastSeen';
    }
    this.updateSortHeaders();
    this.rebuild();
  }

  private updateSortHeaders(): void {
    for (const [key, th] of this.headers) {
      const active = key === this.sortKey;
      th.setAttribute('aria-sort', active ? (this.sortDescending ? 'descending' : 'ascending') : 'none');
      const mark = th.querySelector('.sort-mark');
      if (mark) setText(mark, active ? (this.sortDescending ? ' ▼' : ' ▲') : '');
    }
  }

  /** Re-filter and re-sort, then redraw the window. O(n log n), at most once per animation frame. */
  private rebuild(): void {
    this.lastRebuildMs = performance.now();
    if (this.rebuildTimer !== null) clearTimeout(this.rebuildTimer);
    this.rebuildTimer = null;
    const { store } = this.options;
    const entries: { id: string; value: SortValue; name: string }[] = [];
    this.rowKeys.clear();
    for (const camera of store.cameras.values()) {
      const passes = matchesFilters(camera, this.filters, this.options.catalog);
      const value = this.sortValue(camera, this.sortKey);
      this.rowKeys.set(camera.id, passes ? `1|${value}` : '0');
      if (passes) entries.push({ id: camera.id, value, name: camera.name });
    }
    const direction = this.sortDescending ? -1 : 1;
    entries.sort((a, b) => {
      const primary = a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
      if (primary !== 0) return primary * direction;
      return a.name < b.name ? -1 : a.name > b.name ? 1 : a.id < b.id ? -1 : 1;
    });
    this.ids = entries.map((entry) => entry.id);
    this.position.clear();
    for (const [index, id] of this.ids.entries()) this.position.set(id, index);
    this.table.setAttribute('aria-rowcount', String(this.ids.length + 1));
    this.table.dataset.rowCount = String(this.ids.length);
    this.renderWindow(true);
  }

  private renderWindow(force: boolean): void {
    const viewportRows = Math.ceil((this.scroller.clientHeight || 600) / ROW_HEIGHT_PX);
    const first = Math.floor(this.scroller.scrollTop / ROW_HEIGHT_PX);
    const start = Math.max(0, first - OVERSCAN_ROWS);
    const end = Math.min(this.ids.length, first + viewportRows + OVERSCAN_ROWS);
    if (!force && start === this.windowStart && end === this.windowEnd) return;
    this.windowStart = start;
    this.windowEnd = end;

    const focusedId = (document.activeElement as HTMLElement | null)
      ?.closest?.('tr.cam-row')
      ?.getAttribute('data-camera-id');
    const wanted = new Set(this.ids.slice(start, end));
    for (const [id, row] of this.rows) {
      if (!wanted.has(id)) {
        row.remove();
        this.rows.delete(id);
      }
    }
    const now = Date.now();
    // Re-append in order: existing rows are moved, not rebuilt.
    const fragment = document.createDocumentFragment();
    for (let index = start; index < end; index += 1) {
      const id = this.ids[index]!;
      const camera = this.options.store.cameras.get(id)!;
      let row = this.rows.get(id);
      if (!row) {
        row = this.createRow();
        this.rows.set(id, row);
        this.fillRow(row, camera, now);
      } else if (force) {
        this.fillRow(row, camera, now);
      }
      row.setAttribute('aria-rowindex', String(index + 2));
      row.setAttribute('aria-selected', String(id === this.selectedId));
      fragment.append(row);
    }
    this.topSpacer.style.height = `${start * ROW_HEIGHT_PX}px`;
    this.bottomSpacer.style.height = `${(this.ids.length - end) * ROW_HEIGHT_PX}px`;
    this.tbody.insertBefore(fragment, this.bottomSpacer);
    if (this.ids.length === 0) this.tbody.insertBefore(this.emptyRow, this.bottomSpacer);
    else this.emptyRow.remove();
    if (focusedId) this.rows.get(focusedId)?.focus({ preventScroll: true });
  }

  private createRow(): HTMLTableRowElement {
    const row = el('tr', { class: 'cam-row', tabindex: 0 });
    for (const column of COLUMNS) row.append(el('td', { 'data-column': column.key }));
    return row;
  }

  private fillRow(row: HTMLTableRowElement, camera: CameraView, nowMs: number): void {
    const { catalog } = this.options;
    row.dataset.cameraId = camera.id;
    row.dataset.state = camera.state;
    const cells = row.cells;
    const stateLabel = CAMERA_STATE_STYLE[camera.state].label;
    fillName(cells[0]!, camera);
    const site = this.options.store.sites.get(camera.siteId);
    const impaired = site?.monitor?.impaired === true;
    fillSite(cells[1]!, catalog.siteName(camera.siteId), impaired ? (site?.monitor?.detail ?? '') : null);
    setCell(cells[2]!, catalog.councilName(camera.councilId));
    const badge = cells[3]!.firstElementChild as HTMLElement | null;
    if (badge && badge.dataset.state === camera.state) {
      // unchanged
    } else {
      cells[3]!.replaceChildren(el('span', { class: 'badge', 'data-state': camera.state }, stateLabel));
    }
    setCell(cells[4]!, relativeTime(camera.stateSince, nowMs), dateTime(camera.stateSince));
    setCell(cells[5]!, relativeTime(camera.lastSeenAt, nowMs), dateTime(camera.lastSeenAt));
    // In words; the agent's technical text (socket errors, addresses) in the tooltip.
    const reasons = reasonsLine(camera.reasons);
    setCell(cells[6]!, reasons.text || '–', reasons.title);
    const approval =
      camera.approval === 'approved' ? '' : `, ${APPROVAL_LABEL[camera.approval].toLowerCase()}`;
    row.dataset.approval = camera.approval;
    const monitor = impaired ? ', site monitor impaired' : '';
    row.setAttribute('aria-label', `${camera.name}, ${stateLabel}${approval}${monitor}`);
  }

  private onKey(event: KeyboardEvent): void {
    const row = (event.target as Element).closest<HTMLTableRowElement>('tr.cam-row');
    const id = row?.dataset.cameraId;
    if (!row || !id) return;
    const index = this.position.get(id);
    if (index === undefined) return;
    let target: number | null = null;
    switch (event.key) {
      case 'Enter':
      case ' ':
        event.preventDefault();
        this.options.onSelect(id);
        return;
      case 'ArrowDown':
        target = index + 1;
        break;
      case 'ArrowUp':
        target = index - 1;
        break;
      case 'PageDown':
        target = index + Math.floor(this.scroller.clientHeight / ROW_HEIGHT_PX);
        break;
      case 'PageUp':
        target = index - Math.floor(this.scroller.clientHeight / ROW_HEIGHT_PX);
        break;
      case 'Home':
        target = 0;
        break;
      case 'End':
        target = this.ids.length - 1;
        break;
      default:
        return;
    }
    event.preventDefault();
    const clamped = Math.max(0, Math.min(this.ids.length - 1, target));
    this.scrollToIndex(clamped);
    this.renderWindow(false);
    const targetId = this.ids[clamped];
    if (targetId !== undefined) this.rows.get(targetId)?.focus({ preventScroll: true });
  }

  private scrollToIndex(index: number | undefined): void {
    if (index === undefined) return;
    const headHeight = this.table.tHead?.offsetHeight ?? ROW_HEIGHT_PX;
    const top = index * ROW_HEIGHT_PX;
    const viewTop = this.scroller.scrollTop;
    const viewBottom = viewTop + this.scroller.clientHeight - headHeight;
    if (top < viewTop) this.scroller.scrollTop = top;
    else if (top + ROW_HEIGHT_PX > viewBottom)
      this.scroller.scrollTop = top + ROW_HEIGHT_PX - (this.scroller.clientHeight - headHeight);
    this.renderWindow(false);
  }
}

function spacer(): HTMLTableRowElement {
  return el('tr', { class: 'spacer', 'aria-hidden': 'true' }, el('td', { colspan: COLUMNS.length }));
}

/**
 * The camera's name, led by its registry standing when it is not approved (a pending camera counts in
 * no council's reports yet): the tag first, so the ellipsis of a long name never hides it, and short,
 * so the name still shows; assistive technology and the tooltip get the whole phrase.
 */
function fillName(cell: HTMLTableCellElement, camera: CameraView): void {
  const key = `${camera.approval}|${camera.name}`;
  if (cell.dataset.key === key) return;
  cell.dataset.key = key;
  const { approval } = camera;
  cell.title = approval === 'approved' ? camera.id : `${camera.id}: ${APPROVAL_LABEL[approval]}`;
  if (approval === 'approved') {
    cell.textContent = camera.name;
    return;
  }
  cell.replaceChildren(
    el(
      'span',
      { class: 'approval-mark', 'data-approval': approval },
      APPROVAL_SHORT[approval],
      approval === 'pending' ? el('span', { class: 'visually-hidden' }, ' approval') : null,
    ),
    ' ',
    camera.name,
  );
}

/**
 * The site's name, marked while its agent is impaired (starved of CPU or stalled): its cameras'
 * checks that ran out of time then show as unknown, not down. `impairment` is null when it is not.
 */
function fillSite(cell: HTMLTableCellElement, name: string, impairment: string | null): void {
  const key = `${name}\u0000${impairment ?? ''}`;
  if (cell.dataset.key === key) return;
  cell.dataset.key = key;
  if (impairment === null) {
    cell.replaceChildren(name);
    cell.removeAttribute('title');
    return;
  }
  cell.replaceChildren(name, ' ', el('span', { class: 'monitor-mark' }, 'monitor impaired'));
  cell.title = `The site's monitor is impaired${impairment ? `: ${impairment}` : ''}. Checks it could not complete count as unknown, not down.`;
}

function setCell(cell: HTMLTableCellElement, text: string, title?: string): void {
  setText(cell, text);
  if (title !== undefined && cell.title !== title) cell.title = title;
}
