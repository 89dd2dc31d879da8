import type { NotificationRule, NotificationRuleInput } from '../../../src/schemas/notification-api.ts';
import { hubMessage, UnauthorizedError } from '../api.ts';
import type { Catalog } from '../catalog.ts';
import { confirmAction } from '../confirm-dialog.ts';
import { el, setText } from '../dom.ts';
import { inFormWords } from '../field-words.ts';
import * as fmt from '../format.ts';
import type { LiveStore } from '../live.ts';
import { SecretBox } from '../secret-box.ts';
import { KIND_LABEL, SEVERITY_LABEL } from './alert-words.ts';
import type { AlertsApi } from './alerts-api.ts';
import { DeliveryList } from './delivery-list.ts';
import { RuleForm } from './rule-form.ts';
import { modeText, RULE_LABELS } from './rule-values.ts';

export interface NotificationSettingsOptions {
  api: AlertsApi;
  store: LiveStore;
  catalog: Catalog;
  /** Hub operators: webhooks, and everyone's rules. */
  operator: boolean;
}

const SECRET_HINT =
  'Shown once: put it in the receiver now. It signs every webhook (X-CCTV-Signature); rotate the secret if it is lost.';

/**
 * Notification settings: the user's rules (hub operators see everyone's) with Edit, Send test,
 * Send digest now, Rotate secret (webhooks) and Delete; the rule form; and the deliveries.
 */
export class NotificationSettings {
  readonly element: HTMLElement;
  private readonly list = el('ul', { id: 'rule-list', class: 'rule-list' });
  private readonly title = el(
    'h2',
    { id: 'rules-title', class: 'panel-title', tabindex: -1 },
    'Notification rules',
  );
  private readonly status = el('p', { id: 'rules-status', class: 'admin-status', role: 'status' });
  private readonly error = el('p', { id: 'rules-error', class: 'error', role: 'alert' });
  private readonly secret = new SecretBox('rule-secret');
  private readonly form: RuleForm;
  private readonly deliveries: DeliveryList;
  private readonly newRule = el('button', { type: 'button', id: 'rule-new', class: 'primary' }, 'New rule');
  private rules: NotificationRule[] = [];

  constructor(private readonly options: NotificationSettingsOptions) {
    this.form = new RuleForm({
      webhooks: options.operator,
      onSubmit: (input, ruleId) => this.save(input, ruleId),
      onClose: () => this.newRule.focus(),
    });
    this.deliveries = new DeliveryList(options.api);
    this.newRule.addEventListener('click', () => this.form.open(null));
    this.element = el(
      'div',
      { id: 'notification-settings', class: 'notification-layout' },
      el(
        'section',
        { id: 'rules-panel', class: 'panel admin-panel', 'aria-labelledby': 'rules-title' },
        this.title,
        el(
          'p',
          { class: 'muted' },
          options.operator
            ? 'Who is told about alerts, and how: e-mail through the hub’s mail relay or signed webhooks. One outage is one message; a digest sums up the day. You see every user’s rules.'
            : 'Who is told about alerts in your councils, and how: one e-mail per outage as it happens, or a daily digest.',
        ),
        this.status,
        this.error,
        this.secret.element,
        this.list,
        el('div', { class: 'form-actions' }, this.newRule),
        this.form.element,
      ),
      this.deliveries.element,
    );
  }

  activate(): void {
    this.refreshChoices();
    void this.load();
    this.deliveries.activate();
  }

  deactivate(): void {
    this.deliveries.deactivate();
    this.secret.clear();
    this.form.close();
  }

  refreshChoices(): void {
    const { catalog, store } = this.options;
    this.form.setChoices(
      [...catalog.councils.values()].sort((a, b) => a.name.localeCompare(b.name)),
      [...store.sites.values()].map((s) => ({ id: s.id, name: s.name, councilId: s.councilId })),
    );
  }

  private say(message: string): void {
    setText(this.error, '');
    setText(this.status, message);
  }

  private fail(message: string): void {
    setText(this.status, '');
    setText(this.error, message);
  }

  private async load(): Promise<void> {
    try {
      this.rules = await this.options.api.rules();
      this.render();
    } catch (error) {
      if (error instanceof UnauthorizedError) return;
      this.fail(`Could not read the notification rules: ${hubMessage(error)}`);
    }
  }

  private scopeText(rule: NotificationRule): string {
    const { catalog } = this.options;
    const councils =
      rule.councilIds.length === 0
        ? 'every council'
        : rule.councilIds.map((id) => catalog.councilName(id)).join(', ');
    const sites =
      rule.siteIds.length === 0 ? 'every site' : rule.siteIds.map((id) => catalog.siteName(id)).join(', ');
    const kinds = rule.kinds.length === 0 ? 'every kind' : rule.kinds.map((k) => KIND_LABEL[k]).join(', ');
    const severities =
      rule.severities.length === 0
        ? 'major and minor'
        : rule.severities.map((s) => SEVERITY_LABEL[s]).join(' and ');
    return `${councils}; ${sites}; ${kinds}; ${severities}`;
  }

  private render(): void {
    this.list.replaceChildren(...this.rules.map((rule) => this.item(rule)));
    if (this.rules.length === 0)
      this.list.append(
        el(
          'li',
          { class: 'rule-empty muted' },
          'No rules yet: the hub tells you about no alerts. Add one with New rule.',
        ),
      );
  }

