import { describe, expect, it } from 'vitest';
import {
  expandRange,
  parseAddress,
  probeTargets,
  TargetError,
} from '../../../../edge-agent/src/discovery/targets.ts';

describe('probe ranges', () => {
  it.each([
    ['10.1.2.5-8', ['10.1.2.5', '10.1.2.6', '10.1.2.7', '10.1.2.8']],
    ['10.1.2.254-10.1.3.1', ['10.1.2.254', '10.1.2.255', '10.1.3.0', '10.1.3.1']],
    ['192.168.7.9/30', ['192.168.7.9', '192.168.7.10']],
    ['192.168.7.9/32', ['192.168.7.9']],
    ['192.168.7.0/31', ['192.168.7.0', '192.168.7.1']],
  ])('%s', (range, addresses) => {
    expect(expandRange(range)).toEqual(addresses);
  });

  it('a /24 is its 254 hosts', () => {
    const all = expandRange('172.16.9.77/24');
    expect(all).toHaveLength(254);
    expect([all[0], all.at(-1)]).toEqual(['172.16.9.1', '172.16.9.254']);
  });

  it('a 256-address range is allowed, 257 is not', () => {
    expect(expandRange('10.0.0.0-10.0.0.255')).toHaveLength(256);
    expect(() => expandRange('10.0.0.0-10.0.1.0')).toThrow(/holds 257 addresses; at most 256/);
  });

  it.each([
    ['10.0.0.0/23', /holds 512 addresses; at most 256/],
    ['10.0.0.0/8', /holds 16777216 addresses/],
    ['10.0.0.9-3', /ends before it starts/],
    ['10.0.0.300-301', /not IPv4/],
    ['10.0.0.0/33', /not an IPv4 CIDR/],
    ['camera-net', /expected a\.b\.c\.d-e/],
  ])('refuses %s', (range, message) => {
    expect(() => expandRange(range)).toThrow(TargetError);
    expect(() => expandRange(range)).toThrow(message);
  });

  it('bounds all targets together, counting each address once', () => {
    expect(probeTargets(['10.0.0.5', '10.0.0.5:3702'], ['10.0.0.1-10'])).toHaveLength(10);
    expect(() => probeTargets([], ['10.0.0.0/24', '10.0.1.0/24'])).toThrow(/508 addresses to probe in all/);
  });
});

describe('probe addresses', () => {
  it.each([
    ['10.0.0.5', { host: '10.0.0.5', port: 3702 }],
    ['10.0.0.5:13702', { host: '10.0.0.5', port: 13702 }],
    ['camera-7.site.lan', { host: 'camera-7.site.lan', port: 3702 }],
    ['[fe80::1]:3702', { host: 'fe80::1', port: 3702 }],
  ])('%s', (text, target) => {
    expect(parseAddress(text)).toEqual(target);
  });

  it.each(['10.0.0.5:0', '10.0.0.5:70000', ':3702'])('refuses %s', (text) => {
    expect(() => parseAddress(text)).toThrow(TargetError);
  });
});
