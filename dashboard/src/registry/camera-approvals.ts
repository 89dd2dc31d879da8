import { hubMessage, UnauthorizedError } from '../api.ts';
import { confirmAction } from '../confirm-dialog.ts';
import { el, field, setText } from '../dom.ts';
import * as fmt from '../format.ts';
import { APPROVAL_LABEL } from '../states.ts';
import type { CameraApprovalState, CameraApprovalView, CameraDecision, RegistryApi } from './registry-api.ts';

/** A registry decision, or approval with the camera's commissioning record (pending cameras commissioned on site). */
type Decision = CameraDecision['decision'] | 'approve-commissioned';

interface Names {
  council: (id: string) => string;
  site: (id: string) => string;
}

const SHOW: readonly [value: CameraApprovalState | '', label: string][] = [
  ['pending', 'Pending approval'],
  ['approved', 'Approved'],
  ['rejected', 'Rejected'],
  ['retired', 'Retired'],
  ['', 'All cameras'],
];

/** What each state allows, as the hub enforces it (registry-service decide()). */
const ACTIONS: Record<CameraApprovalState, readonly Decision[]> = {
  pending: ['approve', 'reject'],
  rejected: ['approve'],
  approved: ['retire'],
  retired: [],
};

const ACTION_LABEL: Record<Decision, string> = {
  approve: 'Approve',
  'approve-commissioned': 'Approve as commissioned',
  reject: 'Reject',
  retire: 'Retire',
};
const DONE_LABEL: Record<Decision, string> = {
  approve: 'Approved',
  'approve-commissioned': 'Approved as commissioned',
  reject: 'Rejected',
  retire: 'Retired',
};

/**
 * Cameras by their standing in the registry, pending ones first shown. Hub operators approve or reject
 * a camera (with an optional note for the audit log) and retire an approved one, each after a
 * confirmation that says what it does to the council's reports; everybody else reads the list.
 */
export class CameraApprovals {
  readonly element: HTMLElement;
  private readonly title = el(
    'h2',
    { id: 'registry-cameras-title', class: 'panel-title', tabindex: -1 },
    'Pending cameras',
  );
  private readonly show = el('select', { id: 'registry-cameras-show', name: 'approval' });
  private readonly summary = el('p', { id: 'registry-cameras-summary', class: 'muted' });
  private readonly status = el('p', { id: 'registry-cameras-status', class: 'admin-status', role: 'status' });
  private readonly error = el('p', { id: 'registry-cameras-error', class: 'error', role: 'alert' });
  private readonly tbody = el('tbody');
  private readonly columns: readonly string[];
  private cameras: CameraApprovalView[] = [];
  private loading: AbortController | null = null;

  constructor(
    private readonly api: RegistryApi,
    private readonly names: Names,
    private readonly mayDecide: boolean,
    /** After a decision: the sites' pending counts change. */
    private readonly onDecided: () => void,
  ) {
    for (const [value, label] of SHOW) this.show.append(el('option', { value }, label));
    this.show.addEventListener('change', () => {
      setText(
        this.title,
        this.show.value === 'pending' ? 'Pending cameras' : `Cameras: ${this.show.selectedOptions[0]?.text}`,
      );
      void this.load();
    });
    const headers = [
      'Camera',
      'Site',
      'Council',
      'Approval',
      'First seen',
      'Commissioned',
      'Decided',
      'In inventory',
    ];
    this.columns = mayDecide ? [...headers, 'Actions'] : headers;
    this.element = el(
      'section',
      { id: 'registry-cameras', class: 'panel admin-panel', 'aria-labelledby': 'registry-cameras-title' },
      this.title,
      el(
        'p',
        { class: 'muted' },
        "A camera the site's expected list does not name is monitored but counts in no council's reports until a hub operator approves it.",
      ),
      el('div', { class: 'registry-toolbar' }, field('Show', this.show), this.summary),
      this.status,
      this.error,
      el(
        'div',
        {
          class: 'table-scroll admin-table-scroll registry-table-scroll',
          role: 'region',
          'aria-labelledby': 'registry-cameras-title',
          tabindex: 0,
        },
        el(
          'table',
          { id: 'registry-cameras-table', class: 'admin-table registry-table' },
          el('caption', { class: 'visually-hidden' }, 'Cameras and their approval'),
          el('thead', {}, el('tr', {}, ...this.columns.map((h) => el('th', { scope: 'col' }, h)))),
          this.tbody,
        ),
      ),
    );
  }

  /** The cameras now shown (the registry view compares them with live changes). */
  get shown(): ReadonlyMap<string, CameraApprovalState> {
    return new Map(this.cameras.map((c) => [c.id, c.approval]));
  }

  get filter(): CameraApprovalState | null {
    return (this.show.value || null) as CameraApprovalState | null;
  }

  async load(): Promise<void> {
    this.loading?.abort();
    const loading = new AbortController();
    this.loading = loading;
    try {
      const cameras = await this.api.cameras(this.filter);
      if (loading.signal.aborted) return;
      this.cameras = cameras;
      this.render();
    } catch (error) {
      if (error instanceof UnauthorizedError || loading.signal.aborted) return;
      this.fail(`Could not load the cameras: ${hubMessage(error)}`);
    } finally {
      if (this.loading === loading) this.loading = null;
    }
  }

  stop(): void {
    this.loading?.abort();
    this.loading = null;
  }

