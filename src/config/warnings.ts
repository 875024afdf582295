import { isIP } from 'node:net';
import type { Config } from './schema.js';

/**
 * Settings that are valid but unsafe at a gate: `check-config` prints them as warnings (the file
 * is still usable, exit 0) and `run` logs them at start. Each rule is a small pure function of
 * its section, table-tested on its own; a warning starts with the field it is about.
 */

/** Whether `host` (a name or an address, IPv6 possibly in brackets) means this computer only. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1' || h.startsWith('::ffff:127.');
  return false;
}

/** The page served beyond this computer without TLS: passwords and session cookies travel in clear. */
export function pageWithoutTls(http: Pick<Config['http'], 'host' | 'tls' | 'enabled'>): string[] {
  if (http.enabled === false || http.tls || isLoopbackHost(http.host)) return [];
  return [
    `http.host: "${http.host}" serves the status page beyond this computer over plain HTTP, so passwords and session cookies cross the network readable; set http.tls.cert and http.tls.key`,
  ];
}

/** Plain MQTT (or WebSocket) to a broker on another computer: events, commands and the broker password travel in clear. */
export function plainMqttBeyondLoopback(mqtt: Pick<NonNullable<Config['mqtt']>, 'url'> | undefined): string[] {
  if (!mqtt?.url) return [];
  const scheme = /^([a-z]+):\/\//i.exec(mqtt.url)?.[1]?.toLowerCase();
  if (scheme !== 'mqtt' && scheme !== 'ws') return [];
  let host: string;
  try {
    host = new URL(mqtt.url).hostname;
  } catch {
    return [];
  }
  if (isLoopbackHost(host)) return [];
  const secure = scheme === 'mqtt' ? 'mqtts://' : 'wss://';
  return [
    `mqtt.url: ${scheme}:// to ${host} is not encrypted, so events, commands and the broker password cross the network readable; use ${secure}`,
  ];
}

/** TLS to the broker without checking its certificate: anyone on the path can pose as central. */
export function brokerNotVerified(mqtt: Pick<NonNullable<Config['mqtt']>, 'tls'> | undefined): string[] {
  if (!mqtt || mqtt.tls.rejectUnauthorized) return [];
  return [
    'mqtt.tls.rejectUnauthorized: false accepts any broker certificate, so anyone on the network path can pose as central; set mqtt.tls.ca instead',
  ];
}

/** An uplink that cannot check central's signatures: it refuses what central sends. */
export function noCentralKey(
  mqtt:
    | {
        url?: string;
        central: { keys: readonly unknown[] };
        commands: Pick<NonNullable<Config['mqtt']>['commands'], 'acceptUnsignedReadOnly'>;
      }
    | undefined,
): string[] {
  if (!mqtt?.url || mqtt.central.keys.length > 0) return [];
  const commands = mqtt.commands.acceptUnsignedReadOnly ? 'every command but the read-only ones' : 'every command';
  return [
    `mqtt.central.keys: none: central's list pushes and ${commands} will be refused (no-central-key); add central's public key (smartgate sign keygen makes a key pair, docs/mqtt.md#signatures)`,
  ];
}

/** Every warning for a validated config, in the order of the file's sections. */
export function configWarnings(config: Pick<Config, 'http' | 'mqtt'>): string[] {
  return [
    ...pageWithoutTls(config.http),
    ...plainMqttBeyondLoopback(config.mqtt),
    ...brokerNotVerified(config.mqtt),
    ...noCentralKey(config.mqtt),
  ];
}
