import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { configSchema, type Config } from '../config/index.js';
import { MQTT_URL_SCHEME } from '../config/mqtt.js';
import { systemClock } from '../core/clock.js';
import { createLogger } from '../core/log.js';
import { demoCentralKey, type DemoCentralKey } from '../demo/central-key.js';
import { demoBrokerUsers, type BrokerUsers } from '../demo/broker-users.js';
import { LocalBroker, LocalBrokerError } from '../demo/local-broker.js';
import { DEMO_TRAFFIC_TIMINGS } from '../demo/demo-traffic.js';
import { DEMO_YARD } from '../demo/demo-yard.js';
import { runGate } from './run.js';
import { helpRequested, printUsage } from './usage.js';

const USAGE = `usage: smartgate demo [--clip FILE] [--exit-clip FILE] [--data-dir DIR] [--mqtt-url URL] [--http-port N] [--hold-seconds N] [--seconds N] [--log-level LEVEL]
  --clip FILE         lane-1's camera (the entry), looped (default: the rendered demo clip)
  --exit-clip FILE    lane-2's camera (the yard's exit), looped (default: the rendered exit clip)
  --data-dir DIR      events, accounts, and the embedded broker's data and passwords (default ./data/demo)
  --mqtt-url URL      central's broker, anonymous; without it the demo runs its own Mosquitto with accounts
  --http-port N       the status page (default 8080; a free port when 8080 is taken)
  --hold-seconds N    how long a held vehicle waits before it turns back
  --seconds N         stop after N seconds (default: at Ctrl-C)
  --log-level LEVEL   debug, info, warn (default) or error`;

/** The demo's site id, and so the gate's user name on the demo's own broker. */
const DEMO_SITE = 'demo';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** Rendered by scripts/render-demo-clip.mjs during set-up (`npm run demo` does it). */
export const DEFAULT_DEMO_CLIP = join(repoRoot, '.cache/demo/lane-1.mp4');
/** The same script's `--scene exit`: vehicles leaving the yard, timed against lane-1's clip. */
export const DEFAULT_DEMO_EXIT_CLIP = join(repoRoot, '.cache/demo/lane-2.mp4');

export interface DemoOptions {
  clip: string;
  exitClip: string;
  dataDir: string;
  httpPort: number;
  logLevel: Config['log']['level'];
  /** Central's broker; without it the demo records events but forwards none. */
  mqttUrl?: string;
  /** The key central's commands are signed with (with mqttUrl). */
  central?: Pick<DemoCentralKey, 'kid' | 'publicKey'>;
  /** The gate's account on that broker (the demo's own broker has one). */
  mqttCredentials?: { username: string; password: string };
}

/**
 * The demo gate: site `demo`, lane `lane-1` (entry) and lane `lane-2` (exit) whose cameras are
 * the looping demo clips, and the yard between them. Both clips are 45 s and start together,
 * so their vehicles stay in step (docs/demo-clip.md).
 */
export function demoConfig(opts: DemoOptions): Config {
  const lane = (clip: string) => ({
    camera: { url: pathToFileURL(clip).href, fps: 5, width: 1280, height: 720, loop: true },
    // The clips' vehicles stop in the lower middle of the frame, in front of the barrier.
    roi: { x: 240, y: 280, w: 800, h: 440 },
    // The clips' encoder makes the empty road flicker by a few levels at every key frame, which the
    // default threshold (4) takes for motion: reading every frame of two lanes is too much for 2 cores.
    recognition: { motion: { threshold: 12 } },
    // The clips bring the same vehicles back every 45 s: a new passage, not the last one's repeat.
    voting: { repeatWindowMs: 20_000 },
    // A simulated Modbus relay board with a boom and a loop behind it (DemoTraffic drives the loop).
    barrier: { driver: 'simulator' },
    // The clips bring a vehicle every 5 s at most: each visit is over well before the next.
    flow: { waitAlarmMs: 30_000, passTimeoutMs: 4000, cooldownMs: 4000 },
  });
  return configSchema.parse({
    site: { id: DEMO_SITE, name: 'smartgate demo gate' },
    dataDir: opts.dataDir,
    log: { level: opts.logLevel },
    http: { port: opts.httpPort },
    ...(opts.mqttUrl
      ? {
          mqtt: {
            url: opts.mqttUrl,
            ...opts.mqttCredentials,
            central: { keys: opts.central ? [{ id: opts.central.kid, publicKey: opts.central.publicKey }] : [] },
          },
        }
      : {}),
    lanes: [
      { id: 'lane-1', name: 'Demo lane 1', direction: 'entry', ...lane(opts.clip) },
      {
        id: 'lane-2',
        name: 'Demo lane 2 (yard exit)',
        direction: 'exit',
        ...lane(opts.exitClip),
        // The fee for the crossing is checked afterwards: undeclared vehicles leave, flagged (docs/postcheck.md).
        decisions: { declarations: 'post-check' },
      },
    ],
    yards: [DEMO_YARD],
  });
}

/** How to reach the demo's own broker as central: the accounts, and the tail command with its password file. */
function printBrokerAccounts(url: string, dir: string, users: BrokerUsers): void {
  console.log(`central's broker (embedded Mosquitto, data in ${dir}): ${url}, no anonymous clients`);
  console.log(
    `  the gate logs in as "${users.gate.username}" (password in ${users.gate.passwordFile}); the ACL (${users.aclFile}) is docs/mqtt-security.md's`,
  );
  console.log(
    `  central's account: user "${users.central.username}", password ${users.central.password} (also in ${users.central.passwordFile})`,
  );
  console.log(
    `events go to ${url} under smartgate/v1/${DEMO_SITE}/; watch them: smartgate tail --mqtt-url ${url} --site ${DEMO_SITE} --username ${users.central.username} --password-file ${users.central.passwordFile}`,
  );
}