  /** Names of councils and sites arrived: the rows say them. */
  render(): void {
    const focused = document.activeElement as HTMLElement | null;
    const focusKey = this.tbody.contains(focused) ? focused?.dataset.focusKey : undefined;
    const cameras = [...this.cameras].sort(
      (a, b) => a.siteId.localeCompare(b.siteId) || a.name.localeCompare(b.name) || a.id.localeCompare(b.id),
    );
    const rows = cameras.map((camera) => this.row(camera));
    if (rows.length === 0)
      rows.push(
        el(
          'tr',
          { class: 'empty-row' },
          el(
            'td',
            { colspan: this.columns.length },
            this.filter === 'pending' ? 'No camera is waiting for approval.' : 'No camera to show.',
          ),
        ),
      );
    this.tbody.replaceChildren(...rows);
    const n = cameras.length;
    setText(this.summary, `${n} camera${n === 1 ? '' : 's'}`);
    if (focusKey) {
      const target = this.tbody.querySelector<HTMLElement>(`[data-focus-key="${CSS.escape(focusKey)}"]`);
      // The row left the list (decided): the focus goes to the panel rather than the page's start.
      if (target) target.focus();
      else this.title.focus();
    }
  }

  private say(message: string): void {
    setText(this.error, '');
    setText(this.status, message);
  }

  private fail(message: string): void {
    setText(this.status, '');
    setText(this.error, message);
  }

  private row(camera: CameraApprovalView): HTMLTableRowElement {
    const cell = (column: string, label: string, ...children: (Node | string)[]) =>
      el('td', { 'data-column': column, 'data-label': label }, ...children);
    let actions: HTMLElement | null = null;
    if (this.mayDecide) {
      // A camera commissioned on site can be approved with its record's survey in one action.
      const offered: Decision[] = [...ACTIONS[camera.approval]];
      if (camera.commissionedAt !== null && camera.approval === 'pending')
        offered.unshift('approve-commissioned');
      const buttons = offered.map((decision) => {
        const button = el(
          'button',
          {
            type: 'button',
            class: decision.startsWith('approve') ? 'mw-action approve-action' : 'mw-action',
            'data-action': decision,
            'data-focus-key': `${decision}:${camera.id}`,
            'aria-label': `${ACTION_LABEL[decision]} ${camera.name}`,
          },
          ACTION_LABEL[decision],
        );
        button.addEventListener('click', () => void this.decide(camera, decision));
        return button;
      });
      actions = cell(
        'actions',
        'Actions',
        buttons.length > 0 ? el('div', { class: 'row-actions' }, ...buttons) : '–',
      );
    }
    const decided =
      camera.approvalAt === null
        ? '–'
        : `${fmt.dateTime(camera.approvalAt)}${camera.approvalBy ? ` by ${camera.approvalBy}` : ''}`;
    return el(
      'tr',
      { class: 'approval-row', 'data-camera-id': camera.id, 'data-approval': camera.approval },
      el(
        'th',
        { scope: 'row', 'data-column': 'name', 'data-label': 'Camera' },
        camera.name,
        el('span', { class: 'row-id muted' }, camera.id),
      ),
      cell('site', 'Site', this.names.site(camera.siteId)),
      cell('council', 'Council', this.names.council(camera.councilId)),
      cell(
        'approval',
        'Approval',
        el(
          'span',
          { class: 'approval-mark', 'data-approval': camera.approval },
          APPROVAL_LABEL[camera.approval],
        ),
      ),
      cell('first-seen', 'First seen', fmt.dateTime(camera.firstSeenAt)),
      cell(
        'commissioned',
        'Commissioned',
        camera.commissionedAt === null ? 'not on site' : fmt.dateTime(camera.commissionedAt),
      ),
      cell('decided', 'Decided', decided),
      cell('active', 'In inventory', camera.active ? 'yes' : 'no, gone from the site'),
      actions,
    );
  }

  private async decide(camera: CameraApprovalView, decision: Decision): Promise<void> {
    const council = this.names.council(camera.councilId);
    const note = el('textarea', { id: 'approval-note', name: 'note', rows: 2, maxlength: 500 });
    const message: Record<Decision, string> = {
      approve: `${camera.name} counts in ${council}'s reports and compliance from now on. Earlier time is not counted.`,
      'approve-commissioned': `${camera.name}'s location, bearing, field of view, design distance and purpose become the registry's, as recorded when it was commissioned on ${camera.commissionedAt === null ? '–' : fmt.dateTime(camera.commissionedAt)}, and it counts in ${council}'s reports and compliance from now on.`,
      reject: `${camera.name} stays monitored but never counts in ${council}'s reports. It can still be approved later.`,
      retire: `${camera.name} counts in ${council}'s reports no more from now on; the time it counted stays. A retired camera cannot be approved again.`,
    };
    const ok = await confirmAction({
      title: `${ACTION_LABEL[decision]} ${camera.name}?`,
      message: message[decision],
      confirmLabel: `${ACTION_LABEL[decision]} camera`,
      tone: decision.startsWith('approve') ? 'primary' : 'danger',
      fields: [field('Note (optional)', note, 'Kept with the decision in the audit log')],
    });
    if (!ok) return;
    setText(this.error, '');
    try {
      const text = note.value.trim();
      const view =
        decision === 'approve-commissioned'
          ? (await this.api.approveCommissioned(camera.id, text || undefined)).approval
          : await this.api.decide(camera.id, { decision, ...(text ? { note: text } : {}) });
      this.say(`${DONE_LABEL[decision]} ${camera.name} (${camera.id}).`);
      this.cameras = this.cameras.flatMap((c) =>
        c.id !== view.id ? [c] : this.filter === null || this.filter === view.approval ? [view] : [],
      );
      this.render();
      // The decision came from this row: when it left the list, the focus goes to the panel's title
      // whatever the dialog did with it on closing (it may not be back on the row's button yet).
      if (!this.cameras.some((c) => c.id === view.id)) this.title.focus();
      this.onDecided();
    } catch (error) {
      if (error instanceof UnauthorizedError) return;
      this.fail(`Not changed: ${hubMessage(error)}`);
      void this.load();
    }
  }
}
