import type { MaintenanceCreate, MaintenanceWindowView } from '../../src/schemas/maintenance.ts';
import { type ApiClient, ApiRequestError, hubMessage, UnauthorizedError } from './api.ts';
import { el, setText } from './dom.ts';
import * as fmt from './format.ts';

/** Maintenance lengths offered from the camera detail (the Compliance view sets any window). */
const DURATIONS: readonly [label: string, ms: number][] = [
  ['1 hour', 3_600_000],
  ['4 hours', 4 * 3_600_000],
  ['8 hours', 8 * 3_600_000],
  ['1 day', 86_400_000],
  ['3 days', 3 * 86_400_000],
];

interface CameraActionsOptions {
  api: ApiClient;
  /** Operators and control rooms: those who may look at the camera's picture. */
  maySnapshot: boolean;
  /** Operators and council officers: those who manage maintenance. */
  mayMaintain: boolean;
}

/**
 * What can be done from a camera's detail: look at a still picture now (audited with the reason
 * given, like a live feed) and put the camera in maintenance, or end its maintenance early. The
 * element persists while the panel redraws, so a half-typed reason is not lost to a live update.
 */
export class CameraActions {
  readonly element: HTMLElement;
  private cameraId: string | null = null;
  private cameraName = '';
  private objectUrl: string | null = null;
  private readonly snapshotReason = el('input', {
    id: 'snapshot-reason',
    type: 'text',
    maxlength: 200,
    autocomplete: 'off',
    'aria-describedby': 'snapshot-hint',
  });
  private readonly snapshotButton = el(
    'button',
    { type: 'button', id: 'snapshot-take', class: 'mw-action' },
    'Take snapshot',
  );
  private readonly snapshotStatus = el('p', { id: 'snapshot-status', class: 'muted', role: 'status' });
  private readonly snapshotImage = el('img', {
    id: 'snapshot-image',
    class: 'snapshot-image',
    alt: '',
    hidden: true,
  });
  private readonly maintenanceStatus = el('p', { id: 'maintenance-status', role: 'status' });
  private readonly maintenanceForm = el('form', {
    id: 'maintenance-quick',
    class: 'quick-form',
    hidden: true,
  });
  private readonly maintenanceOpen = el(
    'button',
    { type: 'button', id: 'maintenance-open', class: 'mw-action', 'aria-expanded': 'false' },
    'Put in maintenance',
  );
  private readonly maintenanceError = el('p', { id: 'maintenance-error', class: 'error', role: 'alert' });
  private readonly duration = el(
    'select',
    { id: 'maintenance-duration' },
    ...DURATIONS.map(([label, ms], i) => el('option', { value: String(ms), selected: i === 0 }, label)),
  );
  private readonly maintenanceReason = el('input', {
    id: 'maintenance-reason',
    type: 'text',
    maxlength: 2000,
    autocomplete: 'off',
  });
  private active: MaintenanceWindowView | null = null;

