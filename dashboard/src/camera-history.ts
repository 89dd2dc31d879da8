import { sharePercent } from '../../src/compliance/evidence-text.ts';
import type { UptimeReport } from '../../src/schemas/api.ts';
import type { CameraHistory, CameraStateInterval } from '../../src/schemas/camera-history.ts';
import { type ApiClient, hubMessage, UnauthorizedError } from './api.ts';
import { el, setText } from './dom.ts';
import * as fmt from './format.ts';
import { reasonWords } from './reason-words.ts';
import { CAMERA_STATE_STYLE } from './states.ts';

/** Days in the availability strip, as status pages show them. */
export const STRIP_DAYS = 90;
/** State changes listed under the timeline (the timeline itself shows the whole week). */
const LISTED_CHANGES = 12;
/** A day at or above this share is drawn as good, below POOR_BELOW as poor, fair between. */
const GOOD_FROM = 0.999;
const POOR_BELOW = 0.99;
/** The strip's figures change by the day: re-read at most this often while a camera stays open. */
const STRIP_REFRESH_MS = 5 * 60_000;

type DayMark = 'good' | 'fair' | 'poor' | 'none';

/** How a day's availability is drawn (never colour alone: each cell has its words in the list below). */
export function dayMark(availability: number | null): DayMark {
  if (availability === null) return 'none';
  if (availability >= GOOD_FROM) return 'good';
  if (availability >= POOR_BELOW) return 'fair';
  return 'poor';
}

/** "3 h 12 min", "45 min", "20 s": how long an interval lasted. */
export function span(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const min = Math.floor(s / 60);
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  if (h < 48) return min % 60 === 0 ? `${h} h` : `${h} h ${min % 60} min`;
  const d = Math.floor(h / 24);
  return h % 24 === 0 ? `${d} d` : `${d} d ${h % 24} h`;
}

/**
 * A camera's record in the detail panel: a 90-day availability strip (one cell a Europe/London day,
 * the same figures as the uptime report and the evidence pack) and the last week's state timeline
 * with its changes listed, newest first. Both are read from the hub when a camera is shown; the
 * timeline again when the camera's state changes, the strip at most every few minutes.
 */
export class CameraRecord {
  readonly element: HTMLElement;
  // An image's name is there from the start (loading, failed, then the figures): never a nameless image.
  private readonly strip = el('div', {
    class: 'uptime-strip',
    id: 'detail-uptime-strip',
    role: 'img',
    'aria-label': 'Availability: loading',
  });
  private readonly stripSummary = el('p', { class: 'record-summary', id: 'detail-uptime-summary' });
  private readonly stripDays = el('ul', { class: 'record-days' });
  private readonly stripDetails = el(
    'details',
    { class: 'record-more' },
    el('summary', {}, 'Days below 99.9%'),
    this.stripDays,
  );
  private readonly timeline = el('div', { class: 'state-timeline', id: 'detail-timeline', role: 'img' });
  private readonly timelineSummary = el('p', { class: 'record-summary', id: 'detail-timeline-summary' });
  private readonly changes = el('ol', { class: 'state-changes', id: 'detail-state-changes' });
  private cameraId: string | null = null;
  private stripAt = 0;
  private historyAbort: AbortController | null = null;
  private stripAbort: AbortController | null = null;

  constructor(private readonly api: ApiClient) {
    this.element = el(
      'div',
      { class: 'camera-record' },
      el(
        'section',
        { class: 'detail-section', 'aria-labelledby': 'detail-uptime-heading' },
        el('h3', { id: 'detail-uptime-heading' }, `Availability, last ${STRIP_DAYS} days`),
        this.strip,
        el(
          'div',
          { class: 'strip-scale', 'aria-hidden': 'true' },
          el('span', {}, `${STRIP_DAYS} days ago`),
          el('span', {}, 'Today'),
        ),
        this.stripSummary,
        this.stripDetails,
      ),
      el(
        'section',
        { class: 'detail-section', 'aria-labelledby': 'detail-timeline-heading' },
        el('h3', { id: 'detail-timeline-heading' }, 'State history, last 7 days'),
        this.timeline,
        el(
          'div',
          { class: 'strip-scale', 'aria-hidden': 'true' },
          el('span', {}, '7 days ago'),
          el('span', {}, 'Now'),
        ),
        this.timelineSummary,
        this.changes,
      ),
    );
  }

  /** Shows a camera's record (null hides it); reads both parts from the hub. */
  show(cameraId: string | null): void {
    if (cameraId === this.cameraId) return;
    this.cameraId = cameraId;
    this.historyAbort?.abort();
    this.stripAbort?.abort();
    this.stripAt = 0;
    this.strip.replaceChildren();
    this.strip.setAttribute('aria-label', 'Availability: loading');
    this.timeline.replaceChildren();
    this.changes.replaceChildren();
    setText(this.stripSummary, 'Loading…');
    setText(this.timelineSummary, 'Loading…');
    if (cameraId === null) return;
    void this.loadHistory();
    void this.loadStrip();
  }

  /** The camera's state changed: its timeline has a new interval; the strip, at most every few minutes. */
  changed(): void {
    if (this.cameraId === null) return;
    void this.loadHistory();
    if (Date.now() - this.stripAt > STRIP_REFRESH_MS) void this.loadStrip();
  }

  stop(): void {
    this.historyAbort?.abort();
    this.stripAbort?.abort();
  }

