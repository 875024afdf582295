import { describe, expect, it } from 'vitest';
import type { Logger } from '../../src/core/log.js';
import { generateSigningKeyPair } from '../../src/core/signing-key.js';
import { gatePublicKeyFromText } from '../../src/evidence/gate-key.js';
import { GateKeyPublisher } from '../../src/uplink/gate-key-publisher.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { ScriptedPublisher } from '../helpers/scripted-publisher.js';

const KEY = gatePublicKeyFromText(generateSigningKeyPair().publicKeyText);

function setup() {
  const errors: string[] = [];
  const log: Logger = {
    debug() {},
    info() {},
    warn() {},
    error: (_o, msg) => errors.push(msg ?? ''),
    child: () => log,
  };
  const publisher = new ScriptedPublisher();
  const keys = new GateKeyPublisher({ clock: new FakeClock(), log }, publisher, { prefix: 'p', siteId: 's', key: KEY });
  return { errors, publisher, keys };
}

/** An MQTT 5 refusal as mqtt.js reports it. */
const refusal = () => Object.assign(new Error('Publish error: Not authorized'), { code: 135 });

describe('GateKeyPublisher', () => {
  it('publishes the key, retained at QoS 1, on every connect', async () => {
    const { publisher, keys } = setup();
    await keys.start();
    publisher.setConnected(true);
    publisher.sent[0]!.done(null);
    publisher.setConnected(false);
    publisher.setConnected(true);
    expect(publisher.sent.map((s) => s.message)).toEqual([
      expect.objectContaining({ topic: 'p/s/key', qos: 1, retain: true }),
      expect.objectContaining({ topic: 'p/s/key' }),
    ]);
    expect(JSON.parse(publisher.sent[0]!.message.payload)).toMatchObject({
      keyId: KEY.keyId,
      publicKey: KEY.publicKeyText,
    });
    expect(keys.stats()).toEqual({ published: 1, refused: false });
    await keys.stop();
    expect(publisher.listenerCount()).toBe(0);
  });

  it('stops after the broker refuses it, saying so once', async () => {
    const { errors, publisher, keys } = setup();
    await keys.start();
    publisher.setConnected(true);
    publisher.sent[0]!.done(refusal());
    publisher.setConnected(false);
    publisher.setConnected(true);
    expect(publisher.sent).toHaveLength(1);
    expect(keys.stats()).toEqual({ published: 0, refused: true });
    expect(errors).toEqual([expect.stringContaining("refused the gate's key")]);
  });

  it('stops after two connections in a row were lost with the key unacknowledged, not after one', async () => {
    const { errors, publisher, keys } = setup();
    await keys.start();
    publisher.setConnected(true);
    publisher.setConnected(false); // lost before its PUBACK
    publisher.setConnected(true);
    publisher.sent[1]!.done(null); // acknowledged: the count starts again
    publisher.setConnected(false);
    publisher.setConnected(true);
    publisher.setConnected(false);
    publisher.setConnected(true);
    expect(keys.stats().refused).toBe(false);
    publisher.setConnected(false);
    publisher.setConnected(true);
    expect(publisher.sent).toHaveLength(4);
    expect(keys.stats()).toEqual({ published: 1, refused: true });
    expect(errors).toHaveLength(1);
  });
});
