import { londonDate, pdfText } from './format.ts';
import { contentBottom, FONT, FONT_BOLD, INK, type Pdf, RULE_GREY, textWidth } from './pdf-table.ts';
import type { CheckedPeriod, ClockSample, ReportCamera } from './report-data.ts';

/** Design thresholds for clock offset (DESIGN.md reference table): warn beyond 1 s, fail beyond 5 s. */
export const CLOCK_WARN_S = 1;
export const CLOCK_FAIL_S = 5;
const WARN_COLOR = '#d08a00';
const FAIL_COLOR = '#c0392b';
const LINE_COLOR = '#1f4e96';

const COLUMNS = 3;
const GAP_PT = 10;
// Six rows of panels fill an A4 page between the margins.
const PANEL_HEIGHT_PT = 112;
// A panel's y range never shrinks below this, so both threshold lines always show.
const MIN_RANGE_S = 6;

interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

interface Point {
  atMs: number;
  offsetS: number;
}

/**
 * Keeps the lowest and highest reading per horizontal slot (in time order) so a month of readings
 * every few minutes stays a small PDF while every spike stays visible: a max-only or mean thinning
 * would hide exactly the excursions an auditor is looking for.
 */
export function thinSamples(samples: readonly ClockSample[], period: CheckedPeriod, slots: number): Point[] {
  const spanMs = period.toMs - period.fromMs;
  const buckets = new Map<number, { min: Point; max: Point }>();
  for (const s of samples) {
    const atMs = Date.parse(s.at);
    if (!(atMs >= period.fromMs && atMs < period.toMs) || !Number.isFinite(s.offsetMs)) continue;
    const p = { atMs, offsetS: s.offsetMs / 1000 };
    const slot = Math.floor(((atMs - period.fromMs) / spanMs) * slots);
    const b = buckets.get(slot);
    if (!b) buckets.set(slot, { min: p, max: p });
    else {
      if (p.offsetS < b.min.offsetS) b.min = p;
      if (p.offsetS > b.max.offsetS) b.max = p;
    }
  }
  return [...buckets.keys()]
    .sort((a, b) => a - b)
    .flatMap((k) => {
      const { min, max } = buckets.get(k)!;
      if (min === max) return [min];
      return min.atMs <= max.atMs ? [min, max] : [max, min];
    });
}

/** Symmetric y range in seconds: at least ±6 s, else the worst reading rounded up to a readable step. */
export function rangeSeconds(points: readonly Point[]): number {
  const worst = Math.max(0, ...points.map((p) => Math.abs(p.offsetS)));
  if (worst <= MIN_RANGE_S) return MIN_RANGE_S;
  const step = 10 ** Math.floor(Math.log10(worst));
  return Math.ceil(worst / step) * step;
}

function drawPanel(doc: Pdf, box: Box, camera: ReportCamera, period: CheckedPeriod): void {
  doc.font(FONT_BOLD).fontSize(6.5).fillColor(INK);
  doc.text(pdfText(`${camera.id}  ${camera.name}`, 120), box.x, box.y, {
    width: box.w,
    height: 8,
    ellipsis: true,
    lineBreak: false,
  });
  const plot: Box = { x: box.x + 22, y: box.y + 11, w: box.w - 24, h: box.h - 24 };
  const points = thinSamples(camera.clock.hourlyWorst, period, Math.round(plot.w * 2));
  const rangeS = rangeSeconds(points);
  // The lines are the camera's own limits (its code's clock rule), the ones its readings are counted against.
  const warnS = camera.clock.warnMs / 1000;
  const failS = camera.clock.failMs / 1000;
  const yOf = (s: number) => plot.y + plot.h / 2 - (s / rangeS) * (plot.h / 2);
  const xOf = (ms: number) => plot.x + ((ms - period.fromMs) / (period.toMs - period.fromMs)) * plot.w;

  doc.rect(plot.x, plot.y, plot.w, plot.h).lineWidth(0.4).strokeColor(RULE_GREY).stroke();
  doc.font(FONT).fontSize(5).fillColor(INK);
  // The ±5 s labels are dropped when a wide range would print them on top of the 0 label.
  const labels = [rangeS, failS, 0, -failS, -rangeS].filter(
    (s) => Math.abs(s) !== failS || Math.abs(yOf(s) - yOf(0)) >= 6,
  );
  for (const s of labels) {
    doc.text(`${s > 0 ? '+' : ''}${s}`, box.x, yOf(s) - 2, { width: 20, align: 'right', lineBreak: false });
  }
  const thresholds: [number, string][] = [
    [warnS, WARN_COLOR],
    [failS, FAIL_COLOR],
  ];
  for (const [limit, color] of thresholds) {
    for (const s of [limit, -limit]) {
      doc
        .moveTo(plot.x, yOf(s))
        .lineTo(plot.x + plot.w, yOf(s))
        .lineWidth(0.4)
        .dash(2, { space: 1.5 })
        .strokeColor(color)
        .stroke()
        .undash();
    }
  }
  doc
    .moveTo(plot.x, yOf(0))
    .lineTo(plot.x + plot.w, yOf(0))
    .lineWidth(0.3)
    .strokeColor(RULE_GREY)
    .stroke();

  if (points.length === 0) {
    doc.font(FONT).fontSize(6).fillColor('#666666');
    doc.text('No clock readings in this period', plot.x, plot.y + plot.h * 0.3, {
      width: plot.w,
      align: 'center',
    });
  } else {
    doc.save();
    doc.rect(plot.x, plot.y, plot.w, plot.h).clip();
    const [first, ...rest] = points;
    if (first && rest.length === 0) doc.circle(xOf(first.atMs), yOf(first.offsetS), 0.8).fill(LINE_COLOR);
    else if (first) {
      doc.moveTo(xOf(first.atMs), yOf(first.offsetS));
      for (const p of rest) doc.lineTo(xOf(p.atMs), yOf(p.offsetS));
      doc.lineWidth(0.6).strokeColor(LINE_COLOR).stroke();
    }
    doc.restore();
  }
  doc.font(FONT).fontSize(5).fillColor(INK);
  const axisY = plot.y + plot.h + 2;
  doc.text(londonDate(period.fromMs), plot.x, axisY, { width: plot.w / 2, lineBreak: false });
  doc.text(londonDate(period.toMs - 1), plot.x + plot.w / 2, axisY, {
    width: plot.w / 2,
    align: 'right',
    lineBreak: false,
  });
}

/**
 * One small chart per camera (offset in seconds against time, lines at its warn and fail limits), three across:
 * sixty cameras on one shared axis would be unreadable, and a shared y range would let one camera
 * an hour out flatten everyone else's line.
 */
export function drawClockCharts(doc: Pdf, cameras: readonly ReportCamera[], period: CheckedPeriod): void {
  const left = doc.page.margins.left;
  const panelWidth = (textWidth(doc) - GAP_PT * (COLUMNS - 1)) / COLUMNS;
  let y = doc.y;
  cameras.forEach((camera, i) => {
    const column = i % COLUMNS;
    if (column === 0 && i > 0) y += PANEL_HEIGHT_PT + GAP_PT;
    if (column === 0 && y + PANEL_HEIGHT_PT > contentBottom(doc)) {
      doc.addPage();
      y = doc.page.margins.top;
    }
    drawPanel(
      doc,
      { x: left + column * (panelWidth + GAP_PT), y, w: panelWidth, h: PANEL_HEIGHT_PT },
      camera,
      period,
    );
  });
  doc.x = left;
  doc.y = y + PANEL_HEIGHT_PT + GAP_PT;
}
