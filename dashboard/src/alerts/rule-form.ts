import type { NotificationRule, NotificationRuleInput } from '../../../src/schemas/notification-api.ts';
import { el, field, setText } from '../dom.ts';
import { ALERT_KINDS, KIND_LABEL, SEVERITIES, SEVERITY_LABEL, type Severity } from './alert-words.ts';
import { CheckGroup } from './check-group.ts';
import {
  defaultRuleValues,
  hourText,
  isRuleProblem,
  MAX_RULE_NAME,
  MAX_TARGET,
  type RuleField,
  type RuleFormValues,
  ruleInput,
  valuesOf,
} from './rule-values.ts';

export interface RuleFormOptions {
  /** Hub operators may send to webhooks; everyone else has e-mail only. */
  webhooks: boolean;
  /** Sends the rule (`ruleId` null creates one) and says how it went, through `fail` when refused. */
  onSubmit: (input: NotificationRuleInput, ruleId: string | null) => Promise<void>;
  /** Cancel was pressed (the form has closed itself). */
  onClose: () => void;
}

export interface SiteChoice {
  id: string;
  name: string;
  councilId: string;
}

function radio(name: string, id: string, value: string, label: string): [HTMLInputElement, HTMLLabelElement] {
  const input = el('input', { type: 'radio', name, id, value });
  return [input, el('label', { class: 'check-item', for: id }, input, ` ${label}`)];
}

/**
 * Creates and edits a notification rule: name, channel and target, scope (councils, sites, kinds,
 * severities; none ticked means all), quiet hours, immediate or daily digest, enabled. What the
 * browser can check it says next to the form in plain words, and focuses the field.
 */
export class RuleForm {
  readonly element: HTMLFormElement;
  private readonly title = el(
    'h3',
    { id: 'rule-form-title', class: 'section-title', tabindex: -1 },
    'New rule',
  );
  private readonly name = el('input', {
    id: 'rule-name',
    name: 'name',
    autocomplete: 'off',
    maxlength: MAX_RULE_NAME,
  });
  private readonly channelEmail = radio('rule-channel', 'rule-channel-email', 'email', 'E-mail');
  private readonly channelWebhook = radio(
    'rule-channel',
    'rule-channel-webhook',
    'webhook',
    'Webhook (signed JSON POST)',
  );
  private readonly target = el('input', {
    id: 'rule-target',
    name: 'target',
    autocomplete: 'off',
    spellcheck: false,
    maxlength: MAX_TARGET,
  });
  private readonly targetLabel: HTMLLabelElement;
  private readonly councils = new CheckGroup(
    'rule-councils',
    'Councils',
    'None ticked: every council you see.',
  );
  private readonly sites = new CheckGroup(
    'rule-sites',
    'Sites',
    'None ticked: every site of those councils.',
  );
  private readonly kinds = new CheckGroup('rule-kinds', 'Kinds of alert', 'None ticked: every kind.');
  private readonly severities = new CheckGroup<Severity>('rule-severities', 'Severity', 'None ticked: both.');
  private readonly quiet = el('input', { type: 'checkbox', id: 'rule-quiet', name: 'quiet' });
  private readonly quietStart = el('input', {
    type: 'time',
    id: 'rule-quiet-start',
    name: 'quietStart',
    step: 60,
  });
  private readonly quietEnd = el('input', { type: 'time', id: 'rule-quiet-end', name: 'quietEnd', step: 60 });
  private readonly modeImmediate = radio(
    'rule-mode',
    'rule-mode-immediate',
    'immediate',
    'Immediately, grouped per site',
  );
  private readonly modeDigest = radio('rule-mode', 'rule-mode-digest', 'digest', 'Once a day, as a digest');
  private readonly digestHour = el('select', { id: 'rule-digest-hour', name: 'digestHour' });
  private readonly enabled = el('input', { type: 'checkbox', id: 'rule-enabled', name: 'enabled' });
  private readonly error = el('p', { id: 'rule-error', class: 'error', role: 'alert' });
  private readonly save = el('button', { type: 'submit', id: 'rule-save', class: 'primary' }, 'Create rule');
  private readonly cancel = el('button', { type: 'button', id: 'rule-cancel', class: 'secondary' }, 'Cancel');
  private siteChoices: SiteChoice[] = [];
  private ruleId: string | null = null;

