import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { systemClock } from '../core/clock.js';
import { createLogger } from '../core/log.js';
import { SLUG_PATTERN } from '../config/fields.js';
import { MQTT_URL_SCHEME } from '../config/mqtt.js';
import { parseWireEvent } from '../uplink/contract.js';
import { MqttConnection } from '../uplink/mqtt-connection.js';
import { TailTracker, type TailNotice } from '../uplink/tail-tracker.js';
import { DEFAULT_TOPIC_PREFIX, eventsFilter, parseEventsTopic } from '../uplink/topics.js';
import { runUntilSignal } from './lifecycle.js';
import { helpRequested, printUsage } from './usage.js';

const USAGE = `usage: smartgate tail --mqtt-url URL [--site SITE] [--prefix PREFIX] [--client-id ID] [--session-expiry SECONDS] [--username U --password-file FILE | --password P] [--ca FILE] [--cert FILE --key FILE]
  --mqtt-url URL          central's broker: mqtt://HOST[:PORT], mqtts://, ws:// or wss://
  --site SITE             one site's events (default: every site)
  --prefix PREFIX         topic prefix (default smartgate/v1)
  --client-id ID          the persistent session's client id (default smartgate-tail-SITE)
  --session-expiry S      how long the broker keeps the session while tail is away (default 7 days)
  --username U            the broker account (central's)
  --password-file FILE    its password: the first line of FILE, kept off the command line
  --password P            its password on the command line (visible to other users in ps)
  --ca FILE               the broker's CA (mqtts://, wss://)
  --cert FILE --key FILE  a client certificate, where the broker requires one`;

type Notice = TailNotice | { notice: 'invalid'; topic: string; problems: string[] } | { notice: 'subscribed'; filters: string[] } | { notice: 'connected' | 'disconnected' };

/**
 * `smartgate tail`: central's reference consumer. A persistent MQTT 5 session (so nothing
 * published while it is away is lost), every event printed once as a JSON line on stdout
 * (de-duplicated by eventId), and duplicates, gaps and bad payloads as JSON lines on stderr.
 */
export async function tailCommand(argv: string[]): Promise<number> {
  if (helpRequested(argv)) return printUsage(USAGE);
  let values;
  try {
    values = parseArgs({
      args: argv,
      options: {
        'mqtt-url': { type: 'string' },
        site: { type: 'string' },
        prefix: { type: 'string', default: DEFAULT_TOPIC_PREFIX },
        'client-id': { type: 'string' },
        'session-expiry': { type: 'string', default: String(7 * 24 * 3600) },
        username: { type: 'string' },
        password: { type: 'string' },
        'password-file': { type: 'string' },
        // TLS (mqtts:// or wss://): the broker's CA, and a client certificate where it requires one.
        ca: { type: 'string' },
        cert: { type: 'string' },
        key: { type: 'string' },
      },
    }).values;
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const problems: string[] = [];
  const url = values['mqtt-url'];
  if (!url) problems.push('--mqtt-url: required');
  else if (!MQTT_URL_SCHEME.test(url)) problems.push('--mqtt-url: expected mqtt://HOST[:PORT], mqtts://, ws:// or wss://');
  if (values.site !== undefined && !SLUG_PATTERN.test(values.site)) problems.push('--site: expected a site id (slug), e.g. mlt-kth');
  if (/[+#]/.test(values.prefix) || values.prefix.endsWith('/')) problems.push('--prefix: expected topic levels without wildcards, e.g. smartgate/v1');
  if ((values.cert === undefined) !== (values.key === undefined)) problems.push('--cert and --key: give both, or neither');
  for (const flag of ['ca', 'cert', 'key'] as const) {
    const file = values[flag];
    if (file !== undefined && !existsSync(file)) problems.push(`--${flag}: ${file} not found`);
  }
  let password = values.password;
  const passwordFile = values['password-file'];
  if (passwordFile !== undefined && password !== undefined) problems.push('--password and --password-file: give one of them');
  else if (passwordFile !== undefined) {
    try {
      password = (readFileSync(passwordFile, 'utf8').split('\n')[0] ?? '').replace(/\r$/, '');
      if (!password) problems.push(`--password-file: ${passwordFile} has no password on its first line`);
    } catch (err) {
      problems.push(`--password-file: cannot read ${passwordFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  const sessionExpirySec = Number(values['session-expiry']);
  if (!Number.isInteger(sessionExpirySec) || sessionExpirySec < 0) problems.push('--session-expiry: expected whole seconds ≥ 0');
  if (problems.length || !url) {
    console.error(`${problems.join('\n')}\n${USAGE}`);
    return 2;
  }

  const prefix = values.prefix;
  const log = createLogger('warn');
  const connection = new MqttConnection(
    { clock: systemClock, log: log.child({ module: 'tail' }) },
    {
      url,
      clientId: values['client-id'] ?? `smartgate-tail-${values.site ?? 'all'}`,
      keepaliveSec: 15,
      sessionExpirySec,
      username: values.username,
      password,
      tls: {
        rejectUnauthorized: true,
        ...(values.ca !== undefined && { ca: values.ca }),
        ...(values.cert !== undefined && { cert: values.cert }),
        ...(values.key !== undefined && { key: values.key }),
      },
      // Central's consumer should be back quickly after its broker restarts.
      backoff: { initialMs: 250, maxMs: 5000 },
      subscriptions: [eventsFilter(prefix, values.site)],
    },
  );
  const tracker = new TailTracker();
  const notify = (notice: Notice) => process.stderr.write(`${JSON.stringify(notice)}\n`);
  connection.onConnectionChange((connected) => notify({ notice: connected ? 'connected' : 'disconnected' }));
  connection.onSubscribed((filters) => notify({ notice: 'subscribed', filters }));
  connection.onMessage((topic, payload) => {
    const parsed = parseWireEvent(payload);
    if ('problems' in parsed) return notify({ notice: 'invalid', topic, problems: parsed.problems });
    const where = parseEventsTopic(prefix, topic);
    const event = parsed.event;
    if (!where || where.siteId !== event.siteId || where.laneId !== event.laneId) {
      return notify({ notice: 'invalid', topic, problems: [`siteId/laneId ${event.siteId}/${event.laneId} do not match the topic`] });
    }
    const verdict = tracker.observe(event);
    // Written before the handler returns, and so before mqtt.js sends the PUBACK.
    if (verdict.print) process.stdout.write(`${JSON.stringify(event)}\n`);
    for (const notice of verdict.notices) notify(notice);
  });
  // A closed stdout (`smartgate tail | head`) ends the command like a signal would.
  const stdoutClosed = new Promise<void>((resolve) => process.stdout.once('error', () => resolve()));
  await connection.start();
  return runUntilSignal(connection, log, stdoutClosed);
}
