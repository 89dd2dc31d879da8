import type { CameraDetail, CameraView, SiteView } from '../../src/schemas/api.ts';
import { type ApiClient, UnauthorizedError } from './api.ts';
import { CameraActions } from './camera-actions.ts';
import { CameraRecord } from './camera-history.ts';
import type { Catalog } from './catalog.ts';
import { CommissioningRecordView } from './commissioning-record.ts';
import { clear, el } from './dom.ts';
import * as fmt from './format.ts';
import type { LiveStore, LiveUpdate } from './live.ts';
import { reasonWords } from './reason-words.ts';
import { APPROVAL_EFFECT, APPROVAL_LABEL, CAMERA_STATE_STYLE, SITE_LINK_LABEL } from './states.ts';
import { videoRows } from './video-rows.ts';

/** A camera in `changes` every few hundred ms must not turn into a request storm. */
const MIN_REFETCH_INTERVAL_MS = 1000;
/**
 * Health and stream details change without a live state change (a stream's first probe, each
 * health poll's clock reading), and live updates carry state only: an open panel re-reads its
 * camera this often as well.
 */
export const DETAIL_REFRESH_MS = 10_000;

interface DetailPanelOptions {
  api: ApiClient;
  store: LiveStore;
  catalog: Catalog;
  onClose: () => void;
  /** Hub operators only: opens the camera in the geometry editor (the incident view's map). */
  onEditGeometry: ((cameraId: string) => void) | null;
  /** Roles that may view feeds: the camera joins the camera wall. */
  onAddToWall: ((cameraId: string) => void) | null;
  /** Operators and control rooms may take a snapshot (audited). */
  maySnapshot: boolean;
  /** Operators and council officers may put the camera in maintenance. */
  mayMaintain: boolean;
}

type Row = [label: string, value: string, field: string, warn?: boolean];

/**
 * Detail of the selected camera: identity, commissioning and live state from the store (redrawn on
 * every change), latest health and stream from `GET /api/cameras/:id` (re-fetched when the camera
 * changes, at most once a second, one request in flight).
 */
export class DetailPanel {
  readonly element: HTMLElement;
  private readonly body: HTMLElement;
  /** Redrawn on every change: the state and its reasons, then identity, health and stream. */
  private readonly head = el('div', { class: 'detail-head' });
  private readonly rest = el('div', { class: 'detail-rest' });
  /** Kept across redraws (their forms and requests have state of their own). */
  private readonly actions: CameraActions;
  private readonly record: CameraRecord;
  private readonly commissioned: CommissioningRecordView;
  private lastState: string | null = null;
  private readonly title: HTMLElement;
  private cameraId: string | null = null;
  private detail: CameraDetail | null = null;
  private error: string | null = null;
  private inFlight: AbortController | null = null;
  private refetchTimer: ReturnType<typeof setTimeout> | null = null;
  private periodicTimer: ReturnType<typeof setTimeout> | null = null;
  private lastFetchAt = 0;
  private stale = false;