  constructor(private readonly options: CameraActionsOptions) {
    const parts: HTMLElement[] = [];
    if (options.maySnapshot) {
      this.snapshotButton.addEventListener('click', () => void this.takeSnapshot());
      this.snapshotReason.addEventListener('keydown', (event) => {
        if (event.key === 'Enter') void this.takeSnapshot();
      });
      parts.push(
        el(
          'section',
          { class: 'detail-section', 'aria-labelledby': 'snapshot-heading' },
          el('h3', { id: 'snapshot-heading' }, 'Snapshot'),
          el(
            'div',
            { class: 'quick-row' },
            el('label', { for: 'snapshot-reason' }, 'Reason'),
            this.snapshotReason,
            this.snapshotButton,
          ),
          el(
            'p',
            { id: 'snapshot-hint', class: 'hint' },
            'A still picture of the camera now. It is recorded in the audit log with your reason.',
          ),
          this.snapshotStatus,
          this.snapshotImage,
        ),
      );
    }
    if (options.mayMaintain) {
      this.maintenanceOpen.addEventListener('click', () => this.toggleForm());
      this.maintenanceForm.addEventListener('submit', (event) => {
        event.preventDefault();
        void this.startMaintenance();
      });
      this.maintenanceForm.append(
        el('div', { class: 'quick-row' }, el('label', { for: 'maintenance-duration' }, 'For'), this.duration),
        el(
          'div',
          { class: 'quick-row' },
          el('label', { for: 'maintenance-reason' }, 'Reason'),
          this.maintenanceReason,
        ),
        el(
          'p',
          { class: 'hint' },
          'From now. Time in maintenance is left out of availability and compliance; the window is audited.',
        ),
        this.maintenanceError,
        el(
          'div',
          { class: 'quick-row' },
          el('button', { type: 'submit', id: 'maintenance-start', class: 'primary' }, 'Start maintenance'),
        ),
      );
      parts.push(
        el(
          'section',
          { class: 'detail-section', 'aria-labelledby': 'maintenance-heading' },
          el('h3', { id: 'maintenance-heading' }, 'Maintenance'),
          this.maintenanceStatus,
          this.maintenanceOpen,
          this.maintenanceForm,
        ),
      );
    }
    this.element = el('div', { class: 'camera-actions', hidden: parts.length === 0 }, ...parts);
  }

  show(cameraId: string | null, name: string): void {
    this.cameraName = name;
    if (cameraId === this.cameraId) return;
    this.cameraId = cameraId;
    this.clearSnapshot();
    this.snapshotReason.value = '';
    setText(this.snapshotStatus, '');
    this.maintenanceForm.hidden = true;
    this.maintenanceOpen.setAttribute('aria-expanded', 'false');
    setText(this.maintenanceError, '');
    this.active = null;
    this.drawMaintenance();
    if (cameraId !== null && this.options.mayMaintain) void this.loadMaintenance();
  }

  /** The camera's state changed (it may have entered or left maintenance). */
  changed(): void {
    if (this.cameraId !== null && this.options.mayMaintain) void this.loadMaintenance();
  }

  stop(): void {
    this.clearSnapshot();
  }

  private clearSnapshot(): void {
    if (this.objectUrl !== null) URL.revokeObjectURL(this.objectUrl);
    this.objectUrl = null;
    this.snapshotImage.hidden = true;
    this.snapshotImage.removeAttribute('src');
  }

  private async takeSnapshot(): Promise<void> {
    const id = this.cameraId;
    if (id === null || this.snapshotButton.disabled) return;
    const reason = this.snapshotReason.value.trim();
    if (reason.length < 3) {
      this.snapshotReason.setAttribute('aria-invalid', 'true');
      this.snapshotStatus.className = 'error';
      setText(
        this.snapshotStatus,
        'Say why you are looking (at least 3 characters): it goes in the audit log.',
      );
      this.snapshotReason.focus();
      return;
    }
    this.snapshotReason.removeAttribute('aria-invalid');
    this.snapshotButton.disabled = true;
    this.snapshotStatus.className = 'muted';
    setText(this.snapshotStatus, 'Taking a snapshot…');
    try {
      const { blob } = await this.options.api.fetchBlob(
        'POST',
        `/api/cameras/${encodeURIComponent(id)}/snapshot`,
        {
          reason,
        },
      );
      if (this.cameraId !== id) return;
      this.clearSnapshot();
      this.objectUrl = URL.createObjectURL(blob);
      this.snapshotImage.src = this.objectUrl;
      this.snapshotImage.alt = `Snapshot of ${this.cameraName} taken ${fmt.clockTime(new Date().toISOString())}`;
      this.snapshotImage.hidden = false;
      this.snapshotImage.dataset.takenAt = new Date().toISOString();
      setText(this.snapshotStatus, `Taken at ${fmt.clockTime(new Date().toISOString())}.`);
    } catch (error) {
      if (error instanceof UnauthorizedError || this.cameraId !== id) return;
      this.snapshotStatus.className = 'error';
      setText(this.snapshotStatus, `No snapshot: ${hubMessage(error)}`);
      this.snapshotStatus.dataset.code = error instanceof ApiRequestError ? error.code : '';
    } finally {
      this.snapshotButton.disabled = false;
    }
  }