  private item(rule: NotificationRule): HTMLLIElement {
    const button = (action: string, label: string, run: (b: HTMLButtonElement) => void) => {
      const b = el(
        'button',
        { type: 'button', class: 'mw-action', 'data-action': action, 'aria-label': `${label}: ${rule.name}` },
        label,
      );
      b.addEventListener('click', () => run(b));
      return b;
    };
    const headingId = `rule-${rule.id}-name`;
    return el(
      'li',
      {
        class: 'rule-item',
        'data-rule-id': rule.id,
        'data-enabled': String(rule.enabled),
        'aria-labelledby': headingId,
      },
      el(
        'div',
        { class: 'rule-head' },
        el('h3', { id: headingId, class: 'rule-name' }, rule.name),
        rule.enabled ? null : el('span', { class: 'rule-paused' }, 'Paused'),
      ),
      el(
        'dl',
        { class: 'rule-details' },
        el('dt', {}, 'To'),
        el(
          'dd',
          { class: 'rule-target' },
          `${rule.channel === 'email' ? 'E-mail' : 'Webhook'}: ${rule.target}`,
        ),
        el('dt', {}, 'When'),
        el(
          'dd',
          {},
          modeText(rule),
          rule.mode === 'digest' && rule.lastDigestAt ? `; last sent ${fmt.dateTime(rule.lastDigestAt)}` : '',
        ),
        el('dt', {}, 'About'),
        el('dd', {}, this.scopeText(rule)),
        el('dt', {}, 'Quiet hours'),
        el(
          'dd',
          {},
          rule.quietHours ? `${rule.quietHours.start} to ${rule.quietHours.end} (UK time)` : 'none',
        ),
        this.options.operator ? el('dt', {}, 'Owner') : null,
        this.options.operator ? el('dd', {}, rule.owner) : null,
      ),
      el(
        'div',
        { class: 'row-actions' },
        button('edit', 'Edit', () => this.form.open(rule)),
        button('test', 'Send test', (b) => void this.queue(rule, b, 'test')),
        button('digest', 'Send digest now', (b) => void this.queue(rule, b, 'digest')),
        rule.channel === 'webhook'
          ? button('rotate', 'Rotate secret', (b) => void this.rotate(rule, b))
          : null,
        button('delete', 'Delete', () => void this.remove(rule)),
      ),
    );
  }

  private async save(input: NotificationRuleInput, ruleId: string | null): Promise<void> {
    try {
      if (ruleId === null) {
        const created = await this.options.api.createRule(input);
        this.say(`Created the rule ${created.rule.name}.`);
        this.form.close();
        await this.load();
        this.title.focus();
        if (created.secret)
          this.secret.show(
            `Signing secret for ${created.rule.name}`,
            created.secret,
            SECRET_HINT,
            this.title,
          );
      } else {
        const rule = await this.options.api.updateRule(ruleId, input);
        this.say(`Saved the rule ${rule.name}.`);
        this.form.close();
        await this.load();
        this.title.focus();
      }
    } catch (error) {
      if (error instanceof UnauthorizedError) return;
      this.form.fail(`${ruleId === null ? 'Not created' : 'Not saved'}: ${inFormWords(error, RULE_LABELS)}`);
    }
  }

  private async queue(
    rule: NotificationRule,
    button: HTMLButtonElement,
    what: 'test' | 'digest',
  ): Promise<void> {
    button.disabled = true;
    try {
      const delivery =
        what === 'test'
          ? await this.options.api.sendTest(rule.id)
          : await this.options.api.sendDigest(rule.id);
      this.say(
        `${what === 'test' ? 'Test message' : 'Digest'} for ${rule.name} queued: “${delivery.subject}”. Its delivery is listed under Deliveries.`,
      );
      this.deliveries.watch();
    } catch (error) {
      if (error instanceof UnauthorizedError) return;
      this.fail(`${what === 'test' ? 'No test sent' : 'No digest sent'}: ${hubMessage(error)}`);
    } finally {
      button.disabled = false;
    }
  }

  private async rotate(rule: NotificationRule, button: HTMLButtonElement): Promise<void> {
    const ok = await confirmAction({
      title: `New signing secret for ${rule.name}?`,
      message:
        'The old secret stops working at once: the receiver refuses webhooks until it has the new one.',
      confirmLabel: 'Rotate secret',
    });
    if (!ok) return;
    button.disabled = true;
    try {
      const rotated = await this.options.api.rotateSecret(rule.id);
      this.say(`New signing secret for ${rule.name}.`);
      if (rotated.secret)
        this.secret.show(`Signing secret for ${rule.name}`, rotated.secret, SECRET_HINT, button);
    } catch (error) {
      if (error instanceof UnauthorizedError) return;
      this.fail(`Secret not rotated: ${hubMessage(error)}`);
    } finally {
      button.disabled = false;
    }
  }

  private async remove(rule: NotificationRule): Promise<void> {
    const ok = await confirmAction({
      title: `Delete the rule ${rule.name}?`,
      message: `Nothing more is sent to ${rule.target} by this rule. Its past deliveries stay listed.`,
      confirmLabel: 'Delete rule',
    });
    if (!ok) return;
    try {
      await this.options.api.deleteRule(rule.id);
      if (this.form.editingId === rule.id) this.form.close();
      this.secret.clear();
      this.say(`Deleted the rule ${rule.name}.`);
      await this.load();
      this.title.focus();
    } catch (error) {
      if (error instanceof UnauthorizedError) return;
      this.fail(`Not deleted: ${hubMessage(error)}`);
    }
  }
}