  constructor(private readonly options: DetailPanelOptions) {
    this.title = el('h2', { id: 'detail-title' }, 'Camera');
    const close = el(
      'button',
      { type: 'button', class: 'icon-button', id: 'detail-close', 'aria-label': 'Close camera detail' },
      '×',
    );
    close.addEventListener('click', () => this.options.onClose());
    const { onEditGeometry } = this.options;
    let edit: HTMLButtonElement | null = null;
    if (onEditGeometry) {
      edit = el(
        'button',
        { type: 'button', class: 'mw-action', id: 'detail-edit-geometry' },
        'Edit geometry',
      );
      edit.addEventListener('click', () => {
        if (this.cameraId !== null) onEditGeometry(this.cameraId);
      });
    }
    const { onAddToWall } = this.options;
    let toWall: HTMLButtonElement | null = null;
    if (onAddToWall) {
      toWall = el('button', { type: 'button', class: 'mw-action', id: 'detail-add-to-wall' }, 'Add to wall');
      toWall.addEventListener('click', () => {
        if (this.cameraId !== null) onAddToWall(this.cameraId);
      });
    }
    this.actions = new CameraActions({
      api: this.options.api,
      maySnapshot: this.options.maySnapshot,
      mayMaintain: this.options.mayMaintain,
    });
    this.record = new CameraRecord(this.options.api);
    this.commissioned = new CommissioningRecordView(this.options.api);
    // It scrolls when the detail is long: focusable, so keyboard users can scroll it too.
    this.body = el(
      'div',
      {
        class: 'detail-body',
        tabindex: '0',
        role: 'region',
        'aria-labelledby': 'detail-title',
      },
      this.head,
      this.actions.element,
      this.record.element,
      this.rest,
      this.commissioned.element,
    );
    this.element = el(
      'aside',
      { id: 'detail-panel', class: 'detail-panel', 'aria-labelledby': 'detail-title', hidden: true },
      el('header', { class: 'detail-header' }, this.title, toWall, edit, close),
      this.body,
    );
    this.element.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') this.options.onClose();
    });
  }

  show(cameraId: string | null): void {
    if (cameraId === this.cameraId) return;
    this.cancel();
    this.cameraId = cameraId;
    this.detail = null;
    this.error = null;
    this.element.hidden = cameraId === null;
    this.lastState = null;
    this.record.show(cameraId);
    this.commissioned.show(cameraId);
    this.actions.show(
      cameraId,
      cameraId === null ? '' : (this.options.store.cameras.get(cameraId)?.name ?? cameraId),
    );
    // The loaded flag and state describe the previous camera until this one's detail arrives.
    delete this.element.dataset.loaded;
    delete this.element.dataset.state;
    if (cameraId === null) {
      delete this.element.dataset.cameraId;
      return;
    }
    this.element.dataset.cameraId = cameraId;
    this.render();
    void this.fetch();
  }

  applyUpdate(update: LiveUpdate): void {
    const id = this.cameraId;
    if (id === null) return;
    if (!(update.full || update.cameraIds.has(id))) {
      // The site's link or agent clock changed: redraw, the camera's own detail is unchanged.
      const siteId = this.options.store.cameras.get(id)?.siteId;
      if (siteId !== undefined && update.siteIds.has(siteId)) this.render();
      return;
    }
    this.render();
    this.scheduleRefetch();
    const state = this.options.store.cameras.get(id)?.state ?? null;
    if (state !== this.lastState) {
      // A new interval began: the timeline (and maintenance, which may have begun or ended) changed.
      if (this.lastState !== null) {
        this.record.changed();
        this.actions.changed();
      }
      this.lastState = state;
    }
  }

  /** Relative times age. */
  refresh(): void {
    if (this.cameraId !== null) this.render();
  }

  stop(): void {
    this.cancel();
    this.record.stop();
    this.commissioned.stop();
    this.actions.stop();
  }

  private cancel(): void {
    this.inFlight?.abort();
    this.inFlight = null;
    if (this.refetchTimer !== null) clearTimeout(this.refetchTimer);
    this.refetchTimer = null;
    if (this.periodicTimer !== null) clearTimeout(this.periodicTimer);
    this.periodicTimer = null;
    this.stale = false;
  }

  private scheduleRefetch(): void {
    if (this.inFlight !== null) {
      this.stale = true;
      return;
    }
    if (this.refetchTimer !== null) return;
    const waitMs = Math.max(0, this.lastFetchAt + MIN_REFETCH_INTERVAL_MS - Date.now());
    this.refetchTimer = setTimeout(() => {
      this.refetchTimer = null;
      void this.fetch();
    }, waitMs);
  }

  private async fetch(): Promise<void> {
    const id = this.cameraId;
    if (id === null) return;
    if (this.periodicTimer !== null) clearTimeout(this.periodicTimer);
    this.periodicTimer = null;
    const controller = new AbortController();
    this.inFlight = controller;
    this.lastFetchAt = Date.now();
    try {
      const detail = await this.options.api.camera(id, controller.signal);
      if (this.cameraId !== id) return;
      this.detail = detail;
      this.error = null;
    } catch (error) {
      if (controller.signal.aborted || error instanceof UnauthorizedError || this.cameraId !== id) return;
      this.error = `Could not load health and stream details: ${(error as Error).message}`;
    } finally {
      if (this.inFlight === controller) this.inFlight = null;
    }
    this.element.dataset.loaded = 'true';
    this.render();
    if (this.stale) {
      this.stale = false;
      this.scheduleRefetch();
    } else if (this.refetchTimer === null) {
      this.periodicTimer = setTimeout(() => {
        this.periodicTimer = null;
        this.scheduleRefetch();
      }, DETAIL_REFRESH_MS);
    }
  }

  private render(): void {
    const id = this.cameraId;
    if (id === null) return;
    // Live fields come from the store (fresher than the fetched detail); health/stream from the detail.
    const camera: CameraView | CameraDetail | undefined =
      this.options.store.cameras.get(id) ?? this.detail ?? undefined;
    const scrollTop = this.body.scrollTop;
    clear(this.head);
    clear(this.rest);
    if (!camera) {
      this.title.textContent = id;
      this.head.append(el('p', { class: 'muted' }, this.error ?? 'Loading…'));
      return;
    }
    if (this.lastState === null) this.lastState = camera.state;
    this.actions.show(id, camera.name);
    this.title.textContent = camera.name;
    this.element.dataset.state = camera.state;
    const now = Date.now();
    const { catalog, store } = this.options;
    const site = store.sites.get(camera.siteId);
    const [lon, lat] = camera.location.coordinates;

    this.head.append(
      el(
        'section',
        { class: 'detail-state' },
        el(
          'span',
          { class: 'badge badge-large', 'data-state': camera.state, 'data-field': 'state' },
          CAMERA_STATE_STYLE[camera.state].label,
        ),
        el(
          'span',
          { 'data-field': 'since', title: fmt.dateTime(camera.stateSince) },
          ` since ${fmt.relativeTime(camera.stateSince, now)}`,
        ),
        camera.reasons.length > 0
          ? el(
              'ul',
              { class: 'reasons', 'data-field': 'reasons' },
              ...camera.reasons.map((r) => {
                const words = reasonWords(r);
                // The technical text (socket errors, addresses) on expand, for whoever fixes it.
                return words.detail === null
                  ? el('li', { 'data-code': r.code }, words.summary, el('code', {}, r.code))
                  : el(
                      'li',
                      { 'data-code': r.code },
                      el(
                        'details',
                        { class: 'reason-detail' },
                        el('summary', {}, words.summary),
                        el('span', { class: 'muted' }, words.detail),
                      ),
                    );
              }),
            )
          : el('p', { class: 'muted', 'data-field': 'reasons' }, 'No active reasons.'),
        camera.approval === 'approved'
          ? null
          : el(
              'p',
              { class: 'approval-notice', 'data-field': 'approval-notice', 'data-approval': camera.approval },
              el('strong', {}, APPROVAL_LABEL[camera.approval]),
              `: ${APPROVAL_EFFECT[camera.approval]}`,
            ),
      ),
    );
    this.rest.append(
      section('Identity', [
        ['Camera id', camera.id, 'id'],
        ['Approval', APPROVAL_LABEL[camera.approval], 'approval', camera.approval !== 'approved'],
        [
          'Site',
          site ? `${site.name} (link ${SITE_LINK_LABEL[site.state].toLowerCase()})` : camera.siteId,
          'site',
          site?.state === 'offline',
        ],
        ...(site ? [agentClockRow(site), monitorRow(site)] : []),
        ['Council', catalog.councilName(camera.councilId), 'council'],
        ['Hub', catalog.hubName(camera.hubId), 'hub'],
        ['Location', `${lat.toFixed(5)}, ${lon.toFixed(5)}`, 'location'],
        [
          'Last seen',
          `${fmt.relativeTime(camera.lastSeenAt, now)} (${fmt.dateTime(camera.lastSeenAt)})`,
          'last-seen',
        ],
      ]),
      section('Commissioning', [
        ['Purpose', camera.purpose, 'purpose'],
        ['Bearing', `${camera.bearingDeg}°`, 'bearing'],
        ['Field of view', `${camera.hfovDeg}° horizontal`, 'hfov'],
        ['Design distance', `${camera.designDistanceM} m`, 'design-distance'],
      ]),
    );
    if (this.detail === null) {
      this.rest.append(
        el(
          'p',
          { class: this.error ? 'error' : 'muted', role: this.error ? 'alert' : null },
          this.error ?? 'Loading health and stream…',
        ),
      );
    } else {
      this.rest.append(
        this.healthSection(this.detail, now),
        this.streamSection(this.detail.stream, 'Main stream', now),
        // Each other media profile (sub-stream) the camera declares, probed less often, on its own.
        ...this.detail.subStreams.map((s) =>
          this.streamSection(s, `Sub-stream ${s.declared?.token ?? ''}`.trim(), now),
        ),
      );
      if (this.error) this.rest.append(el('p', { class: 'error', role: 'alert' }, this.error));
    }
    this.body.scrollTop = scrollTop;
  }

  private healthSection(detail: CameraDetail, nowMs: number): HTMLElement {
    const { health } = detail;
    if (health === null) return section('Latest health', [], 'No health report received yet.');
    const rows: Row[] = [
      [
        'Observed',
        `${fmt.relativeTime(health.observedAt, nowMs)} (${fmt.dateTime(health.observedAt)})`,
        'health-observed',
      ],
      ['Poll result', health.state, 'health-state', health.state !== 'up'],
      ['Response time', fmt.milliseconds(health.responseMs), 'response-time'],
    ];
    const { clock, device, image } = health;
    if (clock) {
      rows.push(
        [
          'Clock offset',
          `${fmt.offset(clock.offsetMs)} (round trip ${fmt.milliseconds(clock.roundTripMs)})`,
          'clock-offset',
          Math.abs(clock.offsetMs) > 1000,
        ],
        ['Time source', clock.dateTimeType ?? '–', 'clock-source', clock.dateTimeType !== 'NTP'],
        ['Time zone', clock.timeZone ?? '–', 'time-zone'],
        ['Daylight saving', fmt.yesNo(clock.daylightSavings), 'dst'],
      );
    } else rows.push(['Clock', 'not read', 'clock-offset']);
    if (device) {
      rows.push(
        ['Device', `${device.manufacturer} ${device.model}`, 'device'],
        ['Firmware', device.firmwareVersion, 'firmware'],
        ['Serial number', device.serialNumber, 'serial'],
      );
    } else rows.push(['Device', 'not read', 'device']);
    if (image) {
      rows.push(
        [
          'Image luma',
          `mean ${image.meanLuma.toFixed(0)}, std dev ${image.lumaStdDev.toFixed(1)}`,
          'image-luma',
        ],
        ['Image blank', fmt.yesNo(image.blank), 'image-blank', image.blank],
        ['Image dark', fmt.yesNo(image.dark), 'image-dark', image.dark],
      );
    } else rows.push(['Image check', 'not run', 'image-luma']);
    // Agents without video analysis send no `video` at all; null means not analysed yet.
    if (health.video) rows.push(...videoRows(health.video, nowMs));
    else if (health.video === null) rows.push(['Video analysis', 'not run yet', 'video-checked']);
    return section('Latest health', rows);
  }

  private streamSection(stream: CameraDetail['stream'], title: string, nowMs: number): HTMLElement {
    if (stream === null) return section(title, [], 'No stream probe received yet.');
    const declared = stream.declared;
    const resolutionDiffers =
      declared !== null && (declared.width !== stream.width || declared.height !== stream.height);
    const fpsDiffers =
      declared?.fps != null && stream.fps !== null && Math.abs(declared.fps - stream.fps) > 0.5;
    const codecDiffers = declared !== null && declared.encoding.toLowerCase() !== stream.codec.toLowerCase();
    const vs = (measured: string, claimed: string | null) =>
      claimed === null ? measured : `${measured} (declared ${claimed})`;
    return section(title, [
      [
        'Observed',
        `${fmt.relativeTime(stream.observedAt, nowMs)} (${fmt.dateTime(stream.observedAt)})`,
        'stream-observed',
      ],
      ['Codec', vs(stream.codec, declared?.encoding ?? null), 'codec', codecDiffers],
      [
        'Resolution',
        vs(
          fmt.resolution(stream.width, stream.height),
          declared ? fmt.resolution(declared.width, declared.height) : null,
        ),
        'resolution',
        resolutionDiffers,
      ],
      [
        'Frame rate',
        vs(fmt.frameRate(stream.fps), declared ? fmt.frameRate(declared.fps) : null),
        'frame-rate',
        fpsDiffers,
      ],
      [
        'Bitrate',
        vs(fmt.bitrate(stream.bitrateKbps), declared ? fmt.bitrate(declared.bitrateKbps) : null),
        'bitrate',
      ],
      ['Profile', declared?.token ?? '–', 'profile'],
      ['Stream URI', stream.uri, 'uri'],
      ['Probe time', fmt.milliseconds(stream.probeMs), 'probe-time'],
    ]);
  }
}

