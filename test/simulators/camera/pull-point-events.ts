// ONVIF PullPoint answers for the simulator: a subscription address and queued notifications for storage
// failure (tns1:Device/HardwareFailure/StorageFailure, item Failed) and tamper
// (tns1:VideoSource/GlobalSceneChange/ImagingService, item State).
import { soapEnvelope, xmlEscape } from './soap.ts';

const NS_EVENTS =
  'xmlns:tev="http://www.onvif.org/ver10/events/wsdl" xmlns:wsnt="http://docs.oasis-open.org/wsn/b-2" xmlns:wsa5="http://www.w3.org/2005/08/addressing" xmlns:tns1="http://www.onvif.org/ver10/topics"';

export interface SimEvent {
  kind: 'storage_failure' | 'tamper';
  active: boolean;
  /** Disk token for storage, video source token for tamper. */
  sourceToken: string;
  atMs: number;
}

function wrap(body: string): string {
  return soapEnvelope(body).replace('<s:Envelope ', `<s:Envelope ${NS_EVENTS} `);
}

export function createPullPointSubscriptionResponse(
  address: string,
  nowMs: number,
  terminationMs: number,
): string {
  return wrap(
    `<tev:CreatePullPointSubscriptionResponse><tev:SubscriptionReference><wsa5:Address>${xmlEscape(address)}</wsa5:Address></tev:SubscriptionReference>` +
      `<wsnt:CurrentTime>${new Date(nowMs).toISOString()}</wsnt:CurrentTime><wsnt:TerminationTime>${new Date(terminationMs).toISOString()}</wsnt:TerminationTime></tev:CreatePullPointSubscriptionResponse>`,
  );
}

function notification(event: SimEvent): string {
  const storage = event.kind === 'storage_failure';
  const topic = storage
    ? 'tns1:Device/HardwareFailure/StorageFailure'
    : 'tns1:VideoSource/GlobalSceneChange/ImagingService';
  const sourceName = storage ? 'Token' : 'Source';
  const dataName = storage ? 'Failed' : 'State';
  return (
    `<wsnt:NotificationMessage><wsnt:Topic Dialect="http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet">${topic}</wsnt:Topic>` +
    `<wsnt:Message><tt:Message UtcTime="${new Date(event.atMs).toISOString()}" PropertyOperation="Changed">` +
    `<tt:Source><tt:SimpleItem Name="${sourceName}" Value="${xmlEscape(event.sourceToken)}"/></tt:Source>` +
    `<tt:Data><tt:SimpleItem Name="${dataName}" Value="${event.active}"/></tt:Data></tt:Message></wsnt:Message></wsnt:NotificationMessage>`
  );
}

export function pullMessagesResponse(events: SimEvent[], nowMs: number, terminationMs: number): string {
  return wrap(
    `<tev:PullMessagesResponse><tev:CurrentTime>${new Date(nowMs).toISOString()}</tev:CurrentTime><tev:TerminationTime>${new Date(terminationMs).toISOString()}</tev:TerminationTime>` +
      events.map(notification).join('') +
      '</tev:PullMessagesResponse>',
  );
}

export function renewResponse(nowMs: number, terminationMs: number): string {
  return wrap(
    `<wsnt:RenewResponse><wsnt:TerminationTime>${new Date(terminationMs).toISOString()}</wsnt:TerminationTime><wsnt:CurrentTime>${new Date(nowMs).toISOString()}</wsnt:CurrentTime></wsnt:RenewResponse>`,
  );
}

export function unsubscribeResponse(): string {
  return wrap('<wsnt:UnsubscribeResponse/>');
}
