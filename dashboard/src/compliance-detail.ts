import { describeEvidence } from '../../src/compliance/evidence-text.ts';
import type { RuleResult } from '../../src/compliance/result.ts';
import { UnauthorizedError } from './api.ts';
import { RULE_STATUS_LABEL } from './compliance-status.ts';
import type { ComplianceCamera, CouncilApi, HistoryDay, PackSummary } from './council-api.ts';
import { clear, el, setText } from './dom.ts';
import * as fmt from './format.ts';
import type { LiveStore } from './live.ts';

const HISTORY_DAYS = 30;

interface ComplianceDetailOptions {
  api: CouncilApi;
  store: LiveStore;
  onClose: () => void;
}

type EvidenceBag = RuleResult['evidence']['values'];

/**
 * A camera's drill-down: every rule of its latest result (status, reason, value against threshold,
 * title and source from the pack) and a 30-day strip of its daily worst status.
 */
export class ComplianceDetail {
  readonly element: HTMLElement;
  private readonly title = el('h2', { id: 'compliance-detail-title' }, 'Camera');
  private readonly summary = el('div', { class: 'compliance-summary' });
  private readonly history = el('div', { class: 'history-strip', id: 'compliance-history' });
  private readonly rules = el('ul', { class: 'rule-list', id: 'compliance-rules' });
  private cameraId: string | null = null;
  private row: ComplianceCamera | null = null;
  private packs: Map<string, PackSummary> | null = null;
  private packsLoading = false;
  private historyRequest: AbortController | null = null;

