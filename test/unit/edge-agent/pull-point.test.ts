import { describe, expect, it } from 'vitest';
import {
  classifyTopic,
  createPullPointSubscriptionBody,
  parseCreatePullPointSubscription,
  parsePullMessages,
} from '../../../edge-agent/src/onvif/pull-point.ts';

const env = (body: string) =>
  `<?xml version="1.0" encoding="UTF-8"?><env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope" xmlns:tev="http://www.onvif.org/ver10/events/wsdl" xmlns:wsnt="http://docs.oasis-open.org/wsn/b-2" xmlns:wsa5="http://www.w3.org/2005/08/addressing" xmlns:tt="http://www.onvif.org/ver10/schema" xmlns:tns1="http://www.onvif.org/ver10/topics"><env:Body>${body}</env:Body></env:Envelope>`;

const notification = (
  topic: string,
  op: string,
  source: string,
  data: string,
  utc = '2026-12-04T19:58:00Z',
) => `
<wsnt:NotificationMessage>
  <wsnt:Topic Dialect="http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet">${topic}</wsnt:Topic>
  <wsnt:Message><tt:Message UtcTime="${utc}" PropertyOperation="${op}">
    <tt:Source>${source}</tt:Source><tt:Key/><tt:Data>${data}</tt:Data>
  </tt:Message></wsnt:Message>
</wsnt:NotificationMessage>`;

describe('CreatePullPointSubscription', () => {
  it('builds a bounded request and reads the pull point address', () => {
    expect(createPullPointSubscriptionBody(1)).toContain('PT10S');
    const r = parseCreatePullPointSubscription(
      env(
        '<tev:CreatePullPointSubscriptionResponse><tev:SubscriptionReference><wsa5:Address>http://10.0.0.5/onvif/events/pullpoint?id=7&amp;x=1</wsa5:Address></tev:SubscriptionReference><wsnt:CurrentTime>2026-12-04T20:00:00Z</wsnt:CurrentTime><wsnt:TerminationTime>2026-12-04T20:01:00Z</wsnt:TerminationTime></tev:CreatePullPointSubscriptionResponse>',
      ),
    );
    expect(r).toEqual({
      address: 'http://10.0.0.5/onvif/events/pullpoint?id=7&x=1',
      terminationTimeMs: Date.parse('2026-12-04T20:01:00Z'),
    });
    expect(
      parseCreatePullPointSubscription(env('<tev:CreatePullPointSubscriptionResponse/>')),
    ).toBeUndefined();
  });
});

describe('classifyTopic', () => {
  it.each([
    ['tns1:Device/HardwareFailure/StorageFailure', 'storage_failure'],
    ['tns1:Device/tnsvendor:HardwareFailure/StorageFailure', 'storage_failure'],
    ['tns1:VideoSource/GlobalSceneChange/ImagingService', 'tamper'],
    ['tns1:VideoSource/GlobalSceneChange/AnalyticsService', 'tamper'],
    ['tns1:VideoSource/MotionAlarm', 'other'],
    ['tns1:Device/HardwareFailure/FanFailure', 'other'],
  ])('%s is %s', (topic, kind) => {
    expect(classifyTopic(topic)).toBe(kind);
  });
});

describe('parsePullMessages', () => {
  it('reads storage failures and tamper with their state, source and device time', () => {
    const xml =
      env(`<tev:PullMessagesResponse><tev:CurrentTime>2026-12-04T20:00:00Z</tev:CurrentTime><tev:TerminationTime>2026-12-04T20:01:00Z</tev:TerminationTime>
${notification('tns1:Device/HardwareFailure/StorageFailure', 'Changed', '<tt:SimpleItem Name="Token" Value="HDD1"/>', '<tt:SimpleItem Name="Failed" Value="true"/>')}
${notification('tns1:VideoSource/GlobalSceneChange/ImagingService', 'Initialized', "<tt:SimpleItem Name='Source' Value='VS_1'/>", '<tt:SimpleItem Name="State" Value="false"/>', '2026-12-04T19:00:00')}
${notification('tns1:VideoSource/MotionAlarm', 'Changed', '<tt:SimpleItem Name="Source" Value="VS_1"/>', '<tt:SimpleItem Name="State" Value="true"/>')}
</tev:PullMessagesResponse>`);
    const r = parsePullMessages(xml);
    expect(r.currentTimeMs).toBe(Date.parse('2026-12-04T20:00:00Z'));
    expect(r.terminationTimeMs).toBe(Date.parse('2026-12-04T20:01:00Z'));
    expect(r.events).toEqual([
      {
        topic: 'tns1:Device/HardwareFailure/StorageFailure',
        kind: 'storage_failure',
        utcTimeMs: Date.parse('2026-12-04T19:58:00Z'),
        propertyOperation: 'Changed',
        source: { Token: 'HDD1' },
        data: { Failed: 'true' },
        active: true,
      },
      {
        topic: 'tns1:VideoSource/GlobalSceneChange/ImagingService',
        kind: 'tamper',
        // Without a zone the device time is not evidence.
        utcTimeMs: undefined,
        propertyOperation: 'Initialized',
        source: { Source: 'VS_1' },
        data: { State: 'false' },
        active: false,
      },
      {
        topic: 'tns1:VideoSource/MotionAlarm',
        kind: 'other',
        utcTimeMs: Date.parse('2026-12-04T19:58:00Z'),
        propertyOperation: 'Changed',
        source: { Source: 'VS_1' },
        data: { State: 'true' },
        active: undefined,
      },
    ]);
  });
  it('gives no events for an empty pull', () => {
    expect(parsePullMessages(env('<tev:PullMessagesResponse/>')).events).toEqual([]);
  });
});
