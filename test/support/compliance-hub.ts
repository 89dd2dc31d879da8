import { type HubHarness, startHub } from './hub-harness.ts';

/**
 * A hub judging with one of the test packs in test/fixtures/certification-sim (evaluated every
 * second, so a test sees a rule change within its waits), with an operator signed in.
 */
export async function startComplianceHub(code: string): Promise<{ h: HubHarness; token: string }> {
  const h = await startHub({
    CCTV_HUB__compliance__packsDir: 'test/fixtures/certification-sim',
    CCTV_HUB__compliance__defaultCode: code,
    CCTV_HUB__compliance__evaluateIntervalMs: '1000',
  });
  await h.createUser('op', 'operator');
  return { h, token: await h.login('op') };
}
