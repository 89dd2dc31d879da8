import { expect } from 'vitest';
import { describeFaultUnderLoad } from './helpers/fault-under-load.ts';
import { sleep } from './helpers/fixtures.ts';

// Fault: the hub process is killed outright (SIGKILL) in the middle of a steady load and started
// again with the same client id and database. The broker (persistence off) keeps running and
// holds the hub's persistent session; this test kills what the broker talks to, so it brings its
// own broker and ignores MQTT_URL.

describeFaultUnderLoad({
  name: 'hub-kill',
  title: 'reliability: kill -9 the hub mid-load',
  testTitle: 'stores every acknowledged message exactly once after SIGKILL and restart',
  persistence: false,
  fault: async ({ hub, load }) => {
    expect(await hub.kill('SIGKILL')).toBeNull();
    // The publisher keeps going while the hub is down; the broker queues for the hub's session.
    await sleep(2_000);
    await load.resend(200);
    await hub.start();
  },
});
