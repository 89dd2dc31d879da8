import type { CouncilView, HubView } from '../../../src/schemas/api.ts';
import { hubMessage, UnauthorizedError } from '../api.ts';
import { el, field, returnFocus, setText } from '../dom.ts';
import type { RegistryApi, SiteRecord, SiteRegistryUpdate, SiteUpdateResult } from './registry-api.ts';

/** The contract's Id (src/schemas/common.ts), checked here so the operator gets a sentence, not a pattern. */
const ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;

type Mode = 'register' | 'edit';

export interface SiteFormEvents {
  /** Both redraw the list before they resolve. */
  onRegistered: (site: SiteRecord) => Promise<void>;
  onSaved: (result: SiteUpdateResult) => Promise<void>;
  /** Nothing went wrong, but nothing was sent either. */
  onNotice: (message: string) => void;
}

/** One entry a line; blank lines and repeats dropped. */
function lines(text: string): string[] {
  return [...new Set(text.split('\n').map((line) => line.trim()))].filter((line) => line !== '');
}

const sameList = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * A site's registry record as a form: `register` creates one (its id is fixed from then on); `edit`
 * changes one in place of the table's Edit button, and a change of council or hub, a move, asks for
 * the reason the hub audits. The hub decides; its refusals are shown as it words them.
 */
export class SiteForm {
  readonly element: HTMLFormElement;
  private readonly title: HTMLElement;
  private readonly id: HTMLInputElement;
  private readonly name: HTMLInputElement;
  private readonly council: HTMLSelectElement;
  private readonly hub: HTMLSelectElement;
  private readonly networks: HTMLTextAreaElement;
  private readonly expected: HTMLTextAreaElement;
  private readonly lat: HTMLInputElement;
  private readonly lon: HTMLInputElement;
  private readonly reason: HTMLTextAreaElement;
  private readonly reasonField: HTMLElement;
  private readonly submitButton: HTMLButtonElement;
  /** Refusals show by the button that was pressed, not at the top of the page. */
  private readonly error: HTMLElement;
  private councils: readonly CouncilView[] = [];
  private hubs: readonly HubView[] = [];
  private site: SiteRecord | null = null;
  private opener: HTMLElement | null = null;

