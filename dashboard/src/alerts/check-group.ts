import { el } from '../dom.ts';

/**
 * A labelled group of checkboxes (a fieldset), for "any of these" choices where none ticked means
 * all. Ticked values that are no longer offered stay listed, so they can be unticked.
 */
export class CheckGroup<T extends string = string> {
  readonly element: HTMLFieldSetElement;
  private readonly list = el('div', { class: 'check-group-items' });
  private options: [T, string][] = [];
  private checked = new Set<T>();

  constructor(
    private readonly idPrefix: string,
    legend: string,
    hint: string,
  ) {
    this.element = el(
      'fieldset',
      { id: idPrefix, class: 'check-group' },
      el('legend', {}, legend),
      el('p', { class: 'field-hint muted' }, hint),
      this.list,
    );
  }

  setOptions(options: readonly [T, string][]): void {
    this.options = [...options];
    this.render();
  }

  get value(): T[] {
    return [...this.checked];
  }

  set value(values: readonly T[]) {
    this.checked = new Set(values);
    this.render();
  }

  /** Drops ticks outside `allowed` (sites of councils no longer chosen). */
  keepOnly(allowed: ReadonlySet<T>): void {
    for (const value of this.checked) if (!allowed.has(value)) this.checked.delete(value);
  }

  private render(): void {
    const offered = new Set(this.options.map(([value]) => value));
    const rows = [
      ...this.options,
      ...[...this.checked].filter((v) => !offered.has(v)).map((v): [T, string] => [v, v]),
    ];
    this.list.replaceChildren(
      ...rows.map(([value, label]) => {
        const box = el('input', {
          type: 'checkbox',
          id: `${this.idPrefix}-${value}`,
          value,
          checked: this.checked.has(value),
        });
        box.addEventListener('change', () => {
          if (box.checked) this.checked.add(value);
          else this.checked.delete(value);
          this.element.dispatchEvent(new Event('change', { bubbles: true }));
        });
        return el('label', { class: 'check-item', for: box.id }, box, ` ${label}`);
      }),
    );
    if (rows.length === 0) this.list.append(el('p', { class: 'muted' }, 'Nothing to choose from.'));
  }
}
