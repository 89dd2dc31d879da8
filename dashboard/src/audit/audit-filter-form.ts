import { el, field } from '../dom.ts';
import type { AuditFilter } from './audit-api.ts';
import { KIND_GROUPS, KIND_LABEL } from './audit-words.ts';

/** As the hub's Id schema: what a camera id may look like. */
const CAMERA_ID = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** A filter the browser can refuse before asking: the field to focus and what to say. */
export class FilterProblem extends Error {
  constructor(
    readonly control: HTMLElement,
    message: string,
  ) {
    super(message);
    this.name = 'FilterProblem';
  }
}

/** `datetime-local` holds local wall time; the hub wants an ISO time with a zone. */
function isoOrUndefined(input: HTMLInputElement): string | undefined {
  if (!input.value) return undefined;
  const at = new Date(input.value);
  if (Number.isNaN(at.getTime())) throw new FilterProblem(input, 'Enter a date and time, or leave it empty.');
  return at.toISOString();
}

function textOrUndefined(input: HTMLInputElement): string | undefined {
  return input.value.trim() || undefined;
}

/**
 * The audit log's filter: kind (one kind or a group), user, incident reference, camera and a time
 * window, as GET /api/audit takes them. Submitting calls `onApply` with the filter, or with the
 * problem the browser found in it.
 */
export class AuditFilterForm {
  readonly element: HTMLFormElement;
  private readonly kind = el('select', { id: 'audit-kind' });
  private readonly actor = el('input', { id: 'audit-actor', type: 'text', autocomplete: 'off' });
  private readonly incidentRef = el('input', { id: 'audit-incident', type: 'text', autocomplete: 'off' });
  private readonly camera = el('input', {
    id: 'audit-camera',
    type: 'text',
    autocomplete: 'off',
    list: 'audit-camera-ids',
    spellcheck: false,
  });
  private readonly cameraIds = el('datalist', { id: 'audit-camera-ids' });
  private readonly from = el('input', { id: 'audit-from', type: 'datetime-local' });
  private readonly to = el('input', { id: 'audit-to', type: 'datetime-local' });

  constructor(onApply: (filter: AuditFilter | FilterProblem) => void) {
    const single = Object.entries(KIND_LABEL).sort(([, a], [, b]) => a.localeCompare(b));
    this.kind.append(
      el('option', { value: '' }, 'Any kind'),
      el(
        'optgroup',
        { label: 'Groups' },
        ...KIND_GROUPS.map((group) => el('option', { value: group.value }, group.label)),
      ),
      el(
        'optgroup',
        { label: 'Single kinds' },
        ...single.map(([kind, label]) => el('option', { value: kind }, label)),
      ),
    );
    const apply = el('button', { type: 'submit', id: 'audit-apply', class: 'primary' }, 'Apply filter');
    const clear = el('button', { type: 'button', id: 'audit-clear', class: 'secondary' }, 'Clear');
    this.element = el(
      'form',
      { id: 'audit-filter', class: 'audit-filter', 'aria-label': 'Filter the audit log', novalidate: true },
      field('Kind', this.kind),
      field('User', this.actor, 'Exact user name'),
      field('Incident reference', this.incidentRef),
      field('Camera', this.camera, 'Camera id'),
      this.cameraIds,
      field('From', this.from),
      field('To', this.to, 'Entries before this time'),
      el('div', { class: 'audit-filter-actions' }, apply, clear),
    );
    this.element.addEventListener('submit', (event) => {
      event.preventDefault();
      onApply(this.read());
    });
    clear.addEventListener('click', () => {
      this.element.reset();
      onApply(this.read());
    });
  }

  /** Camera ids the user can pick from (those the live view knows; the hub scopes them already). */
  setCameraIds(ids: readonly string[]): void {
    this.cameraIds.replaceChildren(...[...ids].sort().map((id) => el('option', { value: id })));
  }

  private read(): AuditFilter | FilterProblem {
    try {
      const filter: AuditFilter = {};
      const kind = this.kind.value;
      if (kind) filter.kind = kind;
      const actor = textOrUndefined(this.actor);
      if (actor) filter.actor = actor;
      const incidentRef = textOrUndefined(this.incidentRef);
      if (incidentRef) filter.incidentRef = incidentRef;
      const camera = textOrUndefined(this.camera);
      if (camera !== undefined) {
        if (!CAMERA_ID.test(camera))
          throw new FilterProblem(
            this.camera,
            'The camera is a camera id: lowercase letters, digits and dashes, such as gate-1.',
          );
        filter.cameraId = camera;
      }
      const from = isoOrUndefined(this.from);
      const to = isoOrUndefined(this.to);
      if (from !== undefined && to !== undefined && from >= to)
        throw new FilterProblem(this.to, 'The To time must be after the From time.');
      if (from !== undefined) filter.from = from;
      if (to !== undefined) filter.to = to;
      return filter;
    } catch (error) {
      if (error instanceof FilterProblem) return error;
      throw error;
    }
  }
}
