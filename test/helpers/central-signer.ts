import { generateSigningKeyPair, parsePrivateKey } from '../../src/core/signing-key.js';
import { signCentralMessage } from '../../src/uplink/central-signature.js';

/** A stand-in for central: a fresh Ed25519 key pair, the config entry of its public key, and a signer. */
export function centralSigner(kid = 'central-test') {
  const pair = generateSigningKeyPair();
  const privateKey = parsePrivateKey(pair.privateKeyPem);
  return {
    kid,
    privateKeyPem: pair.privateKeyPem,
    /** For mqtt.central.keys. */
    keys: [{ id: kid, publicKey: pair.publicKeyText }],
    /** The MQTT 5 user properties of a message central sends on `topic`. */
    sign: (topic: string, payload: Buffer | string) => signCentralMessage(privateKey, kid, topic, payload),
  };
}

export type CentralSigner = ReturnType<typeof centralSigner>;
