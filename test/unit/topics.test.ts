import { describe, expect, it } from 'vitest';
import { allSitesFilter, buildTopic, parseTopic, siteFilter, TOPICS } from '../../src/topics.ts';

describe('topic registry', () => {
  it('builds and parses every topic kind round trip', () => {
    for (const kind of Object.keys(TOPICS) as (keyof typeof TOPICS)[]) {
      const topic = buildTopic(kind, { siteId: 'penzance', cameraId: 'penzance-01', sourceId: 'drone-1' });
      const parsed = parseTopic(topic);
      expect(parsed.kind).toBe(kind);
      expect(parsed.siteId).toBe('penzance');
      const pattern = TOPICS[kind].pattern as readonly string[];
      expect(parsed.cameraId).toBe(pattern.includes('{cameraId}') ? 'penzance-01' : null);
      expect(parsed.sourceId).toBe(pattern.includes('{sourceId}') ? 'drone-1' : null);
    }
  });

  it('builds the documented layout', () => {
    expect(buildTopic('health', { siteId: 'hayle', cameraId: 'hayle-03' })).toBe(
      'cctv/v1/site/hayle/camera/hayle-03/health',
    );
    expect(buildTopic('siteState', { siteId: 'hayle' })).toBe('cctv/v1/site/hayle/state');
    expect(buildTopic('telemetry', { siteId: 'air-ops', sourceId: 'drone-1' })).toBe(
      'cctv/v1/site/air-ops/source/drone-1/telemetry',
    );
    expect(buildTopic('gap', { siteId: 'hayle', cameraId: 'hayle-03' })).toBe(
      'cctv/v1/site/hayle/camera/hayle-03/gap',
    );
    expect(allSitesFilter()).toBe('cctv/v1/site/+/#');
    expect(siteFilter('hayle')).toBe('cctv/v1/site/hayle/#');
  });

  it('retains state and inventory, never observations or events', () => {
    expect(TOPICS.siteState.retain).toBe(true);
    expect(TOPICS.inventory.retain).toBe(true);
    expect(TOPICS.health.retain).toBe(false);
    expect(TOPICS.stream.retain).toBe(false);
    expect(TOPICS.event.retain).toBe(false);
    expect(TOPICS.gap.retain).toBe(false);
  });

  it.each([
    ['cctv/v2/site/a/state', /not under cctv\/v1\/site/],
    ['cctv/v1/site/A/state', /siteId "A" is not a valid id/],
    ['cctv/v1/site/a/camera/+/health', /unknown topic/],
    ['cctv/v1/site/a/camera/b/reboot', /unknown topic/],
    ['cctv/v1/site/a', /not under/],
    ['cctv/v1/site/a/state/extra', /unknown topic/],
  ])('rejects %s', (topic, message) => {
    expect(() => parseTopic(topic)).toThrow(message);
  });

  it('refuses ids that would break topic structure', () => {
    expect(() => buildTopic('health', { siteId: 'a/b', cameraId: 'c' })).toThrow(/siteId/);
    expect(() => buildTopic('health', { siteId: 'a', cameraId: '#' })).toThrow(/cameraId/);
    expect(() => buildTopic('health', { siteId: 'a' })).toThrow(/cameraId/);
  });
});