  constructor(private readonly options: RuleFormOptions) {
    for (let hour = 0; hour < 24; hour++)
      this.digestHour.append(el('option', { value: hour }, hourText(hour)));
    this.kinds.setOptions(ALERT_KINDS.map((k) => [k, KIND_LABEL[k]]));
    this.severities.setOptions(SEVERITIES.map((s) => [s, SEVERITY_LABEL[s]]));
    this.targetLabel = field('E-mail address', this.target);
    const channel = options.webhooks
      ? el(
          'fieldset',
          { class: 'check-group rule-inline', id: 'rule-channel' },
          el('legend', {}, 'Send by'),
          this.channelEmail[1],
          this.channelWebhook[1],
        )
      : el(
          'p',
          { class: 'muted', id: 'rule-channel-note' },
          'Rules send e-mail. Webhooks are set up by hub operators.',
        );
    const quietTimes = el(
      'div',
      { class: 'rule-times' },
      field('From', this.quietStart),
      field('Until', this.quietEnd),
    );
    this.element = el(
      'form',
      {
        id: 'rule-form',
        class: 'admin-form rule-form',
        novalidate: true,
        hidden: true,
        'aria-labelledby': 'rule-form-title',
      },
      this.title,
      field('Name', this.name, 'What the rule is for, e.g. "Duty inbox, major alerts".'),
      channel,
      this.targetLabel,
      this.councils.element,
      this.sites.element,
      this.kinds.element,
      this.severities.element,
      el(
        'fieldset',
        { class: 'check-group', id: 'rule-quiet-hours' },
        el('legend', {}, 'Quiet hours'),
        el(
          'label',
          { class: 'check-item', for: this.quiet.id },
          this.quiet,
          ' Hold messages during quiet hours (UK time)',
        ),
        quietTimes,
        el(
          'p',
          { class: 'field-hint muted' },
          'Held messages are listed under Deliveries and still counted in a digest.',
        ),
      ),
      el(
        'fieldset',
        { class: 'check-group', id: 'rule-mode' },
        el('legend', {}, 'When'),
        this.modeImmediate[1],
        this.modeDigest[1],
        field('Digest at (UK time)', this.digestHour),
      ),
      el('label', { class: 'check-item', for: this.enabled.id }, this.enabled, ' Enabled'),
      this.error,
      el('div', { class: 'form-actions' }, this.save, this.cancel),
    );
    for (const input of [this.channelEmail[0], this.channelWebhook[0]])
      input.addEventListener('change', () => this.sync());
    for (const input of [this.modeImmediate[0], this.modeDigest[0], this.quiet])
      input.addEventListener('change', () => this.sync());
    this.councils.element.addEventListener('change', () => this.renderSites());
    this.cancel.addEventListener('click', () => {
      this.close();
      options.onClose();
    });
    this.element.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.submit();
    });
    this.fill(defaultRuleValues());
  }

  get editingId(): string | null {
    return this.ruleId;
  }

  setChoices(councils: readonly { id: string; name: string }[], sites: readonly SiteChoice[]): void {
    const keep = this.councils.value;
    this.councils.setOptions(councils.map((c) => [c.id, c.name]));
    this.councils.value = keep;
    this.siteChoices = [...sites].sort((a, b) => a.name.localeCompare(b.name));
    this.renderSites();
  }

  /** Opens the form on a rule to edit, or (null) empty for a new one, with the focus on the name. */
  open(rule: NotificationRule | null): void {
    this.ruleId = rule?.id ?? null;
    setText(this.title, rule ? `Edit rule: ${rule.name}` : 'New rule');
    setText(this.save, rule ? 'Save changes' : 'Create rule');
    this.element.dataset.mode = rule ? 'edit' : 'create';
    this.fill(rule ? valuesOf(rule) : defaultRuleValues());
    setText(this.error, '');
    this.element.hidden = false;
    this.element.scrollIntoView({ block: 'nearest' });
    this.name.focus();
  }

  close(): void {
    this.element.hidden = true;
    this.ruleId = null;
    setText(this.error, '');
  }

  fail(message: string, fieldName?: RuleField): void {
    setText(this.error, message);
    if (fieldName) this.control(fieldName).focus();
  }

  private control(name: RuleField): HTMLElement {
    return { name: this.name, target: this.target, quietStart: this.quietStart, quietEnd: this.quietEnd }[
      name
    ];
  }

  private fill(values: RuleFormValues): void {
    this.name.value = values.name;
    const webhook = values.channel === 'webhook';
    this.channelEmail[0].checked = !webhook;
    this.channelWebhook[0].checked = webhook;
    this.target.value = values.target;
    this.councils.value = values.councilIds;
    this.sites.value = values.siteIds;
    this.kinds.value = values.kinds;
    this.severities.value = values.severities;
    this.quiet.checked = values.quiet;
    this.quietStart.value = values.quietStart;
    this.quietEnd.value = values.quietEnd;
    this.modeImmediate[0].checked = values.mode === 'immediate';
    this.modeDigest[0].checked = values.mode === 'digest';
    this.digestHour.value = String(values.digestHour);
    this.enabled.checked = values.enabled;
    this.renderSites();
    this.sync();
  }

  private read(): RuleFormValues {
    return {
      name: this.name.value,
      channel: this.options.webhooks && this.channelWebhook[0].checked ? 'webhook' : 'email',
      target: this.target.value,
      councilIds: this.councils.value,
      siteIds: this.sites.value,
      kinds: this.kinds.value as RuleFormValues['kinds'],
      severities: this.severities.value,
      quiet: this.quiet.checked,
      quietStart: this.quietStart.value,
      quietEnd: this.quietEnd.value,
      mode: this.modeDigest[0].checked ? 'digest' : 'immediate',
      digestHour: Number(this.digestHour.value),
      enabled: this.enabled.checked,
    };
  }

  /** The target's label follows the channel; times are editable only when they apply. */
  private sync(): void {
    const webhook = this.options.webhooks && this.channelWebhook[0].checked;
    const label = this.targetLabel.querySelector('.field-label');
    if (label) setText(label, webhook ? 'Webhook address (https://…)' : 'E-mail address');
    this.target.type = webhook ? 'url' : 'email';
    this.quietStart.disabled = !this.quiet.checked;
    this.quietEnd.disabled = !this.quiet.checked;
    this.digestHour.disabled = !this.modeDigest[0].checked;
  }

  private renderSites(): void {
    const councils = new Set(this.councils.value);
    const offered = this.siteChoices.filter((s) => councils.size === 0 || councils.has(s.councilId));
    this.sites.keepOnly(new Set(offered.map((s) => s.id)));
    this.sites.setOptions(offered.map((s) => [s.id, s.name]));
  }

  private async submit(): Promise<void> {
    setText(this.error, '');
    const input = ruleInput(this.read());
    if (isRuleProblem(input)) {
      this.fail(input.message, input.field);
      return;
    }
    this.save.disabled = true;
    try {
      await this.options.onSubmit(input, this.ruleId);
    } finally {
      this.save.disabled = false;
    }
  }
}
