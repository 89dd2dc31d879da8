import type { CommissioningRecord } from '../../src/schemas/commissioning-api.ts';
import { type ApiClient, hubMessage, UnauthorizedError } from './api.ts';
import { el } from './dom.ts';
import * as fmt from './format.ts';

/** "yes", "no" or "not judged" for a judgement that may have had nothing to judge. */
function verdict(value: boolean | null): string {
  return value === null ? 'not judged' : value ? 'yes' : 'no';
}

/**
 * The camera's commissioning record in the detail panel: the latest record taken on site (who, when,
 * what was measured then) and whether the camera met its purpose when commissioned, as the hub judged
 * it. Read once when a camera is shown (records change only when an installer commissions again).
 */
export class CommissioningRecordView {
  readonly element: HTMLElement;
  private readonly body = el('div', { id: 'detail-commissioning-record' });
  private cameraId: string | null = null;
  private abort: AbortController | null = null;

  constructor(private readonly api: ApiClient) {
    this.element = el(
      'section',
      { class: 'detail-section', 'aria-labelledby': 'detail-commissioned-heading' },
      el('h3', { id: 'detail-commissioned-heading' }, 'Commissioned on site'),
      this.body,
    );
  }

  show(cameraId: string | null): void {
    if (cameraId === this.cameraId) return;
    this.cameraId = cameraId;
    this.abort?.abort();
    this.body.replaceChildren(el('p', { class: 'muted' }, 'Loading…'));
    if (cameraId !== null) void this.load(cameraId);
  }

  stop(): void {
    this.abort?.abort();
  }

  private async load(id: string): Promise<void> {
    const controller = new AbortController();
    this.abort = controller;
    try {
      const records = await this.api.get<CommissioningRecord[]>(
        `/api/cameras/${encodeURIComponent(id)}/commissioning`,
        controller.signal,
      );
      if (this.cameraId === id) this.draw(records);
    } catch (error) {
      if (controller.signal.aborted || error instanceof UnauthorizedError || this.cameraId !== id) return;
      this.body.replaceChildren(
        el('p', { class: 'error' }, `Could not read the commissioning record: ${hubMessage(error)}`),
      );
    }
  }

  private draw(records: CommissioningRecord[]): void {
    // Newest first, as the hub lists them.
    const latest = records[0];
    if (!latest) {
      this.body.dataset.records = '0';
      this.body.replaceChildren(
        el(
          'p',
          { class: 'muted' },
          "No commissioning record: this camera's geometry was entered at the hub, not measured on site with the agent.",
        ),
      );
      return;
    }
    this.body.dataset.records = String(records.length);
    const { commissioning: c, measured: m, judgement: j } = latest;
    const rows: [string, string, string, boolean?][] = [
      ['Recorded', `${fmt.dateTime(latest.recordedAt)} by ${latest.recordedBy}`, 'recorded'],
      [
        'Met its purpose',
        `${verdict(j.metPurpose)} (${c.purpose}: needs ${j.requiredPxPerM} px/m at ${c.designDistanceM} m; measured ${j.pixelDensityPxPerM === null ? 'nothing' : `${Math.round(j.pixelDensityPxPerM)} px/m`})`,
        'met-purpose',
        j.metPurpose === false,
      ],
      [
        'Stream then',
        m.stream === null
          ? 'not measured'
          : `${m.stream.codec} ${fmt.resolution(m.stream.width, m.stream.height)}, ${fmt.frameRate(m.stream.fps)}, ${fmt.bitrate(m.stream.bitrateKbps)}`,
        'stream-then',
      ],
      [
        'Clock then',
        m.clockOffsetMs === null
          ? 'not read'
          : `${fmt.offset(m.clockOffsetMs)} (within 5 s: ${verdict(j.clockWithin5s)})`,
        'clock-then',
        j.clockWithin5s === false,
      ],
      [
        'Device then',
        m.device === null
          ? 'not read'
          : `${m.device.manufacturer} ${m.device.model}, firmware ${m.device.firmwareVersion}`,
        'device-then',
      ],
      [
        'Reference frame',
        m.referenceFrameSha256 === null
          ? 'none taken'
          : `kept on the site box (SHA-256 ${m.referenceFrameSha256.slice(0, 12)}…)`,
        'reference-frame',
      ],
    ];
    const list = el('dl', { class: 'detail-list' });
    for (const [label, value, field, warn] of rows)
      list.append(el('dt', {}, label), el('dd', { 'data-field': field, class: warn ? 'warn' : null }, value));
    this.body.replaceChildren(
      el('p', { class: 'record-summary', 'data-met': String(j.metPurpose) }, j.summary),
      list,
    );
    const earlier = records.length - 1;
    if (earlier > 0)
      this.body.append(el('p', { class: 'muted' }, `${earlier} earlier record${earlier === 1 ? '' : 's'}.`));
  }
}