/** `smartgate demo`: a lane on embedded defaults; plate reads are printed as they are voted. */
export async function demoCommand(argv: string[]): Promise<number> {
  if (helpRequested(argv)) return printUsage(USAGE);
  let values;
  try {
    values = parseArgs({
      args: argv,
      options: {
        clip: { type: 'string', default: DEFAULT_DEMO_CLIP },
        'exit-clip': { type: 'string', default: DEFAULT_DEMO_EXIT_CLIP },
        'data-dir': { type: 'string', default: './data/demo' },
        'mqtt-url': { type: 'string' },
        'http-port': { type: 'string', default: '8080' },
        seconds: { type: 'string' },
        'hold-seconds': { type: 'string', default: String(DEMO_TRAFFIC_TIMINGS.turnBackMs / 1000) },
        'log-level': { type: 'string', default: 'warn' },
      },
    }).values;
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const problems: string[] = [];
  const httpPort = Number(values['http-port']);
  if (!Number.isInteger(httpPort) || httpPort < 0 || httpPort > 65535)
    problems.push('--http-port: expected a port number 0..65535');
  if (values['mqtt-url'] !== undefined && !MQTT_URL_SCHEME.test(values['mqtt-url'])) {
    problems.push('--mqtt-url: expected mqtt://HOST[:PORT], mqtts://, ws:// or wss://');
  }
  const seconds = values.seconds === undefined ? undefined : Number(values.seconds);
  if (seconds !== undefined && !(seconds > 0)) problems.push('--seconds: expected a positive number');
  const holdSeconds = Number(values['hold-seconds']);
  if (!(holdSeconds > 0)) problems.push('--hold-seconds: expected a positive number');
  const logLevel = values['log-level'] as DemoOptions['logLevel'];
  if (!['debug', 'info', 'warn', 'error'].includes(logLevel))
    problems.push('--log-level: expected debug, info, warn or error');
  const clip = resolve(values.clip);
  if (!existsSync(clip)) {
    problems.push(
      `--clip: ${clip} not found; render it with \`node scripts/render-demo-clip.mjs\` (npm run demo does this)`,
    );
  }
  const exitClip = resolve(values['exit-clip']);
  if (!existsSync(exitClip)) {
    problems.push(
      `--exit-clip: ${exitClip} not found; render it with \`node scripts/render-demo-clip.mjs --scene exit\` (npm run demo does this)`,
    );
  }
  if (problems.length) {
    console.error(`${problems.join('\n')}\n${USAGE}`);
    return 2;
  }
  const dataDir = resolve(values['data-dir']);
  mkdirSync(dataDir, { recursive: true });
  // Without --mqtt-url the demo brings its own broker, so central's side can be watched too;
  // it takes only its two accounts, within the ACL a site gives central's broker.
  const brokerDir = join(dataDir, 'broker');
  const users = values['mqtt-url'] ? null : demoBrokerUsers(brokerDir, DEMO_SITE);
  const broker = users
    ? new LocalBroker(
        { clock: systemClock, log: createLogger(logLevel) },
        { dir: brokerDir, auth: { passwordFile: users.mosquittoPasswordFile, aclFile: users.aclFile } },
      )
    : null;
  try {
    await broker?.start();
  } catch (err) {
    if (!(err instanceof LocalBrokerError)) throw err;
    console.error(`smartgate demo: ${err.message}`);
    return 1;
  }
  try {
    const mqttUrl = values['mqtt-url'] ?? broker!.url;
    const central = demoCentralKey(dataDir);
    const mqttCredentials = users ? { username: users.gate.username, password: users.gate.password } : undefined;
    const config = demoConfig({
      clip,
      exitClip,
      dataDir,
      httpPort,
      logLevel,
      mqttUrl,
      central,
      ...(mqttCredentials && { mqttCredentials }),
    });
    console.log(
      `smartgate demo: lane-1 (entry) reads ${clip}, lane-2 (exit) reads ${exitClip} (looping); ${DEMO_YARD.id} between them has room for ${DEMO_YARD.capacity}; events are recorded in ${dataDir}; Ctrl-C stops.`,
    );
    if (users) printBrokerAccounts(mqttUrl, brokerDir, users);
    else
      console.log(
        `events go to ${mqttUrl} under smartgate/v1/${DEMO_SITE}/; watch them: smartgate tail --mqtt-url ${mqttUrl} --site ${DEMO_SITE}`,
      );
    const login = users
      ? ` --username ${users.central.username} --password-file ${shellWord(users.central.passwordFile)}`
      : '';
    console.log(
      `central's commands must be signed (the demo's key: ${central.privateKeyPath}); open the barrier as central: ` +
        `npx smartgate sign send --private-key ${shellWord(central.privateKeyPath)} --kid ${central.kid} --mqtt-url ${mqttUrl}${login} --site ${DEMO_SITE} ` +
        `--command barrier.open --lane lane-1 --args '{"operator":"demo","reason":"opened by central"}'`,
    );
    // Without an explicit --http-port, a taken 8080 should not stop the demo: the page takes a free port.
    const httpPortGiven = argv.some((a) => a.startsWith('--http-port'));
    return await runGate(
      config,
      { httpFreePortIfBusy: !httpPortGiven, demo: { dataDir, turnBackMs: holdSeconds * 1000 } },
      seconds,
    );
  } finally {
    // After the daemon, so its uplink could still say `stopped`.
    await broker?.stop();
  }
}

/** A path as one shell word: quoted only when it needs to be. */
function shellWord(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, "'\\''")}'`;
}
