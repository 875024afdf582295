import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import mqtt, { type IClientOptions } from 'mqtt';
import { SLUG_PATTERN } from '../config/fields.js';
import { generateSigningKeyPair, parsePrivateKey } from '../core/signing-key.js';
import { signCentralMessage } from '../uplink/central-signature.js';
import { replySchema, type Reply } from '../uplink/commands-contract.js';
import { commandTopic, DEFAULT_TOPIC_PREFIX, defaultReplyPrefix, listTopic } from '../domain/topics.js';
import { BROKER_LOGIN_OPTIONS, BROKER_LOGIN_USAGE, brokerLogin } from './broker-login.js';
import { helpRequested, printUsage } from './usage.js';

const USAGE = `usage: smartgate sign keygen --private-key FILE --public-key FILE [--kid ID]
       smartgate sign send --private-key FILE --kid ID --mqtt-url URL --site SITE
              (--command NAME [--lane LANE] [--args JSON] [--expires-in SECONDS] | --list NAME --payload JSON|@FILE)
              [--prefix PREFIX] [--reply-prefix PREFIX] [--timeout SECONDS]
              [--username U --password-file FILE | --password P] [--ca FILE] [--cert FILE --key FILE]
${BROKER_LOGIN_USAGE}`;

const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;
/** A command or list name is one topic level. */
const NAME = /^[^/+#\s]{1,64}$/;

/**
 * `smartgate sign`: central's side of command signing. `keygen` makes central's Ed25519 key
 * pair (the private key mode 0600) and prints the public key as the gate's config takes it;
 * `send` signs one command or list push for a gate (docs/mqtt.md#signatures), publishes it,
 * waits for the gate's reply and prints it. Exit 0 on an ok reply, 1 on a refusal or no reply,
 * 2 on bad usage.
 */
export async function signCommand(argv: string[]): Promise<number> {
  const [action, ...rest] = argv;
  if (action === 'help' || helpRequested(argv)) return printUsage(USAGE);
  if (action === 'keygen') return keygen(rest);
  if (action === 'send') return send(rest);
  process.stderr.write(
    `${action === undefined ? 'sign: keygen or send?' : `sign: unknown action "${action}"`}\n${USAGE}\n`,
  );
  return 2;
}

function usageError(problems: string[]): number {
  process.stderr.write(`${problems.join('\n')}\n${USAGE}\n`);
  return 2;
}

function keygen(argv: string[]): number {
  let values;
  try {
    values = parseArgs({
      args: argv,
      options: { 'private-key': { type: 'string' }, 'public-key': { type: 'string' }, kid: { type: 'string' } },
    }).values;
  } catch (err) {
    return usageError([(err as Error).message]);
  }
  const problems: string[] = [];
  const kid = values.kid ?? `central-${new Date().toISOString().slice(0, 10)}`;
  if (!KEY_ID.test(kid)) problems.push('--kid: expected 1..64 letters, digits, dots, dashes or underscores');
  for (const flag of ['private-key', 'public-key'] as const) {
    const file = values[flag];
    if (file === undefined) problems.push(`--${flag}: required`);
    else if (existsSync(file)) problems.push(`--${flag}: ${file} exists; not overwritten`);
  }
  if (problems.length) return usageError(problems);
  const pair = generateSigningKeyPair();
  // `wx`: never replace a key that appeared in the meantime.
  writeFileSync(values['private-key']!, pair.privateKeyPem, { mode: 0o600, flag: 'wx' });
  writeFileSync(values['public-key']!, pair.publicKeyPem, { mode: 0o644, flag: 'wx' });
  process.stdout.write(
    [
      `# central's private key: ${values['private-key']} (keep it at central); public key: ${values['public-key']}`,
      "# each gate's config:",
      'mqtt:',
      '  central:',
      '    keys:',
      `      - id: ${kid}`,
      `        publicKey: ${pair.publicKeyText}`,
      '',
    ].join('\n'),
  );
  return 0;
}

async function send(argv: string[]): Promise<number> {
  let values;
  try {
    values = parseArgs({
      args: argv,
      options: {
        'private-key': { type: 'string' },
        kid: { type: 'string' },
        ...BROKER_LOGIN_OPTIONS,
        site: { type: 'string' },
        command: { type: 'string' },
        lane: { type: 'string' },
        args: { type: 'string' },
        'expires-in': { type: 'string', default: '10' },
        list: { type: 'string' },
        payload: { type: 'string' },
        prefix: { type: 'string', default: DEFAULT_TOPIC_PREFIX },
        'reply-prefix': { type: 'string' },
        timeout: { type: 'string', default: '10' },
      },
    }).values;
  } catch (err) {
    return usageError([(err as Error).message]);
  }
  const problems: string[] = [];
  const need = (flag: 'private-key' | 'kid' | 'site') => values[flag] ?? (problems.push(`--${flag}: required`), '');
  const keyFile = need('private-key');
  const kid = need('kid');
  const login = brokerLogin(values, problems);
  const site = need('site');
  if (kid && !KEY_ID.test(kid)) problems.push('--kid: expected 1..64 letters, digits, dots, dashes or underscores');
  if (site && !SLUG_PATTERN.test(site)) problems.push('--site: expected a site id (slug), e.g. mlt-kth');
  if (/[+#]/.test(values.prefix) || values.prefix.endsWith('/'))
    problems.push('--prefix: expected topic levels without wildcards, e.g. smartgate/v1');
  const replyPrefix = values['reply-prefix'] ?? defaultReplyPrefix(values.prefix, site);
  if (/[+#]/.test(replyPrefix) || replyPrefix.endsWith('/'))
    problems.push('--reply-prefix: expected topic levels without wildcards');
  if ((values.command === undefined) === (values.list === undefined)) problems.push('--command or --list: give one');
  if (values.command !== undefined && !NAME.test(values.command))
    problems.push('--command: expected a command name, e.g. ping or barrier.open');
  if (values.list !== undefined && !NAME.test(values.list)) problems.push('--list: expected a list name, e.g. deny');
  if (values.list !== undefined && values.payload === undefined) problems.push('--payload: required with --list');
  if (values.command !== undefined && values.payload !== undefined)
    problems.push('--payload: only with --list (a command is built from --lane and --args)');
  if (values.lane !== undefined && !SLUG_PATTERN.test(values.lane)) problems.push('--lane: expected a lane id (slug)');
  const expiresInS = Number(values['expires-in']);
  if (!(expiresInS > 0)) problems.push('--expires-in: expected a positive number of seconds');
  const timeoutS = Number(values.timeout);
  if (!(timeoutS > 0)) problems.push('--timeout: expected a positive number of seconds');
  let args: unknown;
  if (values.args !== undefined) {
    args = parseJson(values.args, '--args', problems);
    if (args !== undefined && (typeof args !== 'object' || args === null || Array.isArray(args)))
      problems.push('--args: expected a JSON object');
  }
  let listPayload: string | undefined;
  if (values.payload !== undefined) {
    listPayload = values.payload.startsWith('@')
      ? readText(values.payload.slice(1), '--payload', problems)
      : values.payload;
    if (listPayload !== undefined) parseJson(listPayload, '--payload', problems);
  }
  let privateKey;
  if (keyFile) {
    const pem = readText(keyFile, '--private-key', problems);
    try {
      if (pem !== undefined) privateKey = parsePrivateKey(pem);
    } catch (err) {
      problems.push(`--private-key: ${keyFile} ${(err as Error).message}`);
    }
  }
  if (problems.length || !privateKey || !login) return usageError(problems);
  const { url } = login;

  const now = Date.now();
  const id = `cli-${randomUUID()}`;
  const topic =
    values.command !== undefined
      ? commandTopic(values.prefix, site, values.command)
      : listTopic(values.prefix, site, values.list!);
  // A list push is sent byte for byte as given: the signature covers exactly those bytes.
  const payload =
    listPayload ??
    JSON.stringify({
      id,
      ts: now,
      expiresAt: now + Math.round(expiresInS * 1000),
      ...(values.lane !== undefined && { laneId: values.lane }),
      ...(args !== undefined && { args }),
    });
  const responseTopic = `${replyPrefix}/sign-${randomUUID()}`;
  const options: IClientOptions = {
    protocolVersion: 5,
    clean: true,
    reconnectPeriod: 0,
    connectTimeout: timeoutS * 1000,
    ...(login.username !== undefined && { username: login.username }),
    ...(login.password !== undefined && { password: login.password }),
    ...(login.ca !== undefined && { ca: readFileSync(login.ca) }),
    ...(login.cert !== undefined && { cert: readFileSync(login.cert), key: readFileSync(login.key!) }),
  };
  let client;
  try {
    client = await mqtt.connectAsync(url, options);
  } catch (err) {
    process.stderr.write(`sign: cannot connect to ${url}: ${(err as Error).message}\n`);
    return 1;
  }
  try {
    const reply = await requestReply(
      client,
      { topic, payload, responseTopic, userProperties: signCentralMessage(privateKey, kid, topic, payload) },
      timeoutS * 1000,
    );
    if (!reply) {
      process.stderr.write(
        `sign: no reply on ${responseTopic} within ${timeoutS} s (is the gate connected, and is ${replyPrefix} its reply prefix?)\n`,
      );
      return 1;
    }
    process.stdout.write(`${JSON.stringify(reply)}\n`);
    return reply.status === 'ok' ? 0 : 1;
  } finally {
    await client.endAsync().catch(() => undefined);
  }
}

/** Subscribes to the response topic, publishes the request, and resolves with the first reply (null after `timeoutMs`). */
async function requestReply(
  client: mqtt.MqttClient,
  request: { topic: string; payload: string; responseTopic: string; userProperties: Record<string, string> },
  timeoutMs: number,
): Promise<Reply | null> {
  const correlation = Buffer.from(randomUUID());
  const replied = new Promise<Reply | null>((resolve) => {
    const timer = setTimeout(() => resolve(null), timeoutMs);
    client.on('message', (topic, payload, packet) => {
      const data = packet.properties?.correlationData;
      if (topic !== request.responseTopic || !Buffer.isBuffer(data) || !data.equals(correlation)) return;
      const parsed = replySchema.safeParse(safeJson(payload.toString('utf8')));
      clearTimeout(timer);
      resolve(
        parsed.success
          ? parsed.data
          : {
              status: 'error',
              error: { code: 'failed', message: `not a reply: ${payload.toString('utf8').slice(0, 200)}` },
            },
      );
    });
  });
  await client.subscribeAsync(request.responseTopic, { qos: 1 });
  await client.publishAsync(request.topic, request.payload, {
    qos: 1,
    properties: {
      responseTopic: request.responseTopic,
      correlationData: correlation,
      userProperties: request.userProperties,
    },
  });
  return replied;
}

function parseJson(text: string, flag: string, problems: string[]): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    problems.push(`${flag}: not JSON: ${(err as Error).message}`);
    return undefined;
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

function readText(file: string, flag: string, problems: string[]): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    problems.push(`${flag}: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    return undefined;
  }
}
