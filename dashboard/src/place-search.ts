import { UnauthorizedError } from './api.ts';
import { clear, el, setText } from './dom.ts';
import type { IncidentApi, Place } from './incident-api.ts';

const SUGGEST_DELAY_MS = 250;
const MIN_QUERY_LENGTH = 2;

const KIND_LABEL: Record<Place['kind'], string> = {
  town: 'Town',
  site: 'Site',
  coordinates: 'Coordinates',
};

/**
 * The place box: towns, sites or typed "lat, lon" from `GET /api/places`, suggested while typing.
 * Enter (or Find) takes the first match; any suggestion can be picked instead.
 */
export class PlaceSearch {
  readonly element: HTMLElement;
  private readonly input = el('input', {
    id: 'place-input',
    type: 'search',
    autocomplete: 'off',
    spellcheck: 'false',
    placeholder: 'Town, site or "lat, lon"',
    'aria-describedby': 'place-status',
    'aria-controls': 'place-results',
  });
  private readonly list = el('ul', { id: 'place-results', class: 'place-results', hidden: true });
  private readonly status = el('span', { id: 'place-status', class: 'visually-hidden', role: 'status' });
  private timer: ReturnType<typeof setTimeout> | null = null;
  private inFlight: AbortController | null = null;
  private places: Place[] = [];
  private placesFor = '';

  constructor(
    private readonly api: IncidentApi,
    private readonly onPick: (place: Place) => void,
  ) {
    const find = el('button', { type: 'submit', class: 'mw-action', id: 'place-find' }, 'Find');
    const form = el(
      'form',
      { class: 'place-search', role: 'search', 'aria-label': 'Find a place' },
      el(
        'label',
        { class: 'field', for: 'place-input' },
        el('span', { class: 'field-label' }, 'Place or coordinates'),
      ),
      el('div', { class: 'place-row' }, this.input, find),
      this.list,
      this.status,
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.pickFirst();
    });
    this.input.addEventListener('input', () => this.schedule());
    this.input.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') this.hide();
      if (event.key === 'ArrowDown') {
        event.preventDefault();
        this.list.querySelector<HTMLButtonElement>('button')?.focus();
      }
    });
    this.list.addEventListener('keydown', (event) => this.onListKey(event));
    this.element = form;
  }

  stop(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.inFlight?.abort();
  }

  private schedule(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.suggest();
    }, SUGGEST_DELAY_MS);
  }

  private async pickFirst(): Promise<void> {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    const query = this.input.value.trim();
    const places = query === this.placesFor ? this.places : await this.suggest();
    const first = places[0];
    if (first) this.pick(first);
  }

  private async suggest(): Promise<Place[]> {
    const query = this.input.value.trim();
    this.inFlight?.abort();
    if (query.length < MIN_QUERY_LENGTH) {
      this.show([], '');
      return [];
    }
    const controller = new AbortController();
    this.inFlight = controller;
    try {
      const places = await this.api.places(query, controller.signal);
      if (controller.signal.aborted) return [];
      this.show(places, query);
      return places;
    } catch (error) {
      if (controller.signal.aborted || error instanceof UnauthorizedError) return [];
      setText(this.status, `Place search failed: ${(error as Error).message}`);
      this.list.hidden = false;
      this.list.replaceChildren(
        el('li', { class: 'error' }, `Place search failed: ${(error as Error).message}`),
      );
      return [];
    } finally {
      if (this.inFlight === controller) this.inFlight = null;
    }
  }

  private show(places: Place[], query: string): void {
    this.places = places;
    this.placesFor = query;
    clear(this.list);
    // The matches are buttons reached with Tab (the status line says how many): no combobox state,
    // which a plain search field may not carry.
    this.list.hidden = query === '';
    if (query === '') {
      setText(this.status, '');
      return;
    }
    if (places.length === 0) {
      this.list.append(el('li', { class: 'muted' }, `No town, site or coordinates match "${query}".`));
      setText(this.status, 'No places found');
      return;
    }
    setText(this.status, `${places.length} place${places.length === 1 ? '' : 's'} found`);
    for (const place of places) {
      const button = el(
        'button',
        { type: 'button', class: 'place-option', 'data-kind': place.kind, 'data-name': place.name },
        el('span', { class: 'place-name' }, place.name),
        el('span', { class: 'place-detail muted' }, `${KIND_LABEL[place.kind]} · ${place.detail}`),
      );
      button.addEventListener('click', () => this.pick(place));
      this.list.append(el('li', {}, button));
    }
  }

  private pick(place: Place): void {
    this.input.value = place.name;
    this.hide();
    this.onPick(place);
  }

  private hide(): void {
    this.list.hidden = true;
  }

  private onListKey(event: KeyboardEvent): void {
    const buttons = [...this.list.querySelectorAll<HTMLButtonElement>('button')];
    const index = buttons.indexOf(document.activeElement as HTMLButtonElement);
    if (index < 0) return;
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      const next = event.key === 'ArrowDown' ? index + 1 : index - 1;
      (buttons[next] ?? this.input).focus();
    } else if (event.key === 'Escape') {
      this.hide();
      this.input.focus();
    }
  }
}
