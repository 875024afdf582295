import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface KeyPair {
  cert: string;
  key: string;
}

/** Paths of a throwaway PKI: the same openssl steps as docs/mqtt-security.md, short EC keys. */
export interface TestPki {
  ca: KeyPair;
  /** For 127.0.0.1 and localhost. */
  server: KeyPair;
  /** Client certificates by common name (a gate's site id, or `central`). */
  clients: Record<string, KeyPair>;
}

async function openssl(dir: string, args: string[]): Promise<void> {
  await run('openssl', args, { cwd: dir });
}

async function newKey(dir: string, name: string): Promise<string> {
  await openssl(dir, ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', `${name}.key`]);
  return join(dir, `${name}.key`);
}

/** A certificate for `cn` signed by `ca`, with the given X.509 v3 extensions. */
async function issue(dir: string, ca: KeyPair, name: string, cn: string, extensions: string[]): Promise<KeyPair> {
  const key = await newKey(dir, name);
  await writeFile(join(dir, `${name}.ext`), `${extensions.join('\n')}\n`);
  await openssl(dir, ['req', '-new', '-key', key, '-subj', `/CN=${cn}`, '-out', `${name}.csr`]);
  await openssl(dir, [
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    ca.cert,
    '-CAkey',
    ca.key,
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    `${name}.ext`,
    '-out',
    `${name}.crt`,
  ]);
  return { cert: join(dir, `${name}.crt`), key };
}

/** A self-signed CA named `name` (files `name.crt`, `name.key` in `dir`). */
export async function makeCa(dir: string, name: string): Promise<KeyPair> {
  const key = await newKey(dir, name);
  await openssl(dir, [
    'req',
    '-x509',
    '-new',
    '-key',
    key,
    '-subj',
    `/CN=${name}`,
    '-days',
    '2',
    '-out',
    `${name}.crt`,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  return { cert: join(dir, `${name}.crt`), key };
}

/** A client certificate for `cn` signed by `ca` (files `name.crt`, `name.key`). */
export function makeClientCert(dir: string, ca: KeyPair, cn: string, name = `client-${cn}`): Promise<KeyPair> {
  return issue(dir, ca, name, cn, ['extendedKeyUsage=clientAuth']);
}

/** A CA, a server certificate for loopback and one client certificate per common name. */
export async function makeTestPki(dir: string, clientNames: string[]): Promise<TestPki> {
  const ca = await makeCa(dir, 'test-ca');
  const server = await issue(dir, ca, 'server', 'localhost', [
    'subjectAltName=IP:127.0.0.1,DNS:localhost',
    'extendedKeyUsage=serverAuth',
  ]);
  const clients: Record<string, KeyPair> = {};
  for (const name of clientNames) clients[name] = await makeClientCert(dir, ca, name);
  return { ca, server, clients };
}
