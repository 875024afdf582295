import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { configSchema, type Config } from '../config/index.js';
import { formatPlateRead } from '../lane/format-read.js';
import { runDaemon } from './run.js';

const USAGE =
  'usage: smartgate demo [--clip FILE] [--data-dir DIR] [--mqtt-url URL] [--http-port N] [--seconds N] [--log-level LEVEL]';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** Rendered by scripts/render-demo-clip.mjs during set-up (`npm run demo` does it). */
export const DEFAULT_DEMO_CLIP = join(repoRoot, '.cache/demo/lane-1.mp4');

export interface DemoOptions {
  clip: string;
  dataDir: string;
  httpPort: number;
  logLevel: Config['log']['level'];
}

/** The demo gate: site `demo`, one lane `lane-1` whose camera is the looping demo clip. */
export function demoConfig(opts: DemoOptions): Config {
  return configSchema.parse({
    site: { id: 'demo', name: 'smartgate demo gate' },
    dataDir: opts.dataDir,
    log: { level: opts.logLevel },
    http: { port: opts.httpPort },
    lanes: [
      {
        id: 'lane-1',
        name: 'Demo lane 1',
        direction: 'entry',
        camera: { url: pathToFileURL(opts.clip).href, fps: 5, width: 1280, height: 720, loop: true },
        // The clip's vehicles stop in the lower middle of the frame, in front of the barrier.
        roi: { x: 240, y: 280, w: 800, h: 440 },
      },
    ],
  });
}

/** `smartgate demo`: a lane on embedded defaults; plate reads are printed as they are voted. */
export async function demoCommand(argv: string[]): Promise<number> {
  let values;
  try {
    values = parseArgs({
      args: argv,
      options: {
        clip: { type: 'string', default: DEFAULT_DEMO_CLIP },
        'data-dir': { type: 'string', default: './data/demo' },
        'mqtt-url': { type: 'string' },
        'http-port': { type: 'string', default: '8080' },
        seconds: { type: 'string' },
        'log-level': { type: 'string', default: 'warn' },
      },
    }).values;
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const problems: string[] = [];
  const httpPort = Number(values['http-port']);
  if (!Number.isInteger(httpPort) || httpPort < 0 || httpPort > 65535) problems.push('--http-port: expected a port number 0..65535');
  if (values['mqtt-url'] !== undefined && !/^(mqtts?|wss?):\/\/[^/]+/.test(values['mqtt-url'])) {
    problems.push('--mqtt-url: expected mqtt://HOST[:PORT], mqtts://, ws:// or wss://');
  }
  const seconds = values.seconds === undefined ? undefined : Number(values.seconds);
  if (seconds !== undefined && !(seconds > 0)) problems.push('--seconds: expected a positive number');
  const logLevel = values['log-level'] as DemoOptions['logLevel'];
  if (!['debug', 'info', 'warn', 'error'].includes(logLevel)) problems.push('--log-level: expected debug, info, warn or error');
  const clip = resolve(values.clip);
  if (!existsSync(clip)) {
    problems.push(`--clip: ${clip} not found; render it with \`node scripts/render-demo-clip.mjs\` (npm run demo does this)`);
  }
  if (problems.length) {
    console.error(`${problems.join('\n')}\n${USAGE}`);
    return 2;
  }
  const dataDir = resolve(values['data-dir']);
  mkdirSync(dataDir, { recursive: true });
  const config = demoConfig({ clip, dataDir, httpPort, logLevel });
  console.log(`smartgate demo: lane-1 reads ${clip} (looping); Ctrl-C stops.`);
  if (values['mqtt-url'] !== undefined || argv.some((a) => a.startsWith('--http-port'))) {
    // Publishing to central and the status page arrive with their own issues; say so plainly.
    console.log('note: --mqtt-url and --http-port are accepted for later features; this version prints reads only.');
  }
  return runDaemon(config, {
    onVoted: (laneId, read) => console.log(formatPlateRead(laneId, read)),
    ...(seconds ? { stopAfterSeconds: seconds } : {}),
  });
}
