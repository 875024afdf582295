import { randomBytes } from 'node:crypto';
import mqtt from 'mqtt';
import type { Config } from '../../config/index.js';
import { mqttClientOptions } from '../../uplink/mqtt-options.js';
import { fail, ok, warn, type Check, type CheckResult } from '../types.js';

const TIMEOUT_MS = 15_000;

/**
 * CONNACK reason codes of a refused login: MQTT 5 bad user name or password (134) and not
 * authorized (135, which Mosquitto answers to a wrong password too), and their MQTT 3 codes.
 */
const LOGIN_REFUSED = new Set([134, 135, 4, 5]);

/**
 * Central's broker, logged in to as the uplink does (URL, username, password, TLS files), then
 * left at once. Under its own client id and a clean session: the daemon's session, and a running
 * daemon's connection, are left alone.
 */
export function brokerCheck(): Check {
  const name = 'broker';
  return {
    name,
    timeoutMs: TIMEOUT_MS,
    async run({ config, signal }) {
      const mqttConfig = config.mqtt;
      if (!mqttConfig?.url)
        return warn(
          name,
          'no mqtt.url: the gate runs without an uplink, and central hears nothing of it',
          "set mqtt.url (and the broker's login) to central's broker, unless this gate is meant to run alone",
        );
      const url = mqttConfig.url;
      let options;
      try {
        options = mqttClientOptions({
          clientId: `smartgate-doctor-${config.site.id}-${randomBytes(3).toString('hex')}`,
          keepaliveSec: 30,
          sessionExpirySec: 0,
          username: mqttConfig.username,
          password: mqttConfig.password,
          tls: url.startsWith('mqtts:') || url.startsWith('wss:') ? mqttConfig.tls : undefined,
        });
      } catch (err) {
        return fail(name, `cannot read a TLS file: ${(err as Error).message}`, 'correct the paths under mqtt.tls');
      }
      options.clean = true;
      options.connectTimeout = TIMEOUT_MS - 2000;
      return connectOnce(name, url, options, mqttConfig, signal);
    },
  };
}

function connectOnce(
  name: string,
  url: string,
  options: mqtt.IClientOptions,
  mqttConfig: NonNullable<Config['mqtt']>,
  signal: AbortSignal,
): Promise<CheckResult> {
  const user = mqttConfig.username ? `as ${mqttConfig.username}` : 'anonymously';
  return new Promise((resolve) => {
    const started = performance.now();
    const client = mqtt.connect(url, options);
    let done = false;
    const finish = (result: CheckResult) => {
      if (done) return;
      done = true;
      signal.removeEventListener('abort', abort);
      client.end(true);
      resolve(result);
    };
    const abort = () => finish(fail(name, `${url}: no answer`, 'check the broker address and the firewall'));
    signal.addEventListener('abort', abort);
    client.on('connect', () => {
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      finish(ok(name, `${url}: logged in ${user} in ${seconds} s`));
    });
    client.on('error', (err: Error & { code?: number | string }) => finish(brokerProblem(name, url, user, err)));
    client.on('close', () =>
      finish(
        fail(
          name,
          `${url}: the connection closed before the broker answered`,
          "check the URL's port and scheme (mqtt://, mqtts://, ws://, wss://)",
        ),
      ),
    );
  });
}

function brokerProblem(name: string, url: string, user: string, err: Error & { code?: number | string }): CheckResult {
  const code = err.code;
  if (typeof code === 'number' && LOGIN_REFUSED.has(code))
    return fail(
      name,
      `${url}: the broker refused the login ${user}: ${err.message.replace(/^Connection refused: /i, '').toLowerCase()}`,
      "correct mqtt.username and mqtt.password to the account central's broker has for this gate; if they are right, ask central to allow the account",
    );
  const message = err.message;
  if (code === 'ECONNREFUSED')
    return fail(name, `${url}: connection refused`, 'check the host and port in mqtt.url, and that the broker runs');
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN')
    return fail(
      name,
      `${url}: the host name does not resolve (${code})`,
      'check mqtt.url and the DNS of this computer',
    );
  if (/certificate|self.signed|CERT_|unable to (get|verify)/i.test(message) || /CERT|SELF_SIGNED/.test(String(code)))
    return fail(
      name,
      `${url}: TLS: ${message}`,
      "set mqtt.tls.ca to the CA that signed the broker's certificate, and use the host name the certificate names",
    );
  return fail(name, `${url}: ${message}`, 'check mqtt.url, the login and the TLS files');
}
