import { el, setText } from './dom.ts';
import {
  GEOMETRY_FIELDS,
  type GeometryErrors,
  type GeometryField,
  type GeometryValues,
  quantity,
} from './geometry-fields.ts';

export interface GeometryFormOptions {
  /** Any field was typed into (for the preview). */
  onInput: () => void;
  onSave: () => void;
  onCancel: () => void;
}

/**
 * The geometry editor's form: one labelled number field per GeometryUpdate field, each with its limits
 * as a hint and its own error message, and Save and Cancel. Validation is the caller's.
 */
export class GeometryForm {
  readonly element: HTMLFormElement;
  private readonly inputs = new Map<GeometryField, HTMLInputElement>();
  private readonly messages = new Map<GeometryField, HTMLElement>();
  private readonly status = el('p', { class: 'geometry-status', id: 'geometry-status', role: 'alert' });
  private readonly save = el('button', { type: 'submit', class: 'primary', id: 'geometry-save' }, 'Save');
  private readonly cancel = el(
    'button',
    { type: 'button', class: 'mw-action', id: 'geometry-cancel' },
    'Cancel',
  );

  constructor(options: GeometryFormOptions) {
    const rows = GEOMETRY_FIELDS.map((field) => {
      const id = `geometry-${field.key}`;
      const input = el('input', {
        id,
        name: field.key,
        class: 'geometry-number',
        type: 'number',
        inputmode: 'decimal',
        required: true,
        min: field.min,
        max: field.max,
        step: field.step,
        autocomplete: 'off',
        'aria-describedby': `${id}-hint ${id}-error`,
      });
      const message = el('p', { class: 'field-error error', id: `${id}-error` });
      input.addEventListener('input', () => {
        this.setError(field.key, null);
        options.onInput();
      });
      this.inputs.set(field.key, input);
      this.messages.set(field.key, message);
      const limits = `${field.minExclusive ? 'more than' : 'from'} ${quantity(field.min, field.unit)} to ${quantity(field.max, field.unit)}`;
      return el(
        'div',
        { class: 'geometry-field', 'data-field': field.key },
        el('label', { class: 'field-label', for: id }, field.label),
        el(
          'div',
          { class: 'geometry-input' },
          input,
          el('span', { class: 'unit', 'aria-hidden': 'true' }, field.unit),
        ),
        el('p', { class: 'field-hint muted', id: `${id}-hint` }, `${field.hint} (${limits})`),
        message,
      );
    });
    this.cancel.addEventListener('click', () => options.onCancel());
    this.element = el(
      'form',
      {
        class: 'geometry-form',
        id: 'geometry-form',
        novalidate: true,
        'aria-describedby': 'geometry-status',
      },
      el(
        'fieldset',
        { class: 'geometry-location' },
        el('legend', { class: 'field-label' }, 'Position'),
        rows[0],
        rows[1],
      ),
      ...rows.slice(2),
      el('div', { class: 'form-actions' }, this.save, this.cancel),
      this.status,
    );
    this.element.addEventListener('submit', (event) => {
      event.preventDefault();
      options.onSave();
    });
  }

  get values(): GeometryValues {
    const values = {} as GeometryValues;
    for (const [key, input] of this.inputs) values[key] = input.value;
    return values;
  }

  setValues(values: Partial<GeometryValues>): void {
    for (const [key, value] of Object.entries(values) as [GeometryField, string][]) {
      const input = this.inputs.get(key);
      if (input && input.value !== value) input.value = value;
      this.setError(key, null);
    }
  }

  /** Marks the fields with a message; the first is focused when asked (on Save). */
  showErrors(errors: GeometryErrors, focus: boolean): void {
    let first: HTMLInputElement | null = null;
    for (const field of GEOMETRY_FIELDS) {
      const message = errors[field.key] ?? null;
      this.setError(field.key, message);
      if (message !== null) first ??= this.inputs.get(field.key) ?? null;
    }
    if (focus) first?.focus();
  }

  setStatus(text: string, kind: 'error' | 'info'): void {
    setText(this.status, text);
    this.status.dataset.kind = kind;
  }

  setBusy(busy: boolean): void {
    this.save.disabled = busy;
    setText(this.save, busy ? 'Saving…' : 'Save');
    this.element.setAttribute('aria-busy', String(busy));
  }

  focusFirst(): void {
    this.inputs.get(GEOMETRY_FIELDS[0]!.key)?.focus();
  }

  private setError(key: GeometryField, message: string | null): void {
    const input = this.inputs.get(key);
    const element = this.messages.get(key);
    if (!input || !element) return;
    setText(element, message ?? '');
    if (message === null) input.removeAttribute('aria-invalid');
    else input.setAttribute('aria-invalid', 'true');
  }
}
