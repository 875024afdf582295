#!/usr/bin/env node
// CPU of a lane's two ffmpeg processes, from the built code (npm run build first): the camera's
// decode (raw RGB at the lane's fps, always running) and the status page's live video (MPEG-1
// for JSMpeg, running while at least one operator watches the lane). Each runs on the demo clip
// at real time with the daemon's exact command line (src/camera/ffmpeg-args.ts,
// src/web/live-video.ts), its output read and discarded as fast as it comes; its CPU time is
// read from /proc/PID/stat over a window after a warm-up. Run alone, on an idle machine.
//
//   node scripts/bench-live-video.mjs [--clip FILE] [--seconds 20] [--fps 5] [--max-width 960]
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const fail = (message) => {
  console.error(`bench-live-video: ${message}`);
  process.exit(2);
};
let values;
try {
  ({ values } = parseArgs({
    options: {
      clip: { type: 'string', default: join(root, '.cache/demo/lane-1.mp4') },
      seconds: { type: 'string', default: '20' },
      fps: { type: 'string', default: '5' },
      'max-width': { type: 'string', default: '960' },
    },
  }));
} catch (err) {
  fail(err.message);
}
const seconds = Number(values.seconds);
const fps = Number(values.fps);
const maxWidth = Number(values['max-width']);
if (!(seconds >= 5 && seconds <= 600)) fail(`--seconds: expected 5..600, got ${values.seconds}`);
if (!(fps >= 1 && fps <= 30)) fail(`--fps: expected 1..30 (the camera's fps setting), got ${values.fps}`);
if (!(Number.isInteger(maxWidth) && maxWidth >= 2))
  fail(`--max-width: expected a whole number of pixels, got ${values['max-width']}`);
if (!existsSync(values.clip)) fail(`no clip at ${values.clip}: run scripts/setup.sh (it renders the demo clip)`);
if (!existsSync(join(root, 'dist/web/live-video.js'))) fail('dist/ is missing: run npm run build first');

const { ffmpegArgs } = await import(new URL('dist/camera/ffmpeg-args.js', `file://${root}/`).href);
const { liveVideoArgs, liveVideoSize } = await import(new URL('dist/camera/live-stream.js', `file://${root}/`).href);

const WIDTH = 1280;
const HEIGHT = 720;
const WARM_UP_S = 2;
const TICKS_PER_S = 100; // USER_HZ on Linux
const input = { kind: 'clip', path: values.clip, loop: true };

/** utime + stime of a process in seconds, and its resident memory in MB. */
function usage(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpu = (Number(fields[11]) + Number(fields[12])) / TICKS_PER_S;
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  return { cpu, rssMb: rssKb / 1024 };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Runs ffmpeg with `args` for the warm-up plus `seconds`; CPU share of one core and output rate over the window. */
async function measure(args) {
  const proc = spawn('/usr/bin/ffmpeg', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let bytes = 0;
  let stderr = '';
  proc.stdout.on('data', (chunk) => (bytes += chunk.length));
  proc.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise((r) => proc.once('close', r));
  try {
    await sleep(WARM_UP_S * 1000);
    if (proc.exitCode !== null) throw new Error(`ffmpeg exited: ${stderr.trim()}`);
    const start = { ...usage(proc.pid), bytes, at: performance.now() };
    let peakRss = start.rssMb;
    const end = start.at + seconds * 1000;
    while (performance.now() < end) {
      await sleep(500);
      peakRss = Math.max(peakRss, usage(proc.pid).rssMb);
    }
    const stop = { ...usage(proc.pid), bytes, at: performance.now() };
    const wall = (stop.at - start.at) / 1000;
    return {
      cpuPercent: (100 * (stop.cpu - start.cpu)) / wall,
      kbitPerS: ((stop.bytes - start.bytes) * 8) / 1000 / wall,
      peakRssMb: peakRss,
    };
  } finally {
    proc.kill('SIGTERM');
    await exited;
  }
}

const size = liveVideoSize(WIDTH, HEIGHT, maxWidth);
const rows = [
  [`camera decode (RGB ${WIDTH}x${HEIGHT} at ${fps} fps)`, ffmpegArgs({ input, fps, width: WIDTH, height: HEIGHT })],
  [`live video (MPEG-1 ${size.width}x${size.height} at 25 fps, 1000k)`, liveVideoArgs(input, size)],
];
console.log(
  `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} CPUs; ${seconds} s each after a ${WARM_UP_S} s warm-up; clip ${values.clip}`,
);
console.log('\n| ffmpeg | CPU (% of one core) | output | peak RSS |\n| --- | --- | --- | --- |');
for (const [name, args] of rows) {
  const r = await measure(args);
  const output = r.kbitPerS >= 10_000 ? `${(r.kbitPerS / 1000).toFixed(0)} Mbit/s` : `${r.kbitPerS.toFixed(0)} kbit/s`;
  console.log(`| ${name} | ${r.cpuPercent.toFixed(1)} | ${output} | ${r.peakRssMb.toFixed(0)} MB |`);
}
