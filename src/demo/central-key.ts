import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateSigningKeyPair, parsePublicKey, publicKeyText } from '../core/signing-key.js';

/** The id the demo's central key goes by (the `kid` of its signatures). */
export const DEMO_CENTRAL_KID = 'demo-central';

export interface DemoCentralKey {
  kid: string;
  /** PKCS#8 PEM, mode 0600: what `smartgate sign send --private-key` takes. */
  privateKeyPath: string;
  /** One-line base64 SPKI, as mqtt.central.keys takes it. */
  publicKey: string;
}

/**
 * The key pair the demo's stand-in for central signs with, made in `{dataDir}/central/` on the
 * first run and kept, so a command line printed by one run still works with the next.
 */
export function demoCentralKey(dataDir: string): DemoCentralKey {
  const dir = join(dataDir, 'central');
  const privateKeyPath = join(dir, 'central.key');
  const publicKeyPath = join(dir, 'central.pub');
  if (!existsSync(privateKeyPath) || !existsSync(publicKeyPath)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const pair = generateSigningKeyPair();
    writeFileSync(privateKeyPath, pair.privateKeyPem, { mode: 0o600 });
    writeFileSync(publicKeyPath, pair.publicKeyPem, { mode: 0o644 });
  }
  return {
    kid: DEMO_CENTRAL_KID,
    privateKeyPath,
    publicKey: publicKeyText(parsePublicKey(readFileSync(publicKeyPath, 'utf8'))),
  };
}
