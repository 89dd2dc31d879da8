import type { AlertKind } from '../../../src/schemas/alert-api.ts';
import type {
  Delivery,
  NotificationChannel,
  NotificationMode,
  NotificationRule,
  NotificationRuleInput,
} from '../../../src/schemas/notification-api.ts';
import * as fmt from '../format.ts';
import type { Severity } from './alert-words.ts';

/** As the hub's schema: a rule's name and target lengths. */
export const MAX_RULE_NAME = 80;
export const MAX_TARGET = 400;

/** What the rule form holds, as typed. */
export interface RuleFormValues {
  name: string;
  channel: NotificationChannel;
  target: string;
  councilIds: string[];
  siteIds: string[];
  kinds: AlertKind[];
  severities: Severity[];
  quiet: boolean;
  quietStart: string;
  quietEnd: string;
  mode: NotificationMode;
  digestHour: number;
  enabled: boolean;
}

export type RuleField = 'name' | 'target' | 'quietStart' | 'quietEnd';

/** A rule the browser refuses before asking the hub: the field to focus and what to say. */
export interface RuleProblem {
  field: RuleField;
  message: string;
}

/** The hub's field names as the form's sentences say them (see field-words.ts). */
export const RULE_LABELS: Record<string, string> = {
  name: 'the name',
  target: 'the address',
  councilIds: 'the councils',
  siteIds: 'the sites',
  kinds: 'the kinds',
  severities: 'the severities',
  quietHours: 'the quiet hours',
  digestHour: 'the digest hour',
};

const EMAIL = /^[^\s@<>(),;:"]+@[^\s@<>(),;:"]+\.[^\s@<>(),;:"]+$/;
const WALL_CLOCK = /^([01]\d|2[0-3]):[0-5]\d$/;

export function defaultRuleValues(): RuleFormValues {
  return {
    name: '',
    channel: 'email',
    target: '',
    councilIds: [],
    siteIds: [],
    kinds: [],
    severities: [],
    quiet: false,
    quietStart: '22:00',
    quietEnd: '07:00',
    mode: 'immediate',
    digestHour: 7,
    enabled: true,
  };
}

export function valuesOf(rule: NotificationRule): RuleFormValues {
  return {
    name: rule.name,
    channel: rule.channel,
    target: rule.target,
    councilIds: [...rule.councilIds],
    siteIds: [...rule.siteIds],
    kinds: [...rule.kinds],
    severities: [...rule.severities],
    quiet: rule.quietHours !== null,
    quietStart: rule.quietHours?.start ?? '22:00',
    quietEnd: rule.quietHours?.end ?? '07:00',
    mode: rule.mode,
    digestHour: rule.digestHour,
    enabled: rule.enabled,
  };
}

/** The body for POST/PUT, or what is wrong with the form in plain words. */
export function ruleInput(values: RuleFormValues): NotificationRuleInput | RuleProblem {
  const name = values.name.trim();
  if (!name) return { field: 'name', message: 'Enter a name for the rule, such as "Duty inbox".' };
  if (name.length > MAX_RULE_NAME)
    return { field: 'name', message: `The name is at most ${MAX_RULE_NAME} characters.` };
  const target = values.target.trim();
  if (values.channel === 'email') {
    if (!target) return { field: 'target', message: 'Enter the e-mail address to send to.' };
    if (!EMAIL.test(target))
      return { field: 'target', message: 'Enter one e-mail address, such as duty@example.org.' };
  } else {
    if (!target) return { field: 'target', message: 'Enter the address the webhook posts to.' };
    let url: URL | null = null;
    try {
      url = new URL(target);
    } catch {
      url = null;
    }
    if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:'))
      return { field: 'target', message: 'The webhook address is a web address starting with https://.' };
    if (url.username || url.password)
      return { field: 'target', message: 'Leave the user name and password out of the webhook address.' };
  }
  if (target.length > MAX_TARGET)
    return { field: 'target', message: `The address is at most ${MAX_TARGET} characters.` };
  let quietHours: NotificationRuleInput['quietHours'] = null;
  if (values.quiet) {
    if (!WALL_CLOCK.test(values.quietStart))
      return { field: 'quietStart', message: 'Enter the time quiet hours start, such as 22:00.' };
    if (!WALL_CLOCK.test(values.quietEnd))
      return { field: 'quietEnd', message: 'Enter the time quiet hours end, such as 07:00.' };
    if (values.quietStart === values.quietEnd)
      return { field: 'quietEnd', message: 'Quiet hours end at a different time than they start.' };
    quietHours = { start: values.quietStart, end: values.quietEnd };
  }
  return {
    name,
    channel: values.channel,
    target,
    councilIds: values.councilIds,
    siteIds: values.siteIds,
    kinds: values.kinds,
    severities: values.severities,
    quietHours,
    mode: values.mode,
    digestHour: values.digestHour,
    enabled: values.enabled,
  };
}

export function isRuleProblem(value: NotificationRuleInput | RuleProblem): value is RuleProblem {
  return 'field' in value && 'message' in value;
}

export const hourText = (hour: number) => `${String(hour).padStart(2, '0')}:00`;

/** How a rule sends, in a line: "Daily digest at 07:00 (UK time)", "Immediately". */
export function modeText(rule: Pick<NotificationRule, 'mode' | 'digestHour'>): string {
  return rule.mode === 'digest' ? `Daily digest at ${hourText(rule.digestHour)} (UK time)` : 'Immediately';
}

const DELIVERY_KIND: Record<Delivery['kind'], string> = {
  alerts: 'Alerts',
  digest: 'Digest',
  test: 'Test',
};

export function deliveryKindText(delivery: Delivery): string {
  return DELIVERY_KIND[delivery.kind];
}

/** A delivery's state in a sentence, with when it is next tried or why it gave up. */
export function deliveryStateText(delivery: Delivery): string {
  const tries = (n: number) => `${n} ${n === 1 ? 'attempt' : 'attempts'}`;
  switch (delivery.state) {
    case 'pending':
      if (delivery.attempts === 0)
        return delivery.nextAttemptAt
          ? `Waiting to be sent (from ${fmt.dateTime(delivery.nextAttemptAt)})`
          : 'Waiting to be sent';
      return `Failed ${tries(delivery.attempts)}; next attempt ${fmt.dateTime(delivery.nextAttemptAt)}${delivery.lastError ? `. Last error: ${delivery.lastError}` : ''}`;
    case 'delivered':
      return `Delivered ${fmt.dateTime(delivery.deliveredAt)}${delivery.attempts > 1 ? ` after ${tries(delivery.attempts)}` : ''}`;
    case 'dead':
      return `Gave up after ${tries(delivery.attempts)}: ${delivery.lastError ?? 'no error recorded'}`;
    case 'quiet':
      return 'Held for quiet hours: not sent';
  }
}

export const DELIVERY_STATE_LABEL: Record<Delivery['state'], string> = {
  pending: 'Pending',
  delivered: 'Delivered',
  dead: 'Dead',
  quiet: 'Held (quiet hours)',
};
