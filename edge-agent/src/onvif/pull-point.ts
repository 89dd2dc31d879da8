// ONVIF Events (Core spec 9, WS-BaseNotification): PullPoint subscription request bodies and the reader for
// PullMessages answers, reduced to the recorder facts the hub evaluates: storage failures
// (tns1:Device/HardwareFailure/StorageFailure, Core 9.11.x, data item `Failed`) and tamper
// (tns1:VideoSource/GlobalSceneChange/..., data item `State`). Other topics are kept with their raw items.

import { elementsInner } from './recording-search.ts';
import { elementInner, elementText } from './xml.ts';

export const EVENT_NAMESPACES = {
  tev: 'http://www.onvif.org/ver10/events/wsdl',
  wsnt: 'http://docs.oasis-open.org/wsn/b-2',
  tt: 'http://www.onvif.org/ver10/schema',
};

export type RecorderEventKind = 'storage_failure' | 'tamper' | 'other';

export interface RecorderEvent {
  topic: string;
  kind: RecorderEventKind;
  /** Device time of the event (tt:Message UtcTime), undefined if absent or without a zone. */
  utcTimeMs: number | undefined;
  /** Initialized (state on subscribe), Changed, Deleted; empty for plain events. */
  propertyOperation: string;
  source: Record<string, string>;
  data: Record<string, string>;
  /** true when the fault/tamper is active, false when cleared, undefined when the topic carries no state. */
  active: boolean | undefined;
}

export interface PullMessagesResult {
  currentTimeMs: number | undefined;
  terminationTimeMs: number | undefined;
  events: RecorderEvent[];
}

export function createPullPointSubscriptionBody(initialTerminationSeconds: number): string {
  return `<tev:CreatePullPointSubscription><tev:InitialTerminationTime>PT${Math.max(10, Math.floor(initialTerminationSeconds))}S</tev:InitialTerminationTime></tev:CreatePullPointSubscription>`;
}

export function pullMessagesBody(timeoutSeconds: number, messageLimit: number): string {
  return `<tev:PullMessages><tev:Timeout>PT${Math.max(0, Math.floor(timeoutSeconds))}S</tev:Timeout><tev:MessageLimit>${Math.max(1, Math.floor(messageLimit))}</tev:MessageLimit></tev:PullMessages>`;
}

export function renewBody(terminationSeconds: number): string {
  return `<wsnt:Renew><wsnt:TerminationTime>PT${Math.max(10, Math.floor(terminationSeconds))}S</wsnt:TerminationTime></wsnt:Renew>`;
}

export function unsubscribeBody(): string {
  return '<wsnt:Unsubscribe/>';
}

function parseTimeMs(text: string | undefined): number | undefined {
  if (text === undefined || !/(Z|[+-]\d\d:\d\d)$/.test(text)) return undefined;
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? ms : undefined;
}

/** The pull point's address from CreatePullPointSubscriptionResponse (wsa:Address in SubscriptionReference). */
export function parseCreatePullPointSubscription(
  xml: string,
): { address: string; terminationTimeMs: number | undefined } | undefined {
  const ref = elementInner(xml, 'SubscriptionReference');
  const address = ref === undefined ? undefined : elementText(ref, 'Address');
  if (address === undefined || address === '') return undefined;
  return { address, terminationTimeMs: parseTimeMs(elementText(xml, 'TerminationTime')) };
}

function attr(tag: string, name: string): string | undefined {
  const m = new RegExp(`\\s${name}\\s*=\\s*("([^"]*)"|'([^']*)')`).exec(tag);
  return m ? (m[2] ?? m[3]) : undefined;
}

function simpleItems(xml: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (xml === undefined) return out;
  for (const m of xml.matchAll(/<(?:[A-Za-z_][\w.-]*:)?SimpleItem\b[^>]*>/g)) {
    const name = attr(m[0], 'Name');
    const value = attr(m[0], 'Value');
    if (name !== undefined && value !== undefined) out[name] = value;
  }
  return out;
}

/** Topic path without namespace prefixes, so `tns1:Device/tnshik:HardwareFailure/...` still classifies. */
export function topicPath(topic: string): string {
  return topic
    .split('/')
    .map((part) => part.replace(/^[A-Za-z_][\w.-]*:/, ''))
    .join('/');
}

export function classifyTopic(topic: string): RecorderEventKind {
  const path = topicPath(topic);
  if (/^Device\/HardwareFailure\/StorageFailure$/i.test(path)) return 'storage_failure';
  if (/^VideoSource\/GlobalSceneChange(\/|$)/i.test(path)) return 'tamper';
  return 'other';
}

function boolValue(text: string | undefined): boolean | undefined {
  if (text === undefined) return undefined;
  if (/^(true|1)$/i.test(text)) return true;
  if (/^(false|0)$/i.test(text)) return false;
  return undefined;
}

export function parsePullMessages(xml: string): PullMessagesResult {
  const events: RecorderEvent[] = [];
  for (const notification of elementsInner(xml, 'NotificationMessage')) {
    const topic = elementText(notification, 'Topic') ?? '';
    const kind = classifyTopic(topic);
    const messageTag = /<(?:[A-Za-z_][\w.-]*:)?Message\b[^>]*\bUtcTime[^>]*>/.exec(notification)?.[0] ?? '';
    const data = simpleItems(elementInner(notification, 'Data'));
    const source = simpleItems(elementInner(notification, 'Source'));
    const active =
      kind === 'storage_failure'
        ? boolValue(data.Failed)
        : kind === 'tamper'
          ? boolValue(data.State ?? data.IsChanged)
          : undefined;
    events.push({
      topic,
      kind,
      utcTimeMs: parseTimeMs(attr(messageTag, 'UtcTime')),
      propertyOperation: attr(messageTag, 'PropertyOperation') ?? '',
      source,
      data,
      active,
    });
  }
  return {
    currentTimeMs: parseTimeMs(elementText(xml, 'CurrentTime')),
    terminationTimeMs: parseTimeMs(elementText(xml, 'TerminationTime')),
    events,
  };
}
