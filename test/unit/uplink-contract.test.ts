import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../src/store/types.js';
import { generateSigningKeyPair } from '../../src/core/signing-key.js';
import { gatePublicKeyFromText } from '../../src/evidence/gate-key.js';
import {
  channels,
  gateKeyMessage,
  gateKeySchema,
  parseGateKeyMessage,
  parseWireEvent,
  statusSchema,
  toWireEvent,
  wireEventSchema,
} from '../../src/uplink/contract.js';

const stored: StoredEvent = {
  eventId: '01JABCDEFGHJKMNPQRSTVWXYZ0',
  bootId: 'boot-a',
  seq: 42,
  siteId: 'mlt-kth',
  laneId: 'entry-1',
  type: 'plate.read',
  ts: 1_767_225_600_000,
  monoAt: 1_000.4,
  payload: { plate: '24A12345' },
  hasCrop: true,
  chain: null,
};

describe('toWireEvent', () => {
  it('drops monoAt and hasCrop and adds the monotonic age within the same boot', () => {
    const wire = toWireEvent(stored, { bootId: 'boot-a', monotonicNow: 3_500.6 });
    expect(wire).toEqual({
      eventId: stored.eventId,
      bootId: 'boot-a',
      seq: 42,
      siteId: 'mlt-kth',
      laneId: 'entry-1',
      type: 'plate.read',
      ts: stored.ts,
      ageMs: 2500,
      payload: { plate: '24A12345' },
      chain: null,
    });
    expect(wireEventSchema.parse(wire)).toEqual(wire);
  });

  it('carries the chain fields as stored', () => {
    const chain = {
      v: 1 as const,
      payloadHash: 'a'.repeat(64),
      cropHash: null,
      prevHash: 'b'.repeat(64),
      chainHash: 'c'.repeat(64),
    };
    const wire = toWireEvent({ ...stored, chain }, { bootId: 'boot-a', monotonicNow: 0 });
    expect(wire.chain).toEqual(chain);
    expect(wireEventSchema.parse(wire)).toEqual(wire);
    expect(wireEventSchema.safeParse({ ...wire, chain: { ...chain, chainHash: 'not a hash' } }).success).toBe(false);
  });

  it('has no age for an event of an earlier boot (its monotonic time means nothing now)', () => {
    expect(toWireEvent(stored, { bootId: 'boot-b', monotonicNow: 5 }).ageMs).toBeNull();
  });
});

describe('wire event schema', () => {
  const valid = toWireEvent(stored, { bootId: 'boot-a', monotonicNow: 2000 });

  it('accepts a valid event and keeps fields a later version adds', () => {
    const result = parseWireEvent(JSON.stringify({ ...valid, plateImage: 'later' }));
    expect(result).toEqual({ event: { ...valid, plateImage: 'later' } });
  });

  it.each([
    ['a bad eventId', { eventId: 'not-a-ulid' }, 'eventId'],
    ['a fractional seq', { seq: 1.5 }, 'seq'],
    ['a negative age', { ageMs: -1 }, 'ageMs'],
    ['an unknown type', { type: 'coffee' }, 'type'],
    ['a payload that is a list', { payload: [] }, 'payload'],
    ['no siteId', { siteId: undefined }, 'siteId'],
  ])('refuses %s, naming the field', (_what, change, field) => {
    const result = parseWireEvent(JSON.stringify({ ...valid, ...change }));
    expect('problems' in result && result.problems.some((p) => p.startsWith(`${field}:`))).toBe(true);
  });

  it('refuses text that is not JSON', () => {
    expect(parseWireEvent(Buffer.from('{oops'))).toEqual({ problems: [expect.stringMatching(/^not JSON/)] });
  });
});

describe('status schema and channels', () => {
  it('accepts the three states only', () => {
    for (const state of ['online', 'offline', 'stopped']) {
      expect(statusSchema.safeParse({ state, bootId: 'b', version: '0.1.0', ts: 1 }).success).toBe(true);
    }
    expect(statusSchema.safeParse({ state: 'sleeping', bootId: 'b', version: '0.1.0', ts: 1 }).success).toBe(false);
  });

  it('publishes events not retained and status retained, both at QoS 1', () => {
    expect(channels.events).toMatchObject({ qos: 1, retain: false });
    expect(channels.status).toMatchObject({ qos: 1, retain: true });
    expect(channels.events.topic('p', 's', 'l')).toBe('p/s/l/events');
  });

  it("carries the gate's public key as its one-line text and id, retained", () => {
    const key = gatePublicKeyFromText(generateSigningKeyPair().publicKeyText);
    const message = gateKeyMessage(key, 1_767_225_600_000);
    expect(gateKeySchema.parse(message)).toEqual({
      keyId: key.keyId,
      publicKey: key.publicKeyText,
      algorithm: 'Ed25519',
      ts: 1_767_225_600_000,
    });
    expect(gatePublicKeyFromText(message.publicKey).keyId).toBe(key.keyId);
    expect(gateKeySchema.safeParse({ ...message, algorithm: 'RSA' }).success).toBe(false);
    expect(channels.gateKey).toMatchObject({ retain: true });
    expect(channels.gateKey.topic('p', 's')).toBe('p/s/key');
  });
});

describe('parseGateKeyMessage (what tail takes from a key topic)', () => {
  const key = gatePublicKeyFromText(generateSigningKeyPair().publicKeyText);
  const other = gatePublicKeyFromText(generateSigningKeyPair().publicKeyText);
  const message = gateKeyMessage(key, 1_767_225_600_000);

  it('reads the key the gate publishes', () => {
    const parsed = parseGateKeyMessage(Buffer.from(JSON.stringify(message)));
    expect(parsed).toMatchObject({ keyId: key.keyId, publicKeyText: key.publicKeyText });
  });

  it.each<[string, string, RegExp]>([
    ['not JSON', '{"keyId":', /^not JSON/],
    ['a JSON array', '[]', /^\(payload\)/],
    ['no public key', JSON.stringify({ ...message, publicKey: undefined }), /^publicKey/],
    ['a public key that is not one', JSON.stringify({ ...message, publicKey: 'AAAA' }), /^publicKey: /],
    [
      "another key's id",
      JSON.stringify({ ...message, keyId: other.keyId }),
      new RegExp(`^keyId: ${other.keyId} is not the id of publicKey`),
    ],
    ['a megabyte of junk', 'x'.repeat(1024 * 1024), /^not JSON/],
  ])('refuses %s, saying which field', (_name, raw, problem) => {
    const parsed = parseGateKeyMessage(Buffer.from(raw));
    expect(parsed).toHaveProperty('problems');
    expect((parsed as { problems: string[] }).problems[0]).toMatch(problem);
  });
});
