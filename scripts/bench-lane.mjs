#!/usr/bin/env node
// The lane test track: plays the track clip (scripts/render-demo-clip.mjs --scene track, rendered
// here when missing) once through the real lane (scripts/lib/lane-track.mjs: camera, motion
// gate, voting, decisions, the simulated barrier and loop) and reports per vehicle whether it was
// decided right, decided wrong or missed, and the time from the first frame in which its plates
// are readable to the decision; then totals, per condition, and the median and p95 of that time.
//
//   npm run bench:lane [-- --engine ppocr|platenet] [--models-dir DIR] [--second-read on|off]
//                      [--second-reader on|off]
//                      [--clip FILE.mp4] [--vehicles N] [--json FILE]
//
// The clip plays in real time (35 vehicles: about 3 minutes). Loopback only: no broker, no page.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { formatReport, runLaneTrack } from './lib/lane-track.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ENGINES = ['ppocr', 'platenet'];
let values;
try {
  ({ values } = parseArgs({
    options: {
      engine: { type: 'string' },
      'models-dir': { type: 'string' },
      'second-read': { type: 'string' },
      'second-reader': { type: 'string' },
      clip: { type: 'string' },
      // A shorter track (its first N vehicles), rendered to its own file: a quick look.
      vehicles: { type: 'string' },
      json: { type: 'string' },
      'log-level': { type: 'string', default: 'error' },
    },
  }));
} catch (err) {
  fail(err.message);
}
if (values.engine !== undefined && !ENGINES.includes(values.engine)) fail(`--engine: expected ${ENGINES.join(' or ')}`);
if (values['second-read'] !== undefined && !['on', 'off'].includes(values['second-read']))
  fail('--second-read: expected on or off');
if (values['second-reader'] !== undefined && !['on', 'off'].includes(values['second-reader']))
  fail('--second-reader: expected on or off');
// Only the lane's own recognition settings: whatever is not given is the config's default.
const recognition = {
  ...(values.engine ? { engine: values.engine } : {}),
  ...(values['models-dir'] ? { modelsDir: resolve(values['models-dir']) } : {}),
  ...(values['second-read'] ? { secondRead: values['second-read'] === 'on' } : {}),
  ...(values['second-reader'] ? { secondReader: values['second-reader'] === 'on' } : {}),
};
const vehicles = values.vehicles === undefined ? undefined : Number(values.vehicles);
if (vehicles !== undefined && !(Number.isInteger(vehicles) && vehicles >= 1)) fail('--vehicles: expected a count');
if (!existsSync(join(root, 'dist/gate/build-gate.js'))) fail('dist/ is missing: run npm run build first');

const renderer = join(root, 'scripts/render-demo-clip.mjs');
const clip = resolve(values.clip ?? join(root, '.cache/demo', vehicles ? `track-${vehicles}.mp4` : 'track.mp4'));
const sidecarPath = clip.replace(/\.mp4$/i, '') + '.json';
// Rendered when missing, and again when the renderer or its modules changed since (as set-up does the demo clips).
const sources = ['scripts/render-demo-clip.mjs', 'scripts/lib/clip-conditions.mjs', 'scripts/lib/track-vehicles.mjs'];
const stale =
  !existsSync(clip) ||
  !existsSync(sidecarPath) ||
  (!values.clip && sources.some((s) => statSync(join(root, s)).mtimeMs > statSync(clip).mtimeMs));
if (stale) {
  if (values.clip) fail(`--clip: ${clip} or its sidecar ${sidecarPath} is missing`);
  console.error(`bench-lane: rendering the track clip ${clip}`);
  mkdirSync(dirname(clip), { recursive: true });
  execFileSync(
    process.execPath,
    [renderer, '--scene', 'track', '--out', clip, ...(vehicles ? ['--vehicles', String(vehicles)] : [])],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
}
const sidecar = JSON.parse(readFileSync(sidecarPath, 'utf8'));

console.error(
  `bench-lane: playing ${sidecar.vehicles.length} vehicles (${sidecar.durationSeconds} s) through the lane${values.engine ? ` with ${values.engine}` : ''}`,
);
const report = await runLaneTrack({ clip, sidecar, recognition, logLevel: values['log-level'] });
const machine = {
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  node: process.version,
  date: new Date().toISOString(),
};
console.log(formatReport(report));
if (values.json) {
  mkdirSync(dirname(resolve(values.json)), { recursive: true });
  writeFileSync(values.json, JSON.stringify({ machine, ...report }, null, 2) + '\n');
  console.error(`bench-lane: wrote ${values.json}`);
}

function fail(message) {
  console.error(`bench-lane: ${message}`);
  process.exit(2);
}
