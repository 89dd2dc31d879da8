import { COARSEN_STEPS, LICENCES, type LicenceId } from '../../src/public-page/licences.ts';
import type { PublicPageSettings, PublicPageSettingsView } from '../../src/schemas/public-page.ts';
import type { CouncilApi } from './council-api.ts';
import { el, setText } from './dom.ts';
import * as fmt from './format.ts';

/**
 * The council's public CCTV page: what it says (purpose, responsible body, contact), how exactly it
 * places the cameras, the licence of its downloads, and whether it is published. Council officers
 * and hub operators edit it; the hub audits each change.
 */
export class PublicPagePanel {
  readonly element: HTMLElement;
  private readonly enabled = el('input', { id: 'pp-enabled', name: 'enabled', type: 'checkbox' });
  private readonly purpose = el('textarea', {
    id: 'pp-purpose',
    name: 'purpose',
    required: true,
    maxlength: 2000,
    rows: 4,
  });
  private readonly body = el('input', {
    id: 'pp-body',
    name: 'responsibleBody',
    required: true,
    maxlength: 200,
  });
  private readonly contact = el('input', {
    id: 'pp-contact',
    name: 'contact',
    required: true,
    maxlength: 300,
  });
  private readonly coarsen = el('select', { id: 'pp-coarsen', name: 'coarsenM' });
  private readonly licence = el('select', { id: 'pp-licence', name: 'licence' });
  private readonly status = el('p', { id: 'pp-status', class: 'muted', role: 'status' });
  private readonly link = el(
    'a',
    { id: 'pp-link', target: '_blank', rel: 'noopener' },
    'Open the public page',
  );
  private councilId: string | null = null;

  constructor(private readonly api: CouncilApi) {
    for (const m of COARSEN_STEPS)
      this.coarsen.append(
        el('option', { value: String(m) }, m === 0 ? 'Exact, with camera names' : `To the nearest ${m} m`),
      );
    for (const [id, l] of Object.entries(LICENCES)) this.licence.append(el('option', { value: id }, l.name));
    const field = (label: string, input: HTMLElement, hint?: string) =>
      el(
        'label',
        { class: 'field' },
        el('span', { class: 'field-label' }, label),
        input,
        hint ? el('span', { class: 'field-hint muted' }, hint) : null,
      );
    const submit = el('button', { type: 'submit', class: 'primary', id: 'pp-save' }, 'Save');
    const form = el(
      'form',
      { id: 'public-page-form', class: 'public-page-form', novalidate: true, 'aria-label': 'Public page' },
      el(
        'label',
        { class: 'field checkbox-field' },
        this.enabled,
        el('span', {}, 'Publish the page (anyone can read it, without signing in)'),
      ),
      field('Why the cameras are there', this.purpose, 'Plain words; a blank line starts a new paragraph'),
      field('Responsible body', this.body),
      field('Public contact', this.contact, 'An office, mailbox or web page: never a person'),
      field('Camera positions', this.coarsen),
      field('Licence of the downloads', this.licence),
      el('div', { class: 'form-actions' }, submit, this.status),
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.save(submit);
    });
    this.link.hidden = true;
    this.element = el(
      'section',
      { class: 'panel public-page-panel', id: 'public-page-panel', 'aria-labelledby': 'public-page-title' },
      el('h2', { id: 'public-page-title', class: 'panel-title' }, 'Public page'),
      el(
        'p',
        { class: 'muted' },
        'A page for the public about this scheme: its cameras on a map, why they are there, who is responsible, its certification status and 12 months of availability. No live state or video.',
      ),
      this.link,
      form,
    );
  }

  setCouncil(councilId: string | null): void {
    this.councilId = councilId;
    setText(this.status, '');
    this.fill(null);
    if (councilId !== null) void this.load(councilId);
  }

  private async load(councilId: string): Promise<void> {
    try {
      const view = await this.api.publicPage(councilId);
      if (this.councilId === councilId) this.fill(view);
    } catch (error) {
      if (this.councilId === councilId)
        setText(this.status, `Could not load the public page: ${(error as Error).message}`);
    }
  }

  private fill(view: PublicPageSettingsView | null): void {
    this.enabled.checked = view?.enabled ?? false;
    this.purpose.value = view?.purpose ?? '';
    this.body.value = view?.responsibleBody ?? '';
    this.contact.value = view?.contact ?? '';
    this.coarsen.value = String(view?.coarsenM ?? 0);
    this.licence.value = view?.licence ?? 'OGL-UK-3.0';
    this.link.hidden = !view?.enabled;
    if (view) this.link.setAttribute('href', view.url);
    if (view) setText(this.status, `Last saved ${fmt.dateTime(view.updatedAt)} by ${view.updatedBy}.`);
  }

  private async save(button: HTMLButtonElement): Promise<void> {
    const councilId = this.councilId;
    if (councilId === null) return;
    const missing = [
      [this.purpose, 'why the cameras are there'],
      [this.body, 'the responsible body'],
      [this.contact, 'the public contact'],
    ].find(([input]) => !(input as HTMLInputElement).value.trim());
    if (missing) {
      setText(this.status, `Fill in ${missing[1]}.`);
      (missing[0] as HTMLElement).focus();
      return;
    }
    const body: PublicPageSettings = {
      enabled: this.enabled.checked,
      purpose: this.purpose.value.trim(),
      responsibleBody: this.body.value.trim(),
      contact: this.contact.value.trim(),
      coarsenM: Number(this.coarsen.value) as PublicPageSettings['coarsenM'],
      licence: this.licence.value as LicenceId,
    };
    button.disabled = true;
    try {
      const saved = await this.api.savePublicPage(councilId, body);
      if (this.councilId === councilId) {
        this.fill(saved);
        setText(
          this.status,
          saved.enabled ? 'Saved: the page is published.' : 'Saved: the page is not published.',
        );
      }
    } catch (error) {
      setText(this.status, `Not saved: ${(error as Error).message}`);
    } finally {
      button.disabled = false;
    }
  }
}
