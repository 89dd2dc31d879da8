import { describeFaultUnderLoad } from './helpers/fault-under-load.ts';
import { sleep, until } from './helpers/fixtures.ts';

// Fault: the broker (a private Mosquitto: this test stops and starts it, so it brings its own and
// ignores MQTT_URL) is stopped in the middle of a steady load and started again on the same port.
// Persistence is on, as on a production broker, so the hub's persistent session and the messages
// queued for it survive the restart. The publisher reconnects and sends again what was not
// acknowledged (QoS 1); the hub reconnects.

describeFaultUnderLoad({
  name: 'broker-restart',
  title: 'reliability: stop and restart Mosquitto mid-load',
  testTitle: 'stores every acknowledged message exactly once after the broker restarts',
  persistence: true,
  fault: async ({ hub, mosquitto, load }) => {
    await mosquitto.stop('SIGTERM');
    // The publisher keeps observing; mqtt.js holds what it cannot send until it reconnects.
    await sleep(3_000);
    await until(async () => (await hub.healthz()).body.checks?.mqtt === false, 10_000, 'hub not ready');
    await mosquitto.restart();
    await until(async () => (await hub.healthz()).status === 200, 30_000, 'hub ready again');
    await load.resend(200);
  },
});
