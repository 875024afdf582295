import { existsSync, readFileSync } from 'node:fs';
import { MQTT_URL_SCHEME } from '../config/mqtt.js';

/**
 * How central's tools (`tail`, `sign send`) log in to a broker: the same options, checked the
 * same way, so a site learns them once. The password comes from a file's first line by
 * preference, so it stays out of the process list.
 */
export const BROKER_LOGIN_OPTIONS = {
  'mqtt-url': { type: 'string' },
  username: { type: 'string' },
  password: { type: 'string' },
  'password-file': { type: 'string' },
  // TLS (mqtts:// or wss://): the broker's CA, and a client certificate where it requires one.
  ca: { type: 'string' },
  cert: { type: 'string' },
  key: { type: 'string' },
} as const;

export const BROKER_LOGIN_USAGE = `  --mqtt-url URL          the broker: mqtt://HOST[:PORT], mqtts://, ws:// or wss://
  --username U            the broker account (central's)
  --password-file FILE    its password: the first line of FILE, kept off the command line
  --password P            its password on the command line (visible to other users in ps)
  --ca FILE               the broker's CA (mqtts://, wss://)
  --cert FILE --key FILE  a client certificate, where the broker requires one`;

type LoginValues = { [K in keyof typeof BROKER_LOGIN_OPTIONS]?: string };

export interface BrokerLogin {
  url: string;
  username?: string;
  password?: string;
  /** Paths of the TLS files, checked to exist. */
  ca?: string;
  cert?: string;
  key?: string;
}

/** The login the options give, or null after pushing each problem (`--flag: what is wrong`) onto `problems`. */
export function brokerLogin(values: LoginValues, problems: string[]): BrokerLogin | null {
  const before = problems.length;
  const url = values['mqtt-url'];
  if (!url) problems.push('--mqtt-url: required');
  else if (!MQTT_URL_SCHEME.test(url))
    problems.push('--mqtt-url: expected mqtt://HOST[:PORT], mqtts://, ws:// or wss://');
  if ((values.cert === undefined) !== (values.key === undefined))
    problems.push('--cert and --key: give both, or neither');
  for (const flag of ['ca', 'cert', 'key'] as const) {
    const file = values[flag];
    if (file !== undefined && !existsSync(file)) problems.push(`--${flag}: ${file} not found`);
  }
  let password = values.password;
  const passwordFile = values['password-file'];
  if (passwordFile !== undefined && password !== undefined)
    problems.push('--password and --password-file: give one of them');
  else if (passwordFile !== undefined) {
    try {
      password = (readFileSync(passwordFile, 'utf8').split('\n')[0] ?? '').replace(/\r$/, '');
      if (!password) problems.push(`--password-file: ${passwordFile} has no password on its first line`);
    } catch (err) {
      problems.push(
        `--password-file: cannot read ${passwordFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      );
    }
  }
  if (problems.length > before || !url) return null;
  return {
    url,
    ...(values.username !== undefined && { username: values.username }),
    ...(password !== undefined && { password }),
    ...(values.ca !== undefined && { ca: values.ca }),
    ...(values.cert !== undefined && { cert: values.cert, key: values.key! }),
  };
}
