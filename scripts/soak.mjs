#!/usr/bin/env node
// How much memory the daemon holds over a long run: `smartgate run` on a one-lane gate whose
// camera is the demo clip, looped, with the simulated barrier and no uplink, for --minutes; the
// daemon's resident memory (VmRSS of its own process, not ffmpeg's) is sampled every
// --every-seconds. From the built code (npm run build first); run alone, on an idle machine.
//
//   node scripts/soak.mjs [--minutes 60] [--every-seconds 30] [--engine ppocr|platenet]
//                         [--clip FILE] [--json FILE] [--plain-node]
//
// Without --engine the lane takes the configured default (`recognition.engine`), which is what
// the figure is about. Prints the samples as they come and a summary: RSS after the first
// minute, at the end, the largest sampled, the peak between samples too (the kernel's VmHWM),
// and the growth per hour from the first minute to the end (a leak shows as steady growth).
// Loopback only: the status page listens on 127.0.0.1 at a free port.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const fail = (message) => {
  console.error(`soak: ${message}`);
  process.exit(2);
};

let values;
try {
  ({ values } = parseArgs({
    options: {
      minutes: { type: 'string', default: '60' },
      'every-seconds': { type: 'string', default: '30' },
      engine: { type: 'string' },
      clip: { type: 'string', default: join(root, '.cache/demo/lane-1.mp4') },
      json: { type: 'string' },
      'plain-node': { type: 'boolean', default: false },
    },
  }));
} catch (err) {
  fail(err.message);
}
const minutes = Number(values.minutes);
const every = Number(values['every-seconds']);
if (!(minutes > 0 && minutes <= 24 * 60)) fail('--minutes: expected a number of minutes, up to a day');
if (!(every >= 1 && every <= 600)) fail('--every-seconds: expected 1..600');
if (values.engine !== undefined && !['ppocr', 'platenet'].includes(values.engine))
  fail('--engine: expected ppocr or platenet');
const cli = join(root, 'dist/cli/main.js');
if (!existsSync(cli)) fail(`${cli} is missing: run npm run build first`);
if (!existsSync(values.clip)) fail(`no clip at ${values.clip} (npm run demo renders it, or pass --clip FILE)`);

const work = mkdtempSync(join(tmpdir(), 'smartgate-soak-'));
const configFile = join(work, 'gate.json');
// The demo's lane-1 (src/cli/demo.ts), alone: same camera, region and motion threshold.
writeFileSync(
  configFile,
  JSON.stringify({
    site: { id: 'soak', name: 'soak run' },
    dataDir: join(work, 'data'),
    log: { level: 'warn' },
    http: { port: 0, host: '127.0.0.1' },
    lanes: [
      {
        id: 'lane-1',
        direction: 'entry',
        camera: { url: pathToFileURL(resolve(values.clip)).href, fps: 5, width: 1280, height: 720, loop: true },
        roi: { x: 240, y: 280, w: 800, h: 440 },
        recognition: { motion: { threshold: 12 }, ...(values.engine ? { engine: values.engine } : {}) },
        voting: { repeatWindowMs: 20_000 },
        barrier: { driver: 'simulator' },
      },
    ],
  }),
);

// Started as the installed command is, through its #! line (src/cli/main.ts: the runtime's
// memory settings); --plain-node runs `node dist/cli/main.js` without them, for comparison.
const daemon = values['plain-node']
  ? spawn(process.execPath, [cli, 'run', '--config', configFile], { stdio: ['ignore', 'ignore', 'pipe'] })
  : spawn(cli, ['run', '--config', configFile], { stdio: ['ignore', 'ignore', 'pipe'] });
let stderr = '';
daemon.stderr.on('data', (d) => {
  stderr = (stderr + d).slice(-4000);
});
const exited = once(daemon, 'exit');
const samples = [];
const started = Date.now();
try {
  const end = started + minutes * 60_000;
  while (Date.now() < end) {
    const done = await Promise.race([exited.then(() => true), sleep(every * 1000).then(() => false)]);
    if (done) throw new Error(`the daemon stopped after ${((Date.now() - started) / 1000).toFixed(0)} s:\n${stderr}`);
    const rssMb = statusMb(daemon.pid, 'VmRSS');
    // The kernel's high-water mark: the most the process held at any moment, between samples too.
    const peakMb = statusMb(daemon.pid, 'VmHWM');
    const s = { seconds: Math.round((Date.now() - started) / 1000), rssMb, peakMb };
    samples.push(s);
    console.log(`${s.seconds} s\t${rssMb.toFixed(1)} MB\t(peak so far ${peakMb.toFixed(1)} MB)`);
  }
} finally {
  daemon.kill('SIGTERM');
  await Promise.race([exited, sleep(15_000)]);
  rmSync(work, { recursive: true, force: true });
}

const warm = samples.find((s) => s.seconds >= 60) ?? samples[0];
const last = samples.at(-1);
const summary = {
  engine: values.engine ?? 'default',
  started: values['plain-node'] ? 'node dist/cli/main.js' : 'dist/cli/main.js (its #! line)',
  minutes,
  clip: values.clip,
  rssMbAfterFirstMinute: warm.rssMb,
  rssMbAtEnd: last.rssMb,
  rssMbMax: Math.max(...samples.map((s) => s.rssMb)),
  peakMb: last.peakMb,
  growthMbPerHour:
    last.seconds > warm.seconds ? ((last.rssMb - warm.rssMb) * 3600) / (last.seconds - warm.seconds) : null,
  samples,
};
console.log(
  `\nengine ${summary.engine}, ${minutes} min: RSS ${summary.rssMbAfterFirstMinute.toFixed(0)} MB after the first minute, ` +
    `${summary.rssMbAtEnd.toFixed(0)} MB at the end, ${summary.rssMbMax.toFixed(0)} MB at most when sampled, ` +
    `${summary.peakMb.toFixed(0)} MB at its peak (VmHWM)` +
    (summary.growthMbPerHour === null
      ? ''
      : `, ${summary.growthMbPerHour.toFixed(1)} MB an hour from the first minute`),
);
if (values.json) writeFileSync(values.json, `${JSON.stringify(summary, null, 2)}\n`);

/** A memory line of /proc/PID/status (VmRSS, VmHWM: in kB there) in MB. */
function statusMb(pid, field) {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${field}:`));
  if (!line) throw new Error(`no ${field} for process ${pid}`);
  return Number(line.split(/\s+/)[1]) / 1024;
}

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms).unref());
}
