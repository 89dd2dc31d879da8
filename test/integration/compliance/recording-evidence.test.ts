import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RuleResult } from '../../../src/compliance/result.ts';
import { eventually } from '../../support/eventually.ts';
import { type HubHarness, startHub } from '../../support/hub-harness.ts';
import { uniqueId } from '../../support/services.ts';
import { SiteHarness } from '../../support/site-harness.ts';

// Retention and recorder evidence over the real path: simulated devices answering ONVIF Profile G
// recording search and PullPoint events, the agent reading them, the broker, ingest, the database and the
// shipped police-evidential code's retention and storage rules. A recorder (NVR) holds two cameras' channels
// (40 and 14 days); a third camera records to its own card (35 days); a fourth has no recording configured.

describe('retention and recorder evidence', () => {
  let h: HubHarness;
  let site: SiteHarness;
  let token: string;
  const siteId = uniqueId('rec');
  const council = uniqueId('council');
  const nvr = `${siteId}-nvr`;
  const ch1 = `${siteId}-ch1`;
  const ch2 = `${siteId}-ch2`;
  const card = `${siteId}-card`;
  const none = `${siteId}-none`;
  const cams = [ch1, ch2, card, none];

  const rule = async (cameraId: string, ruleId: string): Promise<RuleResult | undefined> => {
    const r = await fetch(`${h.hub.url}/api/compliance?scope=camera&id=${cameraId}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    if (r.status !== 200) return undefined;
    const body = (await r.json()) as { cameras: { result: { results: RuleResult[] } }[] };
    return body.cameras[0]?.result.results.find((x) => x.ruleId === ruleId);
  };
  const ruleWith = (cameraId: string, ruleId: string, status: string, timeoutMs = 30_000) =>
    eventually(
      `${cameraId} ${ruleId} ${status}`,
      async () => {
        const result = await rule(cameraId, ruleId);
        return result?.status === status ? result : undefined;
      },
      timeoutMs,
    );

  beforeAll(async () => {
    // The shipped codes, evaluated every second so a reading shows in the rule within the waits.
    h = await startHub({
      CCTV_HUB__compliance__defaultCode: 'police-evidential',
      CCTV_HUB__compliance__evaluateIntervalMs: '1000',
    });
    await h.createUser('op', 'operator');
    token = await h.login('op');
    await h.registerSite(siteId, council, { cameraIds: cams });
    site = new SiteHarness({
      siteId,
      councilId: council,
      mqttUrl: h.hub.mqttUrl,
      cameraIds: cams,
      pollIntervalMs: 2_000,
      probeIntervalMs: 30_000,
      recording: { intervalMs: 5_000 },
      recorders: [
        {
          id: nvr,
          recordings: [
            { token: 'REC_CH1', sourceName: 'Channel 1', retentionDays: 40.5, sourceToken: 'VS_1' },
            { token: 'REC_CH2', sourceName: 'Channel 2', retentionDays: 14.2, sourceToken: 'VS_2' },
          ],
        },
      ],
      cameraRecording: (id) => {
        if (id === ch1)
          return { recording: { recorder: nvr, recordingToken: 'REC_CH1', sourceToken: 'VS_1' } };
        if (id === ch2)
          return { recording: { recorder: nvr, recordingToken: 'REC_CH2', sourceToken: 'VS_2' } };
        if (id === card) return { recordings: [{ token: 'REC_SD', retentionDays: 35.9 }], recording: {} };
        return undefined;
      },
    });
    await site.start();
  }, 120_000);

  afterAll(async () => {
    await site?.stop();
    await h?.stop();
  });

  it('judges each camera on its own recording: 40 and 35 days pass, 14 fail, none configured is not evaluable', async () => {
    const passing = await ruleWith(ch1, 'retention', 'pass');
    expect(passing.evidence.values.retentionDays).toBe(40);
    expect(passing.reason).toMatch(/^40 days of recordings kept/);
    const failing = await ruleWith(ch2, 'retention', 'fail');
    expect(failing.evidence.values.retentionDays).toBe(14);
    expect(failing.reason).toBe('14 days of recordings kept, minimum 31');
    const own = await ruleWith(card, 'retention', 'pass');
    expect(own.evidence.values.retentionDays).toBe(35);
    const missing = await rule(none, 'retention');
    expect(missing?.status).toBe('not_evaluable');
    expect(missing?.reason).toBe('no retention reading');
    // Stored per camera, with where it came from; never another channel's figure.
    const rows = await h.hub.database.pool.query<{ camera_id: string; days: number; source: string }>(
      `SELECT DISTINCT camera_id, days_retained AS days, source FROM retention_readings
       WHERE camera_id = ANY($1::text[]) ORDER BY camera_id`,
      [cams],
    );
    expect(rows.rows).toEqual([
      { camera_id: card, days: 35, source: 'camera' },
      { camera_id: ch1, days: 40, source: 'recorder' },
      { camera_id: ch2, days: 14, source: 'recorder' },
    ]);
  }, 60_000);

  it('a recording cut short fails at the next reading, and passes again once the device holds enough', async () => {
    await site.simulator.setFault(card, { kind: 'short-retention', days: 9 });
    const failing = await ruleWith(card, 'retention', 'fail');
    expect(failing.reason).toBe('9 days of recordings kept, minimum 31');
    // The recorder's other channel is untouched.
    expect((await rule(ch1, 'retention'))?.status).toBe('pass');
    await site.simulator.clearFault(card, 'short-retention');
    await ruleWith(card, 'retention', 'pass');
  }, 60_000);

  it("a recorder's storage failure reaches every camera it records, and clears", async () => {
    await ruleWith(ch1, 'storage', 'pass');
    await site.simulator.setFault(nvr, { kind: 'storage-failure' });
    await ruleWith(ch1, 'storage', 'fail');
    await ruleWith(ch2, 'storage', 'fail');
    // A camera recording to its own card is not on that recorder.
    expect((await rule(card, 'storage'))?.status).toBe('pass');
    await site.simulator.clearFault(nvr, 'storage-failure');
    await ruleWith(ch1, 'storage', 'pass');
    await ruleWith(ch2, 'storage', 'pass');
  }, 60_000);

  it('a tamper alarm on a recorder channel goes to that channel camera only', async () => {
    await site.simulator.setFault(nvr, { kind: 'tamper', sourceToken: 'VS_2' });
    const events = () =>
      h.hub.database.pool.query<{ camera_id: string; active: boolean }>(
        `SELECT camera_id, active FROM camera_events WHERE type = 'tamper' AND camera_id = ANY($1::text[])
         ORDER BY observed_at`,
        [cams],
      );
    await eventually(
      'tamper event stored',
      async () => ((await events()).rows.length > 0 ? true : undefined),
      30_000,
    );
    await site.simulator.clearFault(nvr, 'tamper');
    await eventually(
      'tamper cleared',
      async () => ((await events()).rows.some((r) => !r.active) ? true : undefined),
      30_000,
    );
    expect((await events()).rows).toEqual([
      { camera_id: ch2, active: true },
      { camera_id: ch2, active: false },
    ]);
  }, 60_000);
});
