import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { ffmpegInputArgs, redactCredentials, type FfmpegInput } from '../../camera/ffmpeg-args.js';
import type { LaneConfig } from '../../config/index.js';
import { fail, ok, type Check } from '../types.js';

const TIMEOUT_MS = 20_000;
/** ffmpeg's own limit, inside the check's: a camera that never answers gets its own words. */
const FRAME_WAIT_MS = 15_000;

/**
 * A lane's camera delivers frames: ffmpeg reads it as the daemon does (same input options) and
 * writes its first frame as a JPEG into the snapshot folder, for a person to see that it is the
 * right camera, aimed at the lane.
 */
export function cameraCheck(lane: LaneConfig): Check {
  const name = `camera ${lane.id}`;
  const { url, width, height } = lane.camera;
  const shown = redactCredentials(url);
  return {
    name,
    timeoutMs: TIMEOUT_MS,
    async run({ snapshotDir, signal }) {
      let input: FfmpegInput;
      if (url.startsWith('file:')) {
        const path = fileURLToPath(url);
        const info = await stat(path).catch(() => null);
        if (!info) return fail(name, `${path} does not exist`, `correct lanes[${lane.id}].camera.url`);
        if (info.isDirectory()) {
          const images = (await readdir(path)).filter((f) => /\.(jpe?g|png)$/i.test(f)).length;
          return images
            ? ok(name, `image folder ${path} with ${images} images`)
            : fail(name, `image folder ${path} has no .jpg or .png images`, 'put the images there, or correct the url');
        }
        input = { kind: 'clip', path, loop: false };
      } else input = { kind: 'rtsp', url };
      const snapshot = join(snapshotDir, `${lane.id}.jpg`);
      await rm(snapshot, { force: true }); // never a stale one from an earlier run
      const started = performance.now();
      const result = await grabFrame(input, snapshot, signal);
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      if (!result.ok) return fail(name, `${shown}: no frame: ${result.error}`, cameraFix(result.error, lane.id));
      const meta = await sharp(snapshot).metadata();
      const size = `${meta.width}x${meta.height}`;
      const scaled = meta.width === width && meta.height === height ? '' : ` (decoded at ${width}x${height})`;
      return ok(name, `${size} frame${scaled} in ${seconds} s, snapshot ${snapshot}`);
    },
  };
}

/** What an installer does about ffmpeg's last error line. */
function cameraFix(error: string, laneId: string): string {
  if (/401|unauthorized/i.test(error))
    return `the camera refused the login: correct user:password in lanes[${laneId}].camera.url`;
  if (/404|not found/i.test(error))
    return `the camera has no such stream: correct the path in lanes[${laneId}].camera.url (see the camera's manual)`;
  if (/no frame within/.test(error))
    return `nothing answered: check the camera's address and port in lanes[${laneId}].camera.url, that it is powered, and that this computer reaches it (ping it)`;
  return `check the camera is powered and on the network (ping it), and lanes[${laneId}].camera.url`;
}

/** One frame from `input` into `out` (JPEG), or the reason there is none. */
function grabFrame(
  input: FfmpegInput,
  out: string,
  signal: AbortSignal,
): Promise<{ ok: true } | { ok: false; error: string }> {
  const args = [...ffmpegInputArgs(input), '-an', '-frames:v', '1', '-q:v', '3', '-y', out];
  return new Promise((resolve) => {
    const child = spawn('ffmpeg', args, { stdio: ['ignore', 'ignore', 'pipe'], signal, killSignal: 'SIGKILL' });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
    child.on('error', (err) =>
      resolve({ ok: false, error: signal.aborted ? 'timed out' : redactCredentials(err.message) }),
    );
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve({ ok: false, error: `no frame within ${FRAME_WAIT_MS / 1000} s` });
    }, FRAME_WAIT_MS);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0 && existsSync(out)) return resolve({ ok: true });
      if (code === 0) return resolve({ ok: false, error: 'the stream ended before its first frame' });
      // ffmpeg starts its line with the input's URL, already shown beside the error.
      const last = (stderr.trim().split('\n').pop() ?? '').replace(/^\S+:\/\/\S*: /, '');
      resolve({ ok: false, error: redactCredentials(last || `ffmpeg exited ${code}`) });
    });
  });
}
