import pino from 'pino';
import { describe, expect, it } from 'vitest';
import {
  BrokerLimits,
  type BrokerLimitsConfig,
  BrokerLimitsError,
  checkBrokerLimits,
} from '../../../hub-server/src/broker/broker-limits.ts';

const config: BrokerLimitsConfig = {
  maxPacketBytes: 262_144,
  retainedMessageBytes: 1_000,
  retainedMessagesPerSite: 2,
  retainedBytesPerSite: 1_500,
};
const silent = pino({ level: 'silent' });
const state = (site: string) => `cctv/v1/site/${site}/state`;
const inventory = (site: string) => `cctv/v1/site/${site}/inventory`;

describe('BrokerLimits.retain', () => {
  // Each step runs on the same limits, in order: what a site already holds decides the next one.
  it.each<[string, string, number, string | null]>([
    ['a state', state('a'), 400, null],
    ['the inventory', inventory('a'), 900, null],
    ['a newer state within the byte total', state('a'), 600, null],
    ['a state that would pass the byte total', state('a'), 700, 'retainedBytes'],
    [
      'a retained health sample (observations are never retained)',
      'cctv/v1/site/a/camera/c1/health',
      10,
      'retainedTopic',
    ],
    ['a topic the hub does not know', 'cctv/v1/site/a/other', 10, 'retainedTopic'],
    ['a topic outside the site tree', 'elsewhere/x', 10, 'retainedTopic'],
    ['an inventory larger than the hub accepts', inventory('a'), 1_001, 'retainedTooLarge'],
    ['an empty payload, which deletes the retained state', state('a'), 0, null],
    ['another site, with its own allowance', inventory('b'), 1_000, null],
  ])('%s', (_name, topic, bytes, refusal) => {
    expect(shared.retain('site-client', topic, bytes)).toBe(refusal);
  });
  const shared = new BrokerLimits(config, silent);

  it('counts what each site holds and what was refused, per site and in total', () => {
    const stats = shared.stats;
    expect(stats.sites.a).toEqual({
      refused: {
        packetTooLarge: 0,
        retainedTopic: 2,
        retainedTooLarge: 1,
        retainedCount: 0,
        retainedBytes: 1,
      },
      retained: { messages: 1, bytes: 900 },
    });
    expect(stats.sites.b?.retained).toEqual({ messages: 1, bytes: 1_000 });
    expect(stats.refused).toMatchObject({ retainedTopic: 3, retainedTooLarge: 1, retainedBytes: 1 });
  });

  it('refuses a retained message beyond the count, but lets one replace another', () => {
    const limits = new BrokerLimits({ ...config, retainedMessagesPerSite: 1 }, silent);
    expect(limits.retain('c', state('a'), 10)).toBeNull();
    expect(limits.retain('c', inventory('a'), 10)).toBe('retainedCount');
    expect(limits.retain('c', state('a'), 20)).toBeNull();
    expect(limits.retain('c', state('a'), 0)).toBeNull();
    expect(limits.retain('c', inventory('a'), 10)).toBeNull();
    expect(limits.stats.sites.a?.refused.retainedCount).toBe(1);
  });

  it('counts an oversized packet for its site, or only in the total before authentication', () => {
    const limits = new BrokerLimits(config, silent);
    limits.packetTooLarge('a', 'site-a', 300_000);
    limits.packetTooLarge(null, null, 300_000);
    expect(limits.stats.refused.packetTooLarge).toBe(2);
    expect(limits.stats.sites.a?.refused.packetTooLarge).toBe(1);
  });

  it('logs a refusal with site, client, topic and size, never the payload', () => {
    const lines: string[] = [];
    const log = pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) });
    new BrokerLimits(config, log).retain('site-a.1', 'cctv/v1/site/a/camera/c1/health', 10);
    expect(JSON.parse(lines[0] as string)).toMatchObject({
      reason: 'retainedTopic',
      siteId: 'a',
      clientId: 'site-a.1',
      topic: 'cctv/v1/site/a/camera/c1/health',
      bytes: 10,
    });
  });
});

describe('checkBrokerLimits', () => {
  it.each<[string, Partial<BrokerLimitsConfig>, RegExp]>([
    [
      'a packet limit that would refuse messages the hub should dead-letter',
      { maxPacketBytes: 1_500 },
      /'mqtt.maxPacketBytes' \(1500\) must be at least 'mqtt.maxPayloadBytes' \+ 1024 \(2024\)/,
    ],
    [
      'a site byte total smaller than one message',
      { retainedBytesPerSite: 999 },
      /'mqtt.retainedBytesPerSite' \(999\) must be at least 'mqtt.maxPayloadBytes' \(1000\)/,
    ],
  ])('refuses %s', (_name, change, message) => {
    expect(() => checkBrokerLimits({ ...config, ...change })).toThrow(BrokerLimitsError);
    expect(() => checkBrokerLimits({ ...config, ...change })).toThrow(message);
  });

  it('accepts the defaults', () => {
    expect(() =>
      checkBrokerLimits({
        maxPacketBytes: 262_144,
        retainedMessageBytes: 65_536,
        retainedMessagesPerSite: 2,
        retainedBytesPerSite: 131_072,
      }),
    ).not.toThrow();
  });
});