  constructor(
    private readonly mode: Mode,
    private readonly api: RegistryApi,
    private readonly events: SiteFormEvents,
  ) {
    const p = mode === 'register' ? 'site-new' : 'site-edit';
    // Registering has a panel of its own (h2); editing opens inside the sites panel (h3).
    this.title = el(
      mode === 'register' ? 'h2' : 'h3',
      { id: `${p}-title`, class: mode === 'register' ? 'panel-title' : 'section-title', tabindex: -1 },
      mode === 'register' ? 'Register a site' : 'Change site',
    );
    this.id = el('input', {
      id: `${p}-id`,
      name: 'id',
      autocomplete: 'off',
      spellcheck: 'false',
      maxlength: 63,
    });
    this.name = el('input', { id: `${p}-name`, name: 'name', autocomplete: 'off', maxlength: 200 });
    this.council = el('select', { id: `${p}-council`, name: 'councilId' });
    this.hub = el('select', { id: `${p}-hub`, name: 'hubId' });
    this.networks = el('textarea', {
      id: `${p}-networks`,
      name: 'cameraNetworks',
      rows: 3,
      spellcheck: 'false',
    });
    this.expected = el('textarea', {
      id: `${p}-expected`,
      name: 'expectedCameras',
      rows: 3,
      spellcheck: 'false',
    });
    this.lat = el('input', { id: `${p}-lat`, name: 'lat', inputmode: 'decimal', autocomplete: 'off' });
    this.lon = el('input', { id: `${p}-lon`, name: 'lon', inputmode: 'decimal', autocomplete: 'off' });
    this.reason = el('textarea', { id: `${p}-reason`, name: 'reason', rows: 2, maxlength: 500 });
    this.reasonField = field(
      'Reason for the move',
      this.reason,
      'Required when the council or hub changes: it is kept in the audit log.',
    );
    this.submitButton = el(
      'button',
      { type: 'submit', class: 'primary', id: `${p}-submit` },
      mode === 'register' ? 'Register site' : 'Save',
    );
    this.error = el('p', { id: `${p}-error`, class: 'error form-error', role: 'alert' });
    let cancel: HTMLButtonElement | null = null;
    if (mode === 'edit') {
      cancel = el('button', { type: 'button', class: 'secondary', id: `${p}-cancel` }, 'Cancel');
      cancel.addEventListener('click', () => this.close());
    }
    // The council's own hub is the usual answer; the operator can still pick another.
    this.council.addEventListener('change', () => {
      const hubId = this.councils.find((c) => c.id === this.council.value)?.hubId;
      if (hubId && this.hubs.some((h) => h.id === hubId)) this.hub.value = hubId;
      this.showReason();
    });
    this.hub.addEventListener('change', () => this.showReason());
    this.element = el(
      'form',
      {
        id: `${p}-form`,
        class: `admin-form registry-form${mode === 'edit' ? ' edit-form' : ''}`,
        novalidate: true,
        hidden: mode === 'edit',
        'aria-labelledby': `${p}-title`,
      },
      this.title,
      mode === 'register'
        ? field(
            'Site id',
            this.id,
            'Lowercase letters, digits and dashes; the agent uses it and it cannot change',
          )
        : null,
      field('Name', this.name),
      field('Council', this.council),
      field('Hub', this.hub),
      field(
        'Camera networks',
        this.networks,
        'One a line: an IP address, a CIDR range or a host name. Live feeds open only inside them.',
      ),
      field(
        'Expected cameras',
        this.expected,
        'Camera ids, one a line: approved when first seen. Any other camera waits for approval.',
      ),
      el(
        'fieldset',
        { class: 'location-fields' },
        el('legend', {}, 'Location ', el('span', { class: 'muted' }, '(optional)')),
        field('Latitude', this.lat),
        field('Longitude', this.lon),
      ),
      mode === 'edit' ? this.reasonField : null,
      this.error,
      el('div', { class: 'form-actions' }, this.submitButton, cancel),
    );
    this.reasonField.hidden = true;
    this.element.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.submit();
    });
    if (mode === 'edit')
      this.element.addEventListener('keydown', (event) => {
        if (event.key === 'Escape') this.close();
      });
  }

  setChoices(councils: readonly CouncilView[], hubs: readonly HubView[]): void {
    this.councils = [...councils].sort((a, b) => a.name.localeCompare(b.name));
    this.hubs = [...hubs].sort((a, b) => a.name.localeCompare(b.name));
    const council = this.council.value;
    const hub = this.hub.value;
    const options = (items: readonly { id: string; name: string }[], what: string) => [
      el('option', { value: '' }, `Choose a ${what}`),
      ...items.map((item) => el('option', { value: item.id }, item.name)),
    ];
    this.council.replaceChildren(...options(this.councils, 'council'));
    this.hub.replaceChildren(...options(this.hubs, 'hub'));
    this.council.value = council;
    this.hub.value = hub;
  }

  /** Edit mode: the site's record in the fields, the focus on the form's title. */
  open(site: SiteRecord, opener: HTMLElement): void {
    this.site = site;
    this.opener = opener;
    setText(this.title, `Change ${site.name}`);
    this.element.dataset.siteId = site.id;
    this.name.value = site.name;
    this.ensureOption(this.council, site.councilId);
    this.ensureOption(this.hub, site.hubId);
    this.council.value = site.councilId;
    this.hub.value = site.hubId;
    this.networks.value = site.cameraNetworks.join('\n');
    this.expected.value = site.expectedCameras.join('\n');
    const [lon, lat] = site.location?.coordinates ?? [];
    this.lat.value = lat === undefined ? '' : String(lat);
    this.lon.value = lon === undefined ? '' : String(lon);
    this.reason.value = '';
    setText(this.error, '');
    this.showReason();
    this.element.hidden = false;
    this.title.focus();
  }

  close(): void {
    if (this.mode !== 'edit' || this.element.hidden) return;
    this.element.hidden = true;
    this.site = null;
    // The table may have been rebuilt meanwhile: back to the same site's Edit button if it is there.
    returnFocus(this.opener);
    this.opener = null;
  }

  /** A council or hub the hub no longer lists still shows, so the record reads true. */
  private ensureOption(select: HTMLSelectElement, id: string): void {
    if (![...select.options].some((option) => option.value === id))
      select.append(el('option', { value: id }, id));
  }

  private get moving(): boolean {
    const site = this.site;
    return site !== null && (this.council.value !== site.councilId || this.hub.value !== site.hubId);
  }

  private showReason(): void {
    this.reasonField.hidden = !this.moving;
  }

  /** A problem the browser can name before asking the hub, with the field to fix; null when none. */
  private problem(): [string, HTMLElement] | null {
    if (this.mode === 'register' && !ID_PATTERN.test(this.id.value.trim()))
      return [
        'The site id needs lowercase letters, digits and dashes (at most 63, not starting with a dash).',
        this.id,
      ];
    if (this.name.value.trim() === '') return ['The site needs a name.', this.name];
    if (this.council.value === '') return ['Choose the council the site reports to.', this.council];
    if (this.hub.value === '') return ['Choose the hub the site belongs to.', this.hub];
    const lat = this.lat.value.trim();
    const lon = this.lon.value.trim();
    if ((lat === '') !== (lon === ''))
      return ['Give both latitude and longitude, or neither.', lat === '' ? this.lat : this.lon];
    if (lat !== '' && !(Math.abs(Number(lat)) <= 90))
      return ['The latitude is a number from -90 to 90.', this.lat];
    if (lon !== '' && !(Math.abs(Number(lon)) <= 180))
      return ['The longitude is a number from -180 to 180.', this.lon];
    if (this.moving && this.reason.value.trim().length < 3)
      return ['Moving the site to another council or hub needs a reason.', this.reason];
    return null;
  }

  private location(): { lat: number; lon: number } | null {
    const lat = this.lat.value.trim();
    const lon = this.lon.value.trim();
    return lat === '' ? null : { lat: Number(lat), lon: Number(lon) };
  }

  private async submit(): Promise<void> {
    const problem = this.problem();
    const what = this.mode === 'register' ? 'Not registered' : 'Not saved';
    if (problem) {
      setText(this.error, `${what}: ${problem[0]}`);
      problem[1].focus();
      return;
    }
    setText(this.error, '');
    this.submitButton.disabled = true;
    try {
      if (this.mode === 'register') await this.register();
      else await this.save();
    } catch (error) {
      if (error instanceof UnauthorizedError) return;
      setText(this.error, `${what}: ${hubMessage(error)}`);
    } finally {
      this.submitButton.disabled = false;
    }
  }

  private async register(): Promise<void> {
    const site = await this.api.registerSite({
      id: this.id.value.trim(),
      name: this.name.value.trim(),
      councilId: this.council.value,
      hubId: this.hub.value,
      location: this.location(),
      cameraNetworks: lines(this.networks.value),
      expectedCameras: lines(this.expected.value),
    });
    for (const input of [this.id, this.name, this.networks, this.expected, this.lat, this.lon])
      input.value = '';
    await this.events.onRegistered(site);
  }

  /** Sends only what changed, so the audit entry names just that. */
  private async save(): Promise<void> {
    const site = this.site;
    if (site === null) return;
    const body: SiteRegistryUpdate = {};
    const name = this.name.value.trim();
    if (name !== site.name) body.name = name;
    if (this.council.value !== site.councilId) body.councilId = this.council.value;
    if (this.hub.value !== site.hubId) body.hubId = this.hub.value;
    const networks = lines(this.networks.value);
    if (!sameList(networks, site.cameraNetworks)) body.cameraNetworks = networks;
    const expected = lines(this.expected.value);
    if (!sameList([...expected].sort(), [...site.expectedCameras].sort())) body.expectedCameras = expected;
    const location = this.location();
    const [lon, lat] = site.location?.coordinates ?? [];
    if (location?.lat !== lat || location?.lon !== lon) body.location = location;
    if (this.moving) body.reason = this.reason.value.trim();
    if (Object.keys(body).length === 0) {
      this.close();
      this.events.onNotice(`Nothing to save: ${site.name} is unchanged.`);
      return;
    }
    const result = await this.api.updateSite(site.id, body);
    // The list is redrawn first, so the focus goes back to the Edit button of the new list.
    await this.events.onSaved(result);
    this.close();
  }
}
