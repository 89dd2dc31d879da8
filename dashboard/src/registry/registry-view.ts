import type { CameraView, CouncilView, HubView } from '../../../src/schemas/api.ts';
import { hubMessage, UnauthorizedError } from '../api.ts';
import { el, setText } from '../dom.ts';
import * as fmt from '../format.ts';
import type { LiveStore, LiveUpdate } from '../live.ts';
import { SecretBox } from '../secret-box.ts';
import { CameraApprovals } from './camera-approvals.ts';
import type { RegistryApi, SiteRecord } from './registry-api.ts';
import { SiteForm } from './site-form.ts';
import { SiteTable } from './site-table.ts';

/** Live changes come in bursts; the lists are re-read at most this often while the view is shown. */
const RELOAD_AFTER_CHANGE_MS = 1_000;

export interface RegistryViewOptions {
  api: RegistryApi;
  store: LiveStore;
  /** Hub operators register and edit sites and decide on cameras; the others only read. */
  mayEdit: boolean;
}

/**
 * The site registry: registered sites (and, for hub operators, the forms to register and change
 * them) beside the cameras waiting for approval. The lists are read when the view is shown and again
 * when a live change tells of a camera whose approval the list does not show yet.
 */
export class RegistryView {
  readonly element: HTMLElement;
  private readonly sitesTitle = el(
    'h2',
    { id: 'registry-sites-title', class: 'panel-title', tabindex: -1 },
    'Registered sites',
  );
  private readonly status = el('p', { id: 'registry-status', class: 'admin-status', role: 'status' });
  private readonly error = el('p', { id: 'registry-error', class: 'error', role: 'alert' });
  /** What a move does to reports, as the hub words it: kept on show until the next change. */
  private readonly effect = el('p', { id: 'registry-move-effect', class: 'move-effect', hidden: true });
  private readonly table: SiteTable;
  private readonly codeBox: SecretBox | null;
  private readonly registerForm: SiteForm | null;
  private readonly editForm: SiteForm | null;
  private readonly cameras: CameraApprovals;
  private councils = new Map<string, CouncilView>();
  private hubs = new Map<string, HubView>();
  private sites = new Map<string, SiteRecord>();
  private active = false;
  /** Each camera's approval as the live store had it when the lists were last read or re-read. */
  private readonly seen = new Map<string, CameraView['approval']>();
  private reloadTimer: ReturnType<typeof setTimeout> | null = null;

  private siteLoads = 0;

  constructor(private readonly options: RegistryViewOptions) {
    const { api, mayEdit } = options;
    const names = {
      council: (id: string) => this.councils.get(id)?.name ?? id,
      hub: (id: string) => this.hubs.get(id)?.name ?? id,
      site: (id: string) => this.sites.get(id)?.name ?? options.store.sites.get(id)?.name ?? id,
    };
    const events = {
      // The list shows the change before the status line announces it.
      onRegistered: (site: SiteRecord) =>
        this.sayAfter(this.loadSites(), `Registered ${site.name} (${site.id}). Its agent may connect now.`),
      onSaved: async ({ site, move }: { site: SiteRecord; move: { effect: string } | null }) => {
        await this.sayAfter(this.load(), move ? `Moved ${site.name}.` : `Saved ${site.name}.`);
        this.effect.hidden = move === null;
        setText(this.effect, move?.effect ?? '');
      },
      onNotice: (message: string) => this.say(message),
    };
    this.registerForm = mayEdit ? new SiteForm('register', api, events) : null;
    this.codeBox = mayEdit ? new SecretBox('enrolment-code') : null;
    this.editForm = mayEdit ? new SiteForm('edit', api, events) : null;
    this.table = new SiteTable(
      names,
      this.editForm
        ? (site, button) => {
            this.effect.hidden = true;
            this.editForm?.open(site, button);
          }
        : null,
      mayEdit ? (site, button) => void this.issueCode(site, button) : null,
    );
    this.cameras = new CameraApprovals(api, names, mayEdit, () => void this.loadSites());
    this.element = el(
      'div',
      { id: 'view-registry', class: 'admin-view registry-view', hidden: true },
      el('h1', { class: 'visually-hidden' }, 'Site registry'),
      el(
        'div',
        { class: 'admin-layout registry-layout', 'data-editable': String(mayEdit) },
        el(
          'section',
          { id: 'registry-sites', class: 'panel admin-panel', 'aria-labelledby': 'registry-sites-title' },
          this.sitesTitle,
          mayEdit
            ? null
            : el(
                'p',
                { id: 'registry-read-only', class: 'muted' },
                'Read only: hub operators register and change sites and approve cameras.',
              ),
          this.status,
          this.error,
          this.effect,
          this.codeBox?.element,
          this.table.element,
          this.editForm?.element,
        ),
        this.cameras.element,
        this.registerForm
          ? el(
              'section',
              { id: 'registry-register', class: 'panel admin-panel', 'aria-labelledby': 'site-new-title' },
              this.registerForm.element,
            )
          : null,
      ),
    );
  }

