import { createPublicKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parsePrivateKey, parsePublicKey, publicKeyText } from '../../src/core/signing-key.js';
import { demoCentralKey } from '../../src/demo/central-key.js';

describe("the demo's central key", () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('is made on the first run, private key mode 0600, and kept by the next runs', () => {
    dir = mkdtempSync(join(tmpdir(), 'smartgate-demo-key-'));
    const first = demoCentralKey(dir);
    expect(first.privateKeyPath).toBe(join(dir, 'central', 'central.key'));
    expect(statSync(first.privateKeyPath).mode & 0o777).toBe(0o600);
    // The two halves belong together, and the config gets the public one.
    const privateKey = parsePrivateKey(readFileSync(first.privateKeyPath, 'utf8'));
    expect(publicKeyText(createPublicKey(privateKey))).toBe(first.publicKey);
    expect(parsePublicKey(first.publicKey).asymmetricKeyType).toBe('ed25519');
    const second = demoCentralKey(dir);
    expect(second).toEqual(first);
    expect(readFileSync(second.privateKeyPath, 'utf8')).toBe(readFileSync(first.privateKeyPath, 'utf8'));
  });
});
