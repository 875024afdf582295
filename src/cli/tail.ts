import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { systemClock } from '../core/clock.js';
import { createLogger } from '../core/log.js';
import { SLUG_PATTERN } from '../config/fields.js';
import { gatePublicKeyFromText, type GatePublicKey } from '../evidence/gate-key.js';
import { ChainFollower, type ChainNotice, type ChainSummary } from '../uplink/chain-follower.js';
import { parseGateKeyMessage, parseWireEvent } from '../uplink/contract.js';
import { MqttConnection } from '../uplink/mqtt-connection.js';
import { TailTracker, type TailNotice } from '../uplink/tail-tracker.js';
import {
  DEFAULT_TOPIC_PREFIX,
  eventsFilter,
  gateKeyFilter,
  parseEventsTopic,
  parseGateKeyTopic,
} from '../domain/topics.js';
import { BROKER_LOGIN_OPTIONS, BROKER_LOGIN_USAGE, brokerLogin } from './broker-login.js';
import { runUntilSignal } from './lifecycle.js';
import { helpRequested, printUsage } from './usage.js';

const USAGE = `usage: smartgate tail --mqtt-url URL [--site SITE] [--prefix PREFIX] [--client-id ID] [--session-expiry SECONDS] [--gate-key FILE_OR_KEY] [--username U --password-file FILE | --password P] [--ca FILE] [--cert FILE --key FILE]
${BROKER_LOGIN_USAGE}
  --site SITE             one site's events (default: every site)
  --gate-key FILE_OR_KEY  the gate's public key (a file, or the line \`smartgate key show\` prints): the
                          only key the chain's checkpoints are checked with (default: each site's key topic)
  --prefix PREFIX         topic prefix (default smartgate/v1)
  --client-id ID          the persistent session's client id (default smartgate-tail-SITE)
  --session-expiry S      how long the broker keeps the session while tail is away (default 7 days)`;

type Notice =
  | TailNotice
  | ChainNotice
  | { notice: 'invalid'; topic: string; problems: string[] }
  | { notice: 'summary'; lanes: ReturnType<TailTracker['lanesSummary']>; chain: ChainSummary }
  | { notice: 'subscribed'; filters: string[] }
  | { notice: 'connected' | 'disconnected' };

/**
 * `smartgate tail`: central's reference consumer. A persistent MQTT 5 session (so nothing
 * published while it is away is lost), every event printed once as a JSON line on stdout
 * (de-duplicated by eventId), and duplicates, gaps, bad payloads and breaks of the evidence chain
 * as JSON lines on stderr, with a summary when it stops.
 */
export async function tailCommand(argv: string[]): Promise<number> {
  if (helpRequested(argv)) return printUsage(USAGE);
  let values;
  try {
    values = parseArgs({
      args: argv,
      options: {
        ...BROKER_LOGIN_OPTIONS,
        site: { type: 'string' },
        prefix: { type: 'string', default: DEFAULT_TOPIC_PREFIX },
        'client-id': { type: 'string' },
        'session-expiry': { type: 'string', default: String(7 * 24 * 3600) },
        'gate-key': { type: 'string' },
      },
    }).values;
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const problems: string[] = [];
  const login = brokerLogin(values, problems);
  if (values.site !== undefined && !SLUG_PATTERN.test(values.site))
    problems.push('--site: expected a site id (slug), e.g. mlt-kth');
  if (/[+#]/.test(values.prefix) || values.prefix.endsWith('/'))
    problems.push('--prefix: expected topic levels without wildcards, e.g. smartgate/v1');
  const sessionExpirySec = Number(values['session-expiry']);
  if (!Number.isInteger(sessionExpirySec) || sessionExpirySec < 0)
    problems.push('--session-expiry: expected whole seconds ≥ 0');
  const pinnedKey = values['gate-key'] === undefined ? null : gateKeyOption(values['gate-key'], problems);
  if (problems.length || !login) {
    console.error(`${problems.join('\n')}\n${USAGE}`);
    return 2;
  }

  const prefix = values.prefix;
  const log = createLogger('warn');
  const connection = new MqttConnection(
    { clock: systemClock, log: log.child({ module: 'tail' }) },
    {
      url: login.url,
      clientId: values['client-id'] ?? `smartgate-tail-${values.site ?? 'all'}`,
      keepaliveSec: 15,
      sessionExpirySec,
      username: login.username,
      password: login.password,
      tls: {
        rejectUnauthorized: true,
        ...(login.ca !== undefined && { ca: login.ca }),
        ...(login.cert !== undefined && { cert: login.cert, key: login.key }),
      },
      // Central's consumer should be back quickly after its broker restarts.
      backoff: { initialMs: 250, maxMs: 5000 },
      // The key topic's retained message arrives on subscribing, after what the session queued.
      subscriptions: [eventsFilter(prefix, values.site), gateKeyFilter(prefix, values.site)],
    },
  );
  const tracker = new TailTracker();
  const follower = new ChainFollower({ pinnedKey });
  const notify = (notice: Notice) => process.stderr.write(`${JSON.stringify(notice)}\n`);
  connection.onConnectionChange((connected) => notify({ notice: connected ? 'connected' : 'disconnected' }));
  connection.onSubscribed((filters) => notify({ notice: 'subscribed', filters }));
  connection.onMessage((topic, payload) => {
    const keySite = parseGateKeyTopic(prefix, topic);
    if (keySite !== null) {
      const key = parseGateKeyMessage(payload);
      if ('problems' in key) return notify({ notice: 'invalid', topic, problems: key.problems });
      for (const notice of follower.learnKey(keySite, key)) notify(notice);
      return;
    }
    const parsed = parseWireEvent(payload);
    if ('problems' in parsed) return notify({ notice: 'invalid', topic, problems: parsed.problems });
    const where = parseEventsTopic(prefix, topic);
    const event = parsed.event;
    if (!where || where.siteId !== event.siteId || where.laneId !== event.laneId) {
      return notify({
        notice: 'invalid',
        topic,
        problems: [`siteId/laneId ${event.siteId}/${event.laneId} do not match the topic`],
      });
    }
    const verdict = tracker.observe(event);
    // Written before the handler returns, and so before mqtt.js sends the PUBACK.
    if (verdict.print) process.stdout.write(`${JSON.stringify(event)}\n`);
    for (const notice of verdict.notices) {
      if (notice.notice === 'seq-reset') follower.resetLane(notice.siteId, notice.laneId);
      notify(notice);
    }
    // Duplicates too: a redelivery must carry the same link as the first.
    for (const notice of follower.observe(event)) notify(notice);
  });
  // A closed stdout (`smartgate tail | head`) ends the command like a signal would.
  const stdoutClosed = new Promise<void>((resolve) => process.stdout.once('error', () => resolve()));
  await connection.start();
  const code = await runUntilSignal(connection, log, stdoutClosed);
  notify({ notice: 'summary', lanes: tracker.lanesSummary(), chain: follower.summary() });
  return code;
}

/** `--gate-key`: a file holding the key, or the key itself (base64 DER or PEM). */
function gateKeyOption(value: string, problems: string[]): GatePublicKey | null {
  try {
    return gatePublicKeyFromText(existsSync(value) ? readFileSync(value, 'utf8') : value);
  } catch (err) {
    problems.push(`--gate-key: expected a file with the gate's public key, or the key (${(err as Error).message})`);
    return null;
  }
}