  constructor(private readonly options: ComplianceDetailOptions) {
    const close = el(
      'button',
      {
        type: 'button',
        class: 'icon-button',
        id: 'compliance-detail-close',
        'aria-label': 'Close compliance detail',
      },
      '×',
    );
    close.addEventListener('click', () => this.options.onClose());
    this.element = el(
      'aside',
      {
        id: 'compliance-detail',
        class: 'detail-panel compliance-detail',
        'aria-labelledby': 'compliance-detail-title',
        hidden: true,
      },
      el('header', { class: 'detail-header' }, this.title, close),
      el(
        'div',
        { class: 'detail-body', tabindex: '0', role: 'region', 'aria-labelledby': 'compliance-detail-title' },
        this.summary,
        el('h3', { class: 'section-title' }, `Last ${HISTORY_DAYS} days`),
        this.history,
        el('h3', { class: 'section-title' }, 'Rules'),
        this.rules,
      ),
    );
    this.element.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') this.options.onClose();
    });
  }

  show(cameraId: string | null, row: ComplianceCamera | null): void {
    if (cameraId === this.cameraId) {
      this.setRow(row);
      return;
    }
    this.cameraId = cameraId;
    this.element.hidden = cameraId === null;
    clear(this.history);
    if (cameraId === null) {
      delete this.element.dataset.cameraId;
      this.historyRequest?.abort();
      return;
    }
    this.element.dataset.cameraId = cameraId;
    setText(this.title, this.options.store.cameras.get(cameraId)?.name ?? cameraId);
    this.setRow(row);
    this.refreshHistory();
    void this.loadPacks();
  }

  /** The council's compliance was re-fetched: redraw the rules from the camera's new row. */
  setRow(row: ComplianceCamera | null): void {
    this.row = row;
    this.render();
  }

  refreshHistory(): void {
    const cameraId = this.cameraId;
    if (cameraId === null) return;
    this.historyRequest?.abort();
    const controller = new AbortController();
    this.historyRequest = controller;
    this.options.api
      .history(cameraId, controller.signal)
      .then((history) => {
        if (this.cameraId === cameraId) this.renderHistory(history.to, history.days);
      })
      .catch((error: unknown) => {
        if (controller.signal.aborted || error instanceof UnauthorizedError) return;
        this.history.replaceChildren(
          el('p', { class: 'error' }, `Could not load history: ${(error as Error).message}`),
        );
      });
  }

  stop(): void {
    this.historyRequest?.abort();
  }

  private async loadPacks(): Promise<void> {
    if (this.packs !== null || this.packsLoading) return;
    this.packsLoading = true;
    try {
      const packs = await this.options.api.packs();
      this.packs = new Map(packs.map((p) => [p.ref, p]));
      this.render();
    } catch (error) {
      if (error instanceof UnauthorizedError) return;
      // Rules still show their ids, status and evidence without titles.
      console.warn('Could not load certification packs:', error);
    } finally {
      this.packsLoading = false;
    }
  }

  private render(): void {
    const row = this.row;
    clear(this.rules);
    if (row === null) {
      delete this.element.dataset.status;
      this.summary.replaceChildren(el('p', { class: 'muted' }, 'Not evaluated yet.'));
      return;
    }
    this.element.dataset.status = row.status;
    const pack = this.packs?.get(row.packRef);
    const { counts } = row.result;
    this.summary.replaceChildren(
      el('span', { class: 'badge badge-large', 'data-status': row.status }, RULE_STATUS_LABEL[row.status]),
      el(
        'dl',
        { class: 'detail-list' },
        el('dt', {}, 'Code'),
        el('dd', { class: 'mono' }, pack ? `${pack.title} (${row.packRef})` : row.packRef),
        el('dt', {}, 'Rules'),
        el(
          'dd',
          {},
          `${counts.pass} pass · ${counts.warn} warn · ${counts.fail} fail · ${counts.not_evaluable} not evaluable`,
        ),
        el('dt', {}, 'Evaluated'),
        el('dd', {}, fmt.dateTime(row.evaluatedAt)),
        el('dt', {}, 'Status since'),
        el('dd', {}, fmt.dateTime(row.statusSince)),
      ),
    );
    const rulesById = new Map((pack?.rules ?? []).map((r) => [r.id, r]));
    for (const result of row.result.results) {
      const rule = rulesById.get(result.ruleId);
      const { observedAtMs } = result.evidence;
      this.rules.append(
        el(
          'li',
          { class: 'rule-result', 'data-rule-id': result.ruleId, 'data-status': result.status },
          el(
            'div',
            { class: 'rule-head' },
            el('span', { class: 'badge', 'data-status': result.status }, RULE_STATUS_LABEL[result.status]),
            el('span', { class: 'rule-title' }, rule?.title ?? result.ruleId),
            el('span', { class: 'rule-id mono muted' }, result.ruleId),
          ),
          el('p', { class: 'rule-reason' }, result.reason),
          evidenceList('Value', result.evidence.values),
          evidenceList('Threshold', result.evidence.thresholds),
          observedAtMs === undefined
            ? null
            : el(
                'p',
                { class: 'rule-meta muted' },
                `Observed ${fmt.dateTime(new Date(observedAtMs).toISOString())}`,
              ),
          rule ? el('p', { class: 'rule-meta muted rule-source' }, `Source: ${rule.source}`) : null,
        ),
      );
    }
  }

  private renderHistory(toDay: string, days: HistoryDay[]): void {
    const byDay = new Map(days.map((d) => [d.day, d]));
    clear(this.history);
    for (const day of lastDays(toDay, HISTORY_DAYS)) {
      const entry = byDay.get(day);
      const status = entry?.worstStatus ?? 'none';
      const tip = entry
        ? `${day}: worst ${RULE_STATUS_LABEL[entry.worstStatus]}, latest ${RULE_STATUS_LABEL[entry.latestStatus]} (${entry.packRef})`
        : `${day}: no evaluation`;
      this.history.append(
        el('span', {
          class: 'history-cell',
          'data-day': day,
          'data-status': status,
          title: tip,
          'aria-label': tip,
        }),
      );
    }
  }
}

function evidenceList(label: string, bag: EvidenceBag): HTMLElement | null {
  if (Object.keys(bag).length === 0) return null;
  return el(
    'p',
    { class: 'rule-evidence', 'data-kind': label.toLowerCase() },
    el('span', { class: 'evidence-label' }, `${label}: `),
    // In words and units, as the evidence pack prints them ("up 92.170 h", not "upMs 331827").
    describeEvidence(bag)
      .map((item) => `${item.label} ${item.text}`)
      .join(' · '),
  );
}

/** `count` calendar days ending with `toDay` (YYYY-MM-DD), oldest first. */
function lastDays(toDay: string, count: number): string[] {
  const end = Date.parse(`${toDay}T12:00:00Z`);
  const days: string[] = [];
  for (let i = count - 1; i >= 0; i--) days.push(new Date(end - i * 86_400_000).toISOString().slice(0, 10));
  return days;
}
