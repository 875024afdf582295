import { pbkdf2Sync, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SITE_ACL } from './mosquitto-conf.js';

/** Central's account on the demo's broker: what `smartgate tail` logs in as. */
export const CENTRAL_USER = 'central';

export interface BrokerUser {
  username: string;
  password: string;
  /** Holds the password alone, mode 0600: for `smartgate tail --password-file`. */
  passwordFile: string;
}

export interface BrokerUsers {
  /** The gate's account: its user name is the site id, which the ACL's `%u` patterns rely on. */
  gate: BrokerUser;
  central: BrokerUser;
  /** Mosquitto's password file (hashed), for `password_file`. */
  mosquittoPasswordFile: string;
  /** The ACL of docs/mqtt-security.md, for `acl_file`. */
  aclFile: string;
}

/**
 * The accounts of the demo's own broker, as docs/mqtt-security.md tells a site to set up
 * central's: one for the gate (its site id) and one for central's consumer, each with a random
 * password, and the per-site ACL. Passwords are generated once into `dir` (mode 0600) and kept,
 * so a `smartgate tail` session and its printed command stay valid across runs of the demo.
 */
export function demoBrokerUsers(dir: string, siteId: string): BrokerUsers {
  mkdirSync(dir, { recursive: true });
  const gate = brokerUser(dir, siteId);
  const central = brokerUser(dir, CENTRAL_USER);
  const mosquittoPasswordFile = join(dir, 'passwords.txt');
  writeSecret(
    mosquittoPasswordFile,
    [gate, central].map((u) => `${u.username}:${mosquittoPasswordHash(u.password)}\n`).join(''),
  );
  const aclFile = join(dir, 'acl.txt');
  writeFileSync(aclFile, SITE_ACL);
  return { gate, central, mosquittoPasswordFile, aclFile };
}

function brokerUser(dir: string, username: string): BrokerUser {
  const passwordFile = join(dir, `${username}.password`);
  let password = existsSync(passwordFile) ? (readFileSync(passwordFile, 'utf8').split('\n')[0] ?? '').trim() : '';
  if (password) chmodSync(passwordFile, 0o600);
  else {
    password = randomBytes(18).toString('base64url');
    writeSecret(passwordFile, `${password}\n`);
  }
  return { username, password, passwordFile };
}

/** Written readable by the owner only, also when the file was there with wider permissions. */
function writeSecret(path: string, text: string): void {
  writeFileSync(path, text, { mode: 0o600 });
  chmodSync(path, 0o600);
}

/** Mosquitto 2.0's own format (what `mosquitto_passwd` writes): `$7$` PBKDF2-SHA512, 101 rounds, 12-byte salt. */
export function mosquittoPasswordHash(password: string, salt: Buffer = randomBytes(12)): string {
  const iterations = 101;
  const hash = pbkdf2Sync(password, salt, iterations, 64, 'sha512');
  return `$7$${iterations}$${salt.toString('base64')}$${hash.toString('base64')}`;
}
