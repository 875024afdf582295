import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { checkConfigCommand } from '../../src/cli/check-config.js';
import { parseConfig } from '../../src/config/load.js';
import { generateSigningKeyPair } from '../../src/core/signing-key.js';
import { problemsOf } from '../helpers/config-problems.js';

const KEY = generateSigningKeyPair();

/** A gate with an uplink; `mqtt` is the YAML of the rest of the section, indented by four. */
function config(mqtt: string, laneId = 'entry-1'): string {
  return `site: { id: mlt-kth, name: Ma Lù Thàng }
mqtt:
  url: mqtt://127.0.0.1:1883
${mqtt}
lanes:
  - { id: ${laneId}, direction: entry, camera: { url: "rtsp://10.0.0.1/1" } }
`;
}

describe('mqtt.central and the command limits', () => {
  it('defaults: no key, replies under {prefix}/{site}/replies, a 15 s life for opening commands, every command signed', () => {
    const parsed = parseConfig(config(''), 'gate.yaml');
    expect(parsed.mqtt!.central).toEqual({ keys: [] });
    expect(parsed.mqtt!.commands).toEqual({
      maxAgeMs: 300_000,
      actuatingMaxAgeMs: 15_000,
      maxFutureMs: 60_000,
      acceptUnsignedReadOnly: false,
    });
  });

  it('takes a key as one line of base64 DER or as SPKI PEM, and several for a rotation', () => {
    const next = generateSigningKeyPair();
    const pem = next.publicKeyPem
      .trim()
      .split('\n')
      .map((line) => `          ${line}`)
      .join('\n');
    const parsed = parseConfig(
      config(`  central:
    keys:
      - { id: central-2026, publicKey: ${KEY.publicKeyText} }
      - id: central-2027
        publicKey: |
${pem}
    replyPrefix: central/replies/mlt-kth`),
      'gate.yaml',
    );
    expect(parsed.mqtt!.central.keys.map((k) => k.id)).toEqual(['central-2026', 'central-2027']);
    expect(parsed.mqtt!.central.replyPrefix).toBe('central/replies/mlt-kth');
  });

  it.each([
    [
      'a key that is no key',
      `  central: { keys: [{ id: c1, publicKey: "not-a-key" }] }`,
      'mqtt.central.keys[0].publicKey: expected an Ed25519 public key: SPKI PEM',
    ],
    [
      'an RSA key',
      `  central: { keys: [{ id: c1, publicKey: "${generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'der', type: 'spki' }).toString('base64')}" }] }`,
      'mqtt.central.keys[0].publicKey: is an rsa key, expected Ed25519',
    ],
    [
      'a key id with a space',
      `  central: { keys: [{ id: "central 1", publicKey: ${KEY.publicKeyText} }] }`,
      'mqtt.central.keys[0].id: expected a key id',
    ],
    [
      'a key id given twice',
      `  central: { keys: [{ id: c1, publicKey: ${KEY.publicKeyText} }, { id: c1, publicKey: ${KEY.publicKeyText} }] }`,
      'mqtt.central.keys[1].id: duplicate key id "c1" (also used by keys[0])',
    ],
    [
      'a reply prefix with a wildcard',
      '  central: { replyPrefix: "central/+/r" }',
      'mqtt.central.replyPrefix: expected topic levels joined by /',
    ],
    [
      "a reply prefix above the gate's topics",
      '  central: { replyPrefix: smartgate/v1/mlt-kth }',
      "mqtt.central.replyPrefix: smartgate/v1/mlt-kth overlaps smartgate/v1/mlt-kth/entry-1/events, a topic of the gate's own",
    ],
    [
      "a reply prefix under the gate's events",
      '  central: { replyPrefix: smartgate/v1/mlt-kth/entry-1/events/r }',
      'overlaps smartgate/v1/mlt-kth/entry-1/events',
    ],
    [
      'a reply prefix under its command topics',
      '  central: { replyPrefix: smartgate/v1/mlt-kth/commands/ping }',
      'overlaps smartgate/v1/mlt-kth/commands/+',
    ],
    [
      'an opening command allowed to live longer than any',
      '  commands: { maxAgeMs: 10000, actuatingMaxAgeMs: 20000 }',
      'mqtt.commands.actuatingMaxAgeMs: must be at most maxAgeMs (10000)',
    ],
  ])('refuses %s, naming the field', (_what, mqtt, problem) => {
    expect(problemsOf(config(mqtt)).join('\n')).toContain(problem);
  });

  it('reserves the lane id "replies", under which the default reply prefix lies', () => {
    expect(problemsOf(config('', 'replies'))).toContain(
      'lanes[0].id: "replies" is reserved for the gate\'s replies to central; choose another lane id',
    );
  });
});

describe("smartgate check-config on an uplink without central's key", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'smartgate-check-central-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function check(text: string) {
    const path = join(dir, 'gate.yaml');
    await writeFile(path, text);
    const out: string[] = [];
    const err: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (out.push(String(chunk)), true));
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => (err.push(String(chunk)), true));
    const code = await checkConfigCommand([path]);
    vi.restoreAllMocks();
    return { code, stdout: out.join(''), stderr: err.join('') };
  }

  it("says that central's commands and lists will be refused, and still passes", async () => {
    const result = await check(config(''));
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(': ok, site mlt-kth');
    expect(result.stderr).toBe(
      "warning: mqtt.central.keys: none: central's list pushes and every command will be refused (no-central-key); add central's public key (smartgate sign keygen makes a key pair, docs/mqtt.md#signatures)\n",
    );
  });

  it('says nothing once a key is there', async () => {
    expect((await check(config(`  central: { keys: [{ id: c1, publicKey: ${KEY.publicKeyText} }] }`))).stderr).toBe('');
  });
});
