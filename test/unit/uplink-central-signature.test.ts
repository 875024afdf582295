import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateSigningKeyPair, parsePublicKey, publicKeyText } from '../../src/core/signing-key.js';
import { CentralKeys, signedBytes, type UserProperties } from '../../src/uplink/central-signature.js';
import { centralSigner } from '../helpers/central-signer.js';

const CONFIRM = 'smartgate/v1/mlt-kth/commands/hold.confirm';
const REFUSE = 'smartgate/v1/mlt-kth/commands/hold.refuse';
const OTHER_SITE = 'smartgate/v1/hk-lc/commands/hold.confirm';
const PAYLOAD = Buffer.from(
  '{"id":"c-1","ts":1767225600000,"laneId":"entry-1","args":{"holdId":"h-1","operator":"op","reason":"papers ok"}}',
);

describe('central signatures', () => {
  const central = centralSigner('central-2026');
  const impostor = centralSigner('central-2026'); // another key under the same id
  const keys = new CentralKeys(central.keys);
  const good = central.sign(CONFIRM, PAYLOAD);

  it('signs tag, topic and payload bytes, newline-separated', () => {
    expect(signedBytes('a/b', Buffer.from('{}')).toString()).toBe('smartgate-central-v1\na/b\n{}');
  });

  it.each<
    [
      string,
      string,
      Buffer,
      UserProperties | undefined,
      { signed: true; kid: string } | { code: string; message: string },
    ]
  >([
    ['a good signature', CONFIRM, PAYLOAD, good, { signed: true, kid: 'central-2026' }],
    [
      'a signature by another key under the same kid',
      CONFIRM,
      PAYLOAD,
      impostor.sign(CONFIRM, PAYLOAD),
      { code: 'bad-signature', message: 'sig: does not verify with key "central-2026"' },
    ],
    [
      'an unknown kid',
      CONFIRM,
      PAYLOAD,
      { ...good, kid: 'central-2019' },
      { code: 'bad-signature', message: 'kid: no key "central-2019" at this gate; keys: central-2026' },
    ],
    [
      'a tampered payload',
      CONFIRM,
      Buffer.from(PAYLOAD.toString().replace('h-1', 'h-2')),
      good,
      { code: 'bad-signature', message: 'does not verify' },
    ],
    [
      'a payload one byte longer',
      CONFIRM,
      Buffer.concat([PAYLOAD, Buffer.from(' ')]),
      good,
      { code: 'bad-signature', message: 'does not verify' },
    ],
    [
      'a signed hold.refuse moved to hold.confirm',
      CONFIRM,
      PAYLOAD,
      central.sign(REFUSE, PAYLOAD),
      { code: 'bad-signature', message: 'does not verify' },
    ],
    [
      "a command for this gate sent to another site's topic",
      OTHER_SITE,
      PAYLOAD,
      good,
      { code: 'bad-signature', message: 'does not verify' },
    ],
    ['no properties at all', CONFIRM, PAYLOAD, undefined, { code: 'unsigned', message: 'no "sig" user property' }],
    [
      'a kid without sig',
      CONFIRM,
      PAYLOAD,
      { kid: 'central-2026' },
      { code: 'unsigned', message: 'no "sig" user property' },
    ],
    ['a sig without kid', CONFIRM, PAYLOAD, { sig: good.sig }, { code: 'bad-signature', message: 'kid: missing' }],
    [
      'sig given twice',
      CONFIRM,
      PAYLOAD,
      { ...good, sig: [good.sig, good.sig] },
      { code: 'bad-signature', message: 'sig: given 2 times, expected once' },
    ],
    [
      'kid given twice',
      CONFIRM,
      PAYLOAD,
      { ...good, kid: ['central-2026', 'central-2026'] },
      { code: 'bad-signature', message: 'kid: given 2 times' },
    ],
    [
      'a sig that is not base64',
      CONFIRM,
      PAYLOAD,
      { ...good, sig: 'not base64!' },
      { code: 'bad-signature', message: 'sig: expected 64 bytes in base64' },
    ],
    [
      'a truncated sig',
      CONFIRM,
      PAYLOAD,
      { ...good, sig: good.sig.slice(0, 40) },
      { code: 'bad-signature', message: 'sig: expected 64 bytes in base64' },
    ],
    [
      'an empty sig',
      CONFIRM,
      PAYLOAD,
      { ...good, sig: '' },
      { code: 'bad-signature', message: 'sig: expected 64 bytes' },
    ],
  ])('%s', (_what, topic, payload, properties, expected) => {
    const verdict = keys.verify(topic, payload, properties);
    if ('signed' in expected) expect(verdict).toEqual(expected);
    else
      expect(verdict).toEqual({
        signed: false,
        refusal: { code: expected.code, message: expect.stringContaining(expected.message) },
      });
  });

  it('verifies with any key of a rotation, and refuses the old key once it is dropped', () => {
    const next = centralSigner('central-2027');
    const during = new CentralKeys([...central.keys, ...next.keys]);
    expect(during.verify(CONFIRM, PAYLOAD, central.sign(CONFIRM, PAYLOAD))).toEqual({
      signed: true,
      kid: 'central-2026',
    });
    expect(during.verify(CONFIRM, PAYLOAD, next.sign(CONFIRM, PAYLOAD))).toEqual({ signed: true, kid: 'central-2027' });
    const after = new CentralKeys(next.keys);
    expect(after.verify(CONFIRM, PAYLOAD, central.sign(CONFIRM, PAYLOAD))).toMatchObject({
      signed: false,
      refusal: { code: 'bad-signature', message: expect.stringContaining('no key "central-2026"') },
    });
    expect(after.verify(CONFIRM, PAYLOAD, next.sign(CONFIRM, PAYLOAD))).toEqual({ signed: true, kid: 'central-2027' });
  });

  it('refuses everything, signed or not, as no-central-key when the gate has no key', () => {
    const none = new CentralKeys([]);
    for (const properties of [good, undefined]) {
      expect(none.verify(CONFIRM, PAYLOAD, properties)).toMatchObject({
        signed: false,
        refusal: { code: 'no-central-key', message: expect.stringContaining('mqtt.central.keys') },
      });
    }
  });
});

describe('central public keys as text', () => {
  it('reads the one-line base64 DER and the SPKI PEM of the same key', () => {
    const pair = generateSigningKeyPair();
    expect(publicKeyText(parsePublicKey(pair.publicKeyText))).toBe(pair.publicKeyText);
    expect(publicKeyText(parsePublicKey(pair.publicKeyPem))).toBe(pair.publicKeyText);
    expect(publicKeyText(parsePublicKey(`  ${pair.publicKeyText}\n`))).toBe(pair.publicKeyText);
  });

  it.each([
    ['garbage', 'hello world', 'expected an Ed25519 public key: SPKI PEM'],
    ['base64 that is no key', Buffer.from('not a key at all').toString('base64'), 'expected an Ed25519 public key'],
    ['a private key', generateSigningKeyPair().privateKeyPem, 'expected an Ed25519 public key'],
    [
      'an RSA key',
      generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'pem', type: 'spki' }).toString(),
      'is an rsa key, expected Ed25519',
    ],
    [
      'an EC P-256 key',
      generateKeyPairSync('ec', { namedCurve: 'P-256' })
        .publicKey.export({ format: 'der', type: 'spki' })
        .toString('base64'),
      'is an ec key, expected Ed25519',
    ],
  ])('refuses %s, saying what it expected', (_what, text, message) => {
    expect(() => parsePublicKey(text)).toThrow(message);
  });
});
