import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  GATE_KEY_FILE,
  GATE_PUBLIC_KEY_FILE,
  loadOrCreateGateKey,
  readGatePublicKey,
} from '../../src/evidence/gate-key.js';
import { publicKeyText } from '../../src/core/signing-key.js';
import { useTempDirs } from '../helpers/store-fixtures.js';

describe('the gate key', () => {
  const temp = useTempDirs();

  it('is made once, private to its owner, and read back the same', () => {
    const dir = temp.make();
    const first = loadOrCreateGateKey(dir);
    expect(first).toMatchObject({ created: true, permissionsFixed: false, publicKeyFixed: false });
    expect(statSync(join(dir, GATE_KEY_FILE)).mode & 0o777).toBe(0o600);
    const again = loadOrCreateGateKey(dir);
    expect(again).toMatchObject({ created: false, permissionsFixed: false, publicKeyFixed: false });
    expect(again.key.keyId).toBe(first.key.keyId);
    expect(readGatePublicKey(dir).publicKeyText).toBe(first.key.publicKeyText);
    expect(readFileSync(join(dir, GATE_PUBLIC_KEY_FILE), 'utf8')).toBe(`${first.key.publicKeyText}\n`);
  });

  it('makes a key file others could read private again, and says so', () => {
    const dir = temp.make();
    loadOrCreateGateKey(dir);
    chmodSync(join(dir, GATE_KEY_FILE), 0o644);
    expect(loadOrCreateGateKey(dir).permissionsFixed).toBe(true);
    expect(statSync(join(dir, GATE_KEY_FILE)).mode & 0o777).toBe(0o600);
  });

  it('writes the public file again when it is not the key it signs with', () => {
    const dir = temp.make();
    const { key } = loadOrCreateGateKey(dir);
    const stranger = publicKeyText(generateKeyPairSync('ed25519').publicKey);
    writeFileSync(join(dir, GATE_PUBLIC_KEY_FILE), `${stranger}\n`);
    expect(loadOrCreateGateKey(dir).publicKeyFixed).toBe(true);
    expect(readGatePublicKey(dir).keyId).toBe(key.keyId);
  });

  it('refuses a key file that is not a key, naming it, rather than making a new one', () => {
    const dir = temp.make();
    writeFileSync(join(dir, GATE_KEY_FILE), 'not a key', { mode: 0o600 });
    expect(() => loadOrCreateGateKey(dir)).toThrow(`the gate key ${join(dir, GATE_KEY_FILE)}`);
    expect(readFileSync(join(dir, GATE_KEY_FILE), 'utf8')).toBe('not a key');
  });

  it('says the daemon has made no key yet when there is none to read', () => {
    expect(() => readGatePublicKey(temp.make())).toThrow('the daemon makes one on its first start');
  });
});
