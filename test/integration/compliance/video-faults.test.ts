import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RuleResult } from '../../../src/compliance/result.ts';
import type { CameraDetail } from '../../../src/schemas/api.ts';
import { VIDEO_FAULTS } from '../../../src/schemas/video-check.ts';
import type { SimFault } from '../../simulators/camera/faults.ts';
import { startComplianceHub } from '../../support/compliance-hub.ts';
import { eventually } from '../../support/eventually.ts';
import type { HubHarness } from '../../support/hub-harness.ts';
import { uniqueId } from '../../support/services.ts';
import { SiteHarness } from '../../support/site-harness.ts';

// Video faults from the stream, over the real path: simulated cameras, the agent's ffmpeg analysis,
// the broker, ingest, the database, the camera detail and the certification rule. One camera per
// fault, all set at once after a healthy baseline (with the reference frames taken), so one hub and one
// simulator serve the whole file.

const VIDEO_REASONS = [
  'video_frozen',
  'video_black',
  'video_blurred',
  'scene_changed',
  'snapshot_stale',
  'snapshot_mismatch',
];

const CASES: { key: string; fault: SimFault; reason: string; rule: string }[] = [
  { key: 'frozen', fault: { kind: 'frozen-video' }, reason: 'video_frozen', rule: 'frozen for' },
  { key: 'black', fault: { kind: 'black-video' }, reason: 'video_black', rule: 'black for' },
  { key: 'blurred', fault: { kind: 'blurred-video' }, reason: 'video_blurred', rule: 'blurred for' },
  { key: 'turned', fault: { kind: 'turned-away' }, reason: 'scene_changed', rule: 'scene changed for' },
  { key: 'stale', fault: { kind: 'stale-snapshot' }, reason: 'snapshot_stale', rule: 'snapshot stale for' },
  {
    key: 'unrelated',
    fault: { kind: 'unrelated-snapshot' },
    reason: 'snapshot_mismatch',
    rule: 'snapshot mismatch for',
  },
];

describe('video faults from the stream', () => {
  let h: HubHarness;
  let site: SiteHarness;
  let token: string;
  const referenceDir = mkdtempSync(join(tmpdir(), 'cctv-reference-'));
  const siteId = uniqueId('video');
  const council = uniqueId('council');
  const camOf = (key: string) => `${siteId}-${key}`;
  const cams = ['healthy', ...CASES.map((c) => c.key)].map(camOf);
  /** Video reason codes each camera ever showed, from every detail read. */
  const seen = new Map<string, Set<string>>();
  /** The video measures with which each camera first showed each code, to say why when one is unexpected. */
  const firstSeen = new Map<string, string[]>();

  const detail = async (cameraId: string): Promise<CameraDetail | undefined> => {
    const r = await fetch(`${h.hub.url}/api/cameras/${cameraId}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    if (r.status === 404) return undefined;
    if (r.status !== 200) throw new Error(`camera API answered ${r.status}`);
    const body = (await r.json()) as CameraDetail;
    const codes = seen.get(cameraId) ?? new Set<string>();
    for (const reason of body.reasons) {
      if (!VIDEO_REASONS.includes(reason.code) || codes.has(reason.code)) continue;
      codes.add(reason.code);
      const log = firstSeen.get(cameraId) ?? [];
      log.push(`${reason.code} with ${JSON.stringify(body.health?.video ?? null)}`);
      firstSeen.set(cameraId, log);
    }
    seen.set(cameraId, codes);
    return body;
  };
  const videoRule = async (cameraId: string): Promise<RuleResult | undefined> => {
    const r = await fetch(`${h.hub.url}/api/compliance?scope=camera&id=${cameraId}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    if (r.status !== 200) return undefined;
    const body = (await r.json()) as { cameras: { result: { results: RuleResult[] } }[] };
    return body.cameras[0]?.result.results.find((x) => x.ruleId === 'video');
  };

  beforeAll(async () => {
    ({ h, token } = await startComplianceHub('simulator-video'));
    await h.registerSite(siteId, council, { cameraIds: cams });
    site = new SiteHarness({
      siteId,
      councilId: council,
      mqttUrl: h.hub.mqttUrl,
      cameraIds: cams,
      probeIntervalMs: 3_000,
      // The shortest period the agent allows; each analysis decodes 3 s at 2 fps. The reference frame
      // is taken from the healthy stream at the first analysis, as at commissioning.
      video: {
        enabled: true,
        intervalMs: 10_000,
        sampleMs: 3_000,
        timeoutMs: 20_000,
        referenceDir,
        captureMissingReference: true,
      },
    });
    await site.start();
    // Baseline: every camera analysed against its reference, nothing found, the rule passing.
    for (const cam of cams) {
      await eventually(
        `${cam} analysed against its reference`,
        async () => {
          const d = await detail(cam);
          const v = d?.health?.video;
          return v && v.sceneSsim !== null && v.snapshotSsim !== null ? v : undefined;
        },
        90_000,
      );
      await eventually(
        `${cam} video rule passing`,
        async () => {
          const rule = await videoRule(cam);
          return rule?.status === 'pass' ? rule : undefined;
        },
        30_000,
      );
    }
    for (const c of CASES) await site.simulator.setFault(camOf(c.key), c.fault);
  }, 240_000);

  afterAll(async () => {
    await site?.stop();
    await h?.stop();
    rmSync(referenceDir, { recursive: true, force: true });
  });

  it.each(CASES)(
    '$fault.kind: the camera shows $reason and the video rule fails',
    async ({ key, reason, rule }) => {
      const cam = camOf(key);
      const d = await eventually(
        `${cam} reason ${reason}`,
        async () => {
          const x = await detail(cam);
          return x?.reasons.some((r) => r.code === reason) ? x : undefined;
        },
        90_000,
      );
      expect(d.state).toBe('degraded');
      // One fault, one reason: a black or frozen stream does not also claim blur, a new view or a
      // snapshot mismatch.
      expect(d.reasons.filter((r) => VIDEO_REASONS.includes(r.code)).map((r) => r.code)).toEqual([reason]);
      // Nor did it ever on the way, e.g. a frozen camera's frozen snapshot counted as stale before the
      // next analysis saw the stream frozen.
      expect([...(seen.get(cam) ?? [])], (firstSeen.get(cam) ?? []).join('; ')).toEqual([reason]);
      expect(d.health?.video?.blurMethod).toMatch(/^(blurdetect|edgedetect)$/);
      const failed = await eventually(
        `${cam} video rule failing`,
        async () => {
          const r = await videoRule(cam);
          return r?.status === 'fail' ? r : undefined;
        },
        30_000,
      );
      expect(failed.reason).toContain(rule);
    },
    150_000,
  );

  it('a healthy camera beside them never shows a video fault', async () => {
    await detail(camOf('healthy'));
    expect(
      [...(seen.get(camOf('healthy')) ?? [])],
      (firstSeen.get(camOf('healthy')) ?? []).join('; '),
    ).toEqual([]);
    expect((await videoRule(camOf('healthy')))?.status).toBe('pass');
  });

  it('covers every video fault the agent reports', () => {
    expect(VIDEO_FAULTS.length).toBe(CASES.length);
  });
});