  activate(): void {
    this.element.hidden = false;
    this.active = true;
    void this.load();
  }

  deactivate(): void {
    this.element.hidden = true;
    this.codeBox?.clear();
    this.active = false;
    this.editForm?.close();
    this.cancelReload();
  }

  stop(): void {
    this.active = false;
    this.cancelReload();
    this.cameras.stop();
  }

  /**
   * A camera first seen, or whose approval changed (decided in another browser): re-read the lists,
   * once the burst is over.
   */
  applyUpdate(update: LiveUpdate): void {
    if (!this.active) return;
    const { cameras } = this.options.store;
    let changed = false;
    for (const id of update.full ? cameras.keys() : update.cameraIds) {
      const approval = cameras.get(id)?.approval;
      if (approval === undefined || this.seen.get(id) === approval) continue;
      this.seen.set(id, approval);
      changed = true;
    }
    if (changed) this.scheduleReload();
  }

  private scheduleReload(): void {
    if (this.reloadTimer !== null) return;
    this.reloadTimer = setTimeout(() => {
      this.reloadTimer = null;
      if (this.active) void this.load();
    }, RELOAD_AFTER_CHANGE_MS);
  }

  private cancelReload(): void {
    if (this.reloadTimer !== null) clearTimeout(this.reloadTimer);
    this.reloadTimer = null;
  }

  /** Issues a code and shows it once, with what the installer types on the site box. */
  private async issueCode(site: SiteRecord, button: HTMLButtonElement): Promise<void> {
    button.disabled = true;
    try {
      const issued = await this.options.api.enrolmentCode(site.id);
      this.say(`Enrolment code issued for ${site.name}.`);
      this.codeBox?.show(
        `Enrolment code for ${site.name}`,
        issued.code,
        `Single use, valid until ${fmt.dateTime(issued.expiresAt)}; shown only now. On the site box: npm run agent -- enrol --hub ${window.location.origin} --code ${issued.code}`,
        button,
      );
      void this.loadSites();
    } catch (error) {
      this.fail(`No code issued: ${hubMessage(error)}`);
    } finally {
      button.disabled = false;
    }
  }

  private say(message: string): void {
    setText(this.error, '');
    setText(this.status, message);
  }

  /** The message once the reload is done; an error of that reload stays on show beside it. */
  private async sayAfter(reload: Promise<void>, message: string): Promise<void> {
    setText(this.error, '');
    await reload;
    setText(this.status, message);
  }

  private fail(message: string): void {
    setText(this.status, '');
    setText(this.error, message);
  }

  /** Councils and hubs first (names and form choices), then both lists. */
  private async load(): Promise<void> {
    for (const camera of this.options.store.cameras.values()) this.seen.set(camera.id, camera.approval);
    try {
      const [councils, hubs] = await Promise.all([this.options.api.councils(), this.options.api.hubs()]);
      this.councils = new Map(councils.map((c) => [c.id, c]));
      this.hubs = new Map(hubs.map((h) => [h.id, h]));
      this.registerForm?.setChoices(councils, hubs);
      this.editForm?.setChoices(councils, hubs);
    } catch (error) {
      if (error instanceof UnauthorizedError) return;
      this.fail(`Could not load the councils and hubs: ${hubMessage(error)}`);
    }
    await Promise.all([this.loadSites(), this.cameras.load()]);
  }

  private async loadSites(): Promise<void> {
    // A slower earlier load must not overwrite the list a later one (after a change) has drawn.
    const ticket = ++this.siteLoads;
    try {
      const sites = await this.options.api.sites();
      if (ticket !== this.siteLoads) return;
      this.sites = new Map(sites.map((s) => [s.id, s]));
      this.table.render(sites);
      this.cameras.render();
    } catch (error) {
      if (error instanceof UnauthorizedError) return;
      this.fail(`Could not load the sites: ${hubMessage(error)}`);
    }
  }
}
