// An uplink in a process of its own, so a test can SIGKILL it (the broker then publishes the
// Last Will) or SIGTERM it (a clean stop). Runs the built code: `npm run build` first.
// usage: node uplink-child.mjs MQTT_URL SITE_ID BOOT_ID
import { systemClock } from '../../dist/core/clock.js';
import { createLogger } from '../../dist/core/log.js';
import { mqttSchema } from '../../dist/config/mqtt.js';
import { Uplink } from '../../dist/uplink/uplink.js';

const [url, siteId, bootId] = process.argv.slice(2);
// Nothing to forward: this process is about availability, not events.
const emptyOutbox = { pending: () => [], markDelivered() {}, pendingCount: () => 0, onAppend: () => () => {} };
const config = mqttSchema.parse({ url, backoff: { initialMs: 100, maxMs: 1000 } });
const uplink = new Uplink(
  { clock: systemClock, log: createLogger('warn') },
  { siteId, bootId, outbox: emptyOutbox, config },
);
uplink.connection.onConnectionChange((connected) =>
  process.stdout.write(`${connected ? 'connected' : 'disconnected'}\n`),
);
process.once('SIGTERM', () => {
  uplink.stop().then(
    () => process.exit(0),
    (err) => {
      process.stderr.write(`${err?.stack ?? err}\n`);
      process.exit(1);
    },
  );
});
await uplink.start();
