/** Where ffmpeg reads from: a live RTSP camera, or a video file (the demo and tests). */
export type FfmpegInput =
  | { kind: 'rtsp'; url: string }
  /** Played at real time (`-re`), from the start again at the end when `loop`. */
  | { kind: 'clip'; path: string; loop: boolean };

export interface FfmpegArgsOptions {
  input: FfmpegInput;
  fps: number;
  width: number;
  height: number;
}

/**
 * The ffmpeg command line (without the program name) that decodes the input to packed RGB24
 * frames of exactly width×height at `fps`, written back to back on stdout.
 */
export function ffmpegArgs({ input, fps, width, height }: FfmpegArgsOptions): string[] {
  for (const [name, value] of [
    ['width', width],
    ['height', height],
  ] as const) {
    if (!Number.isInteger(value) || value <= 0)
      throw new RangeError(`${name} must be a positive integer, got ${value}`);
  }
  if (!(fps > 0) || !Number.isFinite(fps)) throw new RangeError(`fps must be positive, got ${fps}`);
  return [
    ...ffmpegInputArgs(input),
    ...['-an', '-sn', '-dn'],
    ...['-vf', `fps=${fps},scale=${width}:${height}`],
    ...['-pix_fmt', 'rgb24', '-f', 'rawvideo', 'pipe:1'],
  ];
}

/**
 * The first half of an ffmpeg command line, up to and including `-i <input>`: how every ffmpeg we
 * run logs and reads a camera or clip. Output options follow it.
 */
export function ffmpegInputArgs(input: FfmpegInput): string[] {
  const inputArgs =
    input.kind === 'rtsp'
      ? // TCP: no UDP ports to open through the gate's firewall, and no lost packets smearing plates.
        ['-rtsp_transport', 'tcp', '-i', input.url]
      : ['-re', ...(input.loop ? ['-stream_loop', '-1'] : []), '-i', input.path];
  return [
    // No banner or progress; only errors on stderr, so its last line is the reason ffmpeg failed.
    ...['-hide_banner', '-nostats', '-loglevel', 'error'],
    // Never read our stdin (ffmpeg would otherwise treat it as keyboard commands).
    '-nostdin',
    ...inputArgs,
  ];
}

/** Hides the user:password part of URLs (camera credentials) in text meant for logs and stats. */
export function redactCredentials(text: string): string {
  // Up to the last '@' before the host: passwords may contain '@' (a '/' would be escaped).
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^\s/]*@/gi, '$1***@');
}
