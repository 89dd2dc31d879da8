import { sharePercent } from '../../src/compliance/evidence-text.ts';
import type { UptimeReport } from '../../src/schemas/api.ts';
import { UnauthorizedError } from './api.ts';
import type { CouncilApi } from './council-api.ts';
import { el, setText } from './dom.ts';

const SVG_NS = 'http://www.w3.org/2000/svg';
const CHART_HEIGHT = 140;
const BAR_STEP = 22;
const BAR_WIDTH = 16;
const AXIS_WIDTH = 36;
const LABEL_HEIGHT = 18;

const londonMonth = new Intl.DateTimeFormat('en-CA', {
  timeZone: 'Europe/London',
  year: 'numeric',
  month: '2-digit',
});

/** This Europe/London calendar month as YYYY-MM (the hub's report months are London months). */
export function currentLondonMonth(nowMs = Date.now()): string {
  return londonMonth.format(new Date(nowMs)).slice(0, 7);
}

/** As the evidence pack prints a share (rounded down, never overstating: 99.996% is 99.99%, not 100.0). */
export function percent(share: number | null): string {
  return share === null ? '–' : sharePercent(share);
}

function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number>,
  ...children: (SVGElement | string)[]
): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
  for (const child of children) node.append(child);
  return node;
}

/**
 * The council's daily availability over the last 30 days as an inline SVG bar chart (a tick marks the
 * observed share of each day), with the 30-day and this month's totals.
 */
export class UptimeChart {
  readonly element: HTMLElement;
  // Focusable: on a phone the chart scrolls sideways, and a keyboard must be able to scroll it.
  private readonly chart = el('div', {
    class: 'uptime-chart-box',
    tabindex: 0,
    role: 'region',
    'aria-label': 'Daily availability chart',
  });
  private readonly totals = el('p', { class: 'uptime-totals', id: 'uptime-totals' });
  private councilId: string | null = null;
  private request: AbortController | null = null;

  constructor(private readonly api: CouncilApi) {
    this.element = el(
      'section',
      { class: 'panel uptime-panel', id: 'uptime-panel', 'aria-labelledby': 'uptime-title' },
      el('h2', { id: 'uptime-title', class: 'panel-title' }, 'Uptime, last 30 days'),
      this.totals,
      this.chart,
      el(
        'p',
        { class: 'chart-legend muted' },
        el('span', { class: 'legend-bar' }),
        ' availability (up + degraded over up + degraded + down)  ',
        el('span', { class: 'legend-tick' }),
        ' observed share of the day',
      ),
    );
  }

  setCouncil(councilId: string | null): void {
    this.councilId = councilId;
    this.request?.abort();
    this.chart.replaceChildren();
    setText(this.totals, councilId === null ? '' : 'Loading…');
    if (councilId !== null) void this.load(councilId);
  }

  stop(): void {
    this.request?.abort();
  }

  private async load(councilId: string): Promise<void> {
    const controller = new AbortController();
    this.request = controller;
    try {
      const [days, month] = await Promise.all([
        this.api.uptime30d(councilId, controller.signal),
        this.api.uptimeMonth(councilId, currentLondonMonth(), controller.signal),
      ]);
      if (this.councilId !== councilId) return;
      this.totals.replaceChildren(
        el('span', {}, '30 days: '),
        el('strong', { id: 'uptime-30d' }, percent(days.total.availability)),
        ` available, ${percent(days.total.observed)} observed · ${month.window.label}: `,
        el('strong', { id: 'uptime-month' }, percent(month.total.availability)),
        ` available, ${percent(month.total.observed)} observed · ${days.cameraCount} cameras`,
      );
      this.chart.replaceChildren(this.draw(days));
    } catch (error) {
      if (controller.signal.aborted || error instanceof UnauthorizedError) return;
      this.totals.replaceChildren(
        el('span', { class: 'error' }, `Could not load uptime: ${(error as Error).message}`),
      );
    }
  }

  private draw(report: UptimeReport): SVGSVGElement {
    const days = report.days ?? [];
    const width = AXIS_WIDTH + Math.max(days.length, 1) * BAR_STEP;
    const height = CHART_HEIGHT + LABEL_HEIGHT;
    const y = (share: number) => CHART_HEIGHT - share * CHART_HEIGHT;
    const chart = svg('svg', {
      id: 'uptime-chart',
      class: 'uptime-chart',
      viewBox: `0 0 ${width} ${height}`,
      width,
      height,
      role: 'img',
      'aria-label': `Daily availability, ${report.window.label}`,
    });
    for (const share of [0, 0.5, 1]) {
      chart.append(
        svg('line', { class: 'grid', x1: AXIS_WIDTH - 4, x2: width, y1: y(share), y2: y(share) }),
        svg(
          'text',
          { class: 'axis', x: AXIS_WIDTH - 6, y: y(share) + 4, 'text-anchor': 'end' },
          `${share * 100}%`,
        ),
      );
    }
    days.forEach((day, index) => {
      const x = AXIS_WIDTH + index * BAR_STEP + (BAR_STEP - BAR_WIDTH) / 2;
      const tip = `${day.day}: ${percent(day.availability)} available, ${percent(day.observed)} observed`;
      const availability = day.availability;
      const bar = svg(
        'rect',
        {
          class: availability === null ? 'bar empty' : 'bar',
          'data-day': day.day,
          'data-availability': availability ?? '',
          x,
          y: availability === null ? CHART_HEIGHT - 2 : y(availability),
          width: BAR_WIDTH,
          height: availability === null ? 2 : Math.max(1, availability * CHART_HEIGHT),
        },
        svg('title', {}, tip),
      );
      if (availability !== null && availability < 0.99) bar.classList.add('low');
      chart.append(bar);
      if (day.observed !== null) {
        chart.append(
          svg('line', {
            class: 'observed',
            'data-day': day.day,
            x1: x - 2,
            x2: x + BAR_WIDTH + 2,
            y1: y(day.observed),
            y2: y(day.observed),
          }),
        );
      }
      // Every fifth day is labelled (day of month) to keep the axis readable.
      if (index % 5 === 0 || index === days.length - 1) {
        chart.append(
          svg(
            'text',
            { class: 'axis', x: x + BAR_WIDTH / 2, y: height - 4, 'text-anchor': 'middle' },
            day.day.slice(8),
          ),
        );
      }
    });
    return chart;
  }
}