/** The site agent's clock, against which this camera's clock offset is measured. */
function agentClockRow(site: SiteView): Row {
  if (site.clockSuspect) return ['Agent clock', site.clockReason ?? 'suspect', 'agent-clock', true];
  const offset = site.agentClockOffsetMs;
  const sync = site.agentClock?.synchronized;
  const parts = [
    offset === null ? 'offset to the hub not known yet' : `${Math.round(offset)} ms off the hub's clock`,
    sync === true ? 'NTP-synchronised' : sync === false ? 'not NTP-synchronised' : 'NTP status not reported',
  ];
  return ['Agent clock', parts.join(', '), 'agent-clock'];
}

/** The site agent's own health: while it is impaired, checks it could not complete show as unknown. */
function monitorRow(site: SiteView): Row {
  const m = site.monitor;
  if (!m) return ['Site monitor', 'not reported by this agent', 'site-monitor'];
  const figures = [
    `event-loop delay ${fmt.milliseconds(m.eventLoopLagMs)} over the last minute`,
    m.cpuPressurePct === null ? null : `CPU pressure ${m.cpuPressurePct}%`,
    m.load1 === null ? null : `load ${m.load1} on ${m.cpuCount} CPUs`,
    `probes ${m.runningProbes} of ${m.probeSlots}`,
  ]
    .filter((f) => f !== null)
    .join(', ');
  if (!m.impaired) return ['Site monitor', `working normally (${figures})`, 'site-monitor'];
  const since = m.since ? ` since ${fmt.dateTime(m.since)}` : '';
  return [
    'Site monitor',
    `impaired${since}: ${m.detail ?? 'starved of CPU'}. Checks it could not complete show as unknown, not down (${figures})`,
    'site-monitor',
    true,
  ];
}

function section(title: string, rows: Row[], empty?: string): HTMLElement {
  const list = el('dl', { class: 'detail-list' });
  for (const [label, value, field, warn] of rows) {
    list.append(
      el('dt', {}, label),
      el(
        'dd',
        { 'data-field': field, class: warn ? 'warn' : null },
        value,
        warn ? el('span', { class: 'warn-mark' }, ' ⚠ check') : null,
      ),
    );
  }
  return el(
    'section',
    { class: 'detail-section' },
    el('h3', {}, title),
    rows.length > 0 ? list : el('p', { class: 'muted' }, empty ?? ''),
  );
}
