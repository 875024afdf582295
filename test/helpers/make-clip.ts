import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

export interface TestClip {
  /** The .mp4 (H.264, yuv420p, a keyframe every second). */
  path: string;
  dir: string;
  remove(): Promise<void>;
}

export interface MakeClipOptions {
  seconds?: number;
  fps?: number;
  width?: number;
  height?: number;
}

/** Renders ffmpeg's moving test pattern into a small H.264 clip in a fresh temp dir. */
export async function makeClip({
  seconds = 10,
  fps = 10,
  width = 640,
  height = 360,
}: MakeClipOptions = {}): Promise<TestClip> {
  const dir = await mkdtemp(join(tmpdir(), 'smartgate-clip-'));
  const path = join(dir, 'clip.mp4');
  // Keyframe every second: an RTSP client that joins or rejoins mid-stream can start quickly.
  await promisify(execFile)('/usr/bin/ffmpeg', [
    ...['-hide_banner', '-nostdin', '-loglevel', 'error'],
    ...['-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}:rate=${fps}`, '-t', String(seconds)],
    ...['-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', '-g', String(fps), path],
  ]);
  return { path, dir, remove: () => rm(dir, { recursive: true, force: true }) };
}