  private async loadHistory(): Promise<void> {
    const id = this.cameraId;
    if (id === null) return;
    this.historyAbort?.abort();
    const controller = new AbortController();
    this.historyAbort = controller;
    try {
      const history = await this.api.get<CameraHistory>(
        `/api/cameras/${encodeURIComponent(id)}/history`,
        controller.signal,
      );
      if (this.cameraId === id) this.drawHistory(history);
    } catch (error) {
      if (controller.signal.aborted || error instanceof UnauthorizedError || this.cameraId !== id) return;
      setText(this.timelineSummary, `Could not read the state history: ${hubMessage(error)}`);
    }
  }

  private async loadStrip(): Promise<void> {
    const id = this.cameraId;
    if (id === null) return;
    this.stripAbort?.abort();
    const controller = new AbortController();
    this.stripAbort = controller;
    this.stripAt = Date.now();
    try {
      const report = await this.api.get<UptimeReport>(
        `/api/uptime?scope=camera&id=${encodeURIComponent(id)}&window=90d&daily=true`,
        controller.signal,
      );
      if (this.cameraId === id) this.drawStrip(report);
    } catch (error) {
      if (controller.signal.aborted || error instanceof UnauthorizedError || this.cameraId !== id) return;
      setText(this.stripSummary, `Could not read availability: ${hubMessage(error)}`);
      this.strip.setAttribute('aria-label', 'Availability: could not be read');
    }
  }

  private drawStrip(report: UptimeReport): void {
    const days = (report.days ?? []).slice(-STRIP_DAYS);
    const counts: Record<DayMark, number> = { good: 0, fair: 0, poor: 0, none: 0 };
    const below: HTMLElement[] = [];
    this.strip.replaceChildren(
      ...days.map((d) => {
        const mark = dayMark(d.availability);
        counts[mark] += 1;
        const words = d.availability === null ? 'no data' : `${sharePercent(d.availability)} available`;
        if (mark === 'fair' || mark === 'poor')
          below.push(el('li', { 'data-day': d.day, 'data-mark': mark }, `${d.day}: ${words}`));
        return el('span', {
          class: 'strip-day',
          'data-mark': mark,
          'data-day': d.day,
          title: `${d.day}: ${words}`,
        });
      }),
    );
    this.strip.dataset.days = String(days.length);
    const total = report.total.availability;
    const label =
      `Availability ${sharePercent(total)} over ${report.window.label}: ${counts.good} days at or above 99.9%, ` +
      `${counts.fair} between 99% and 99.9%, ${counts.poor} below 99%, ${counts.none} without data`;
    this.strip.setAttribute('aria-label', label);
    setText(
      this.stripSummary,
      `${sharePercent(total)} available (maintenance excluded), ${counts.poor + counts.fair} of ${days.length} days below 99.9%. Computed ${fmt.dateTime(report.evaluatedAt)}.`,
    );
    this.stripSummary.dataset.availability = total === null ? '' : String(total);
    this.stripDays.replaceChildren(...(below.length > 0 ? below : [el('li', {}, 'None.')]));
  }

  private drawHistory(history: CameraHistory): void {
    const fromMs = Date.parse(history.from);
    const toMs = Date.parse(history.to);
    const nowMs = Date.parse(history.evaluatedAt);
    const width = Math.max(1, toMs - fromMs);
    const endOf = (i: CameraStateInterval) => (i.to === null ? nowMs : Date.parse(i.to));
    // Oldest first on the bar, left to right.
    const ordered = [...history.intervals].reverse();
    this.timeline.replaceChildren(
      ...ordered.map((i) => {
        const start = Date.parse(i.from);
        const left = ((start - fromMs) / width) * 100;
        const w = ((endOf(i) - start) / width) * 100;
        const part = el('span', {
          class: 'timeline-part',
          'data-state': i.state,
          title: `${CAMERA_STATE_STYLE[i.state].label} from ${fmt.dateTime(i.from)} for ${span(endOf(i) - start)}`,
        });
        // Through the CSS object model: no style attribute is parsed.
        part.style.left = `${left.toFixed(3)}%`;
        part.style.width = `${Math.max(w, 0.15).toFixed(3)}%`;
        return part;
      }),
    );
    const byState = new Map<string, number>();
    for (const i of history.intervals)
      byState.set(i.state, (byState.get(i.state) ?? 0) + endOf(i) - Date.parse(i.from));
    const parts = [...byState]
      .sort((a, b) => b[1] - a[1])
      .map(([state, ms]) => `${CAMERA_STATE_STYLE[state as CameraStateInterval['state']].label} ${span(ms)}`);
    const recorded = parts.length > 0 ? parts.join(', ') : 'nothing recorded';
    this.timeline.setAttribute('aria-label', `State over the last 7 days: ${recorded}`);
    const changes = history.intervals.length;
    setText(
      this.timelineSummary,
      changes === 0
        ? 'No state recorded in the last 7 days.'
        : `${changes} ${changes === 1 ? 'state' : 'states'} in the last 7 days${history.truncated ? ' (the oldest left off)' : ''}: ${recorded}.`,
    );
    this.changes.replaceChildren(
      ...history.intervals
        .slice(0, LISTED_CHANGES)
        .map((i) =>
          el(
            'li',
            { 'data-state': i.state },
            el('span', { class: 'badge', 'data-state': i.state }, CAMERA_STATE_STYLE[i.state].label),
            ' ',
            el(
              'time',
              { datetime: i.from },
              i.clippedFrom ? `before ${fmt.dateTime(i.from)}` : fmt.dateTime(i.from),
            ),
            i.to === null ? ', now' : `, for ${span(endOf(i) - Date.parse(i.from))}`,
            i.reasons.length > 0
              ? el('span', { class: 'muted' }, `: ${i.reasons.map((r) => reasonWords(r).summary).join('; ')}`)
              : null,
          ),
        ),
    );
  }
}
