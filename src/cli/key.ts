import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { GATE_KEY_FILE, GATE_PUBLIC_KEY_FILE, readGatePublicKey, type GatePublicKey } from '../evidence/gate-key.js';
import { helpRequested, printUsage } from './usage.js';

const USAGE = `usage: smartgate key show --data-dir DIR [--json]
  --data-dir DIR   the daemon's dataDir (it makes the gate key there on its first start)
  --json           {keyId, publicKey, algorithm} on one line
Prints the gate's public key (DIR/${GATE_PUBLIC_KEY_FILE}): one line of base64, as central's copy
of it is written, its key id (named in every checkpoint) and its PEM form. The private key
(DIR/${GATE_KEY_FILE}) is never read.
exit 0: printed; 1: no key in DIR yet (or no DIR); 2: bad options`;

const ACTIONS = ['show'] as const;

/** `smartgate key show`: the gate's public key, to give central (docs/evidence.md#the-gate-key). */
export async function keyCommand(argv: string[]): Promise<number> {
  if (helpRequested(argv)) return printUsage(USAGE);
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { 'data-dir': { type: 'string' }, json: { type: 'boolean', default: false } },
    });
  } catch (err) {
    return fail((err as Error).message);
  }
  const { values, positionals } = parsed;
  if (positionals.length !== 1 || !ACTIONS.includes(positionals[0] as (typeof ACTIONS)[number]))
    return fail(
      `expected one action, ${ACTIONS.join(', ')}; got ${positionals.length ? `"${positionals.join(' ')}"` : 'none'}`,
    );
  const dataDir = values['data-dir'];
  if (!dataDir) return fail("--data-dir: required (the daemon's dataDir)");
  if (!existsSync(dataDir)) {
    process.stderr.write(
      `smartgate key: no gate key: ${dataDir} does not exist (the daemon makes it, and the key, on its first start)\n`,
    );
    return 1;
  }
  if (!statSync(dataDir).isDirectory()) return fail(`--data-dir: ${dataDir} is not a directory`);

  let key: GatePublicKey;
  try {
    key = readGatePublicKey(dataDir);
  } catch (err) {
    // The private key alone: the daemon writes the public one beside it when it next starts.
    const hint =
      existsSync(join(dataDir, GATE_KEY_FILE)) && !existsSync(join(dataDir, GATE_PUBLIC_KEY_FILE))
        ? ` (${GATE_KEY_FILE} is there: start the daemon once to write ${GATE_PUBLIC_KEY_FILE} beside it)`
        : '';
    process.stderr.write(`smartgate key: ${(err as Error).message}${hint}\n`);
    return 1;
  }
  if (values.json) {
    process.stdout.write(
      `${JSON.stringify({ keyId: key.keyId, publicKey: key.publicKeyText, algorithm: 'Ed25519' })}\n`,
    );
    return 0;
  }
  const pem = key.publicKey.export({ format: 'pem', type: 'spki' }).toString().trimEnd();
  process.stdout.write(`${key.publicKeyText}\nkey id: ${key.keyId} (Ed25519)\n${pem}\n`);
  return 0;
}

function fail(message: string): 2 {
  process.stderr.write(`smartgate key: ${message}\n${USAGE}\n`);
  return 2;
}