  private toggleForm(open = this.maintenanceForm.hidden): void {
    this.maintenanceForm.hidden = !open;
    this.maintenanceOpen.setAttribute('aria-expanded', String(open));
    if (open) this.duration.focus();
  }

  private async loadMaintenance(): Promise<void> {
    const id = this.cameraId;
    if (id === null) return;
    try {
      const windows = await this.options.api.get<MaintenanceWindowView[]>(
        `/api/maintenance?scope=camera&scopeId=${encodeURIComponent(id)}`,
      );
      if (this.cameraId !== id) return;
      const now = Date.now();
      // In a window now: not ended early, with an occurrence (of a one-off or a series) running.
      this.active =
        windows.find(
          (w) =>
            w.endedAt === null && w.next.some((o) => Date.parse(o.from) <= now && now < Date.parse(o.to)),
        ) ?? null;
      this.drawMaintenance();
    } catch (error) {
      if (error instanceof UnauthorizedError || this.cameraId !== id) return;
      setText(this.maintenanceStatus, `Could not read maintenance windows: ${hubMessage(error)}`);
    }
  }

  private drawMaintenance(): void {
    const w = this.active;
    if (w === null) {
      setText(this.maintenanceStatus, 'Not in a maintenance window of its own.');
      this.maintenanceOpen.hidden = false;
      this.maintenanceStatus.querySelector('button')?.remove();
      delete this.maintenanceStatus.dataset.windowId;
      return;
    }
    this.maintenanceOpen.hidden = true;
    this.maintenanceForm.hidden = true;
    this.maintenanceStatus.dataset.windowId = String(w.id);
    const now = Date.now();
    const current = w.next.find((o) => Date.parse(o.from) <= now && now < Date.parse(o.to));
    const until = current?.to ?? w.endsAt;
    const text = `In maintenance until ${fmt.dateTime(until)}${w.reason ? ` (${w.reason})` : ''}. `;
    if (w.recurrence !== 'none') {
      // Ending a series early ends every later occurrence too: that is done in the Compliance view.
      this.maintenanceStatus.replaceChildren(`${text}A ${w.recurrence} window: change it under Compliance.`);
      return;
    }
    const end = el('button', { type: 'button', id: 'maintenance-end', class: 'mw-action' }, 'End now');
    end.addEventListener('click', () => void this.endMaintenance(w.id));
    this.maintenanceStatus.replaceChildren(text, end);
  }

  private async startMaintenance(): Promise<void> {
    const id = this.cameraId;
    if (id === null) return;
    setText(this.maintenanceError, '');
    const now = Date.now();
    const body: MaintenanceCreate = {
      scope: 'camera',
      scopeId: id,
      title: `Maintenance: ${this.cameraName}`.slice(0, 200),
      reason: this.maintenanceReason.value.trim(),
      startsAt: new Date(now).toISOString(),
      endsAt: new Date(now + Number(this.duration.value)).toISOString(),
    };
    try {
      const created = await this.options.api.send<MaintenanceWindowView>('POST', '/api/maintenance', body);
      if (this.cameraId !== id) return;
      this.active = created;
      this.maintenanceReason.value = '';
      this.drawMaintenance();
      this.maintenanceStatus.querySelector('button')?.focus();
    } catch (error) {
      if (error instanceof UnauthorizedError) return;
      setText(this.maintenanceError, hubMessage(error));
    }
  }

  private async endMaintenance(windowId: number): Promise<void> {
    try {
      await this.options.api.send('POST', `/api/maintenance/${windowId}/end`);
      this.active = null;
      this.drawMaintenance();
      this.maintenanceOpen.focus();
    } catch (error) {
      if (error instanceof UnauthorizedError) return;
      setText(this.maintenanceStatus, `Could not end the window: ${hubMessage(error)}`);
    }
  }
}
