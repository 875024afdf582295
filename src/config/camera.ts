import { z } from 'zod';
import { integer, positiveMs } from './fields.js';
import { backoffInverted, reportProblems } from './rules.js';

/** `rtsp://` and `rtsps://` are IP cameras; `file:` is a recorded clip or a folder of images. */
export const CAMERA_URL_SCHEME = /^(rtsps?:\/\/|file:)/;
export const CAMERA_URL_MESSAGE = 'expected rtsp://, rtsps:// or file:';

/** `fileURLToPath` reads `file:clips/a.mp4` as `/clips/a.mp4`, so only absolute paths are allowed. */
const ABSOLUTE_FILE_URL = /^file:(\/(?!\/)|\/\/\/|\/\/localhost\/)/;

/** What is wrong with the part after the scheme, or null; other schemes are left to the regex. */
export function cameraUrlAddressProblem(url: string): string | null {
  if (url.startsWith('file:') && !ABSOLUTE_FILE_URL.test(url)) {
    return 'expected an absolute path after file: (e.g. file:///srv/clips/lane1.mp4)';
  }
  if (/^rtsps?:\/\/$/.test(url)) return 'expected a camera address after the scheme';
  return null;
}

const cameraUrl = z
  .string()
  .regex(CAMERA_URL_SCHEME, { error: CAMERA_URL_MESSAGE })
  .superRefine((url, ctx) => {
    const problem = cameraUrlAddressProblem(url);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

export const backoffSchema = z
  .strictObject({
    initialMs: positiveMs().default(1000).describe('Wait before the first reconnect attempt, in ms.'),
    maxMs: positiveMs()
      .default(30_000)
      .describe('Longest wait between reconnect attempts, in ms; the wait doubles up to this.'),
  })
  .superRefine((backoff, ctx) => reportProblems(ctx, backoffInverted(backoff)))
  .prefault({})
  .describe('How long to wait before restarting the stream after it failed or stalled.');

export const cameraSchema = z
  .strictObject({
    url: cameraUrl.describe(
      'Where frames come from: an RTSP stream (`rtsp://user:pass@192.168.10.21:554/...`, `rtsps://...`), ' +
        'or a `file:` URL with the absolute path of a video clip or of a folder of images (`file:///srv/clips/lane1.mp4`; for tests and demos).',
    ),
    fps: integer()
      .min(1)
      .max(30)
      .default(5)
      .describe('Frames decoded per second, 1..30. Plates need few; more costs CPU.'),
    width: integer().min(16).max(7680).default(1280).describe('Width in pixels that frames are decoded (scaled) to.'),
    height: integer().min(16).max(4320).default(720).describe('Height in pixels that frames are decoded (scaled) to.'),
    stallTimeoutMs: positiveMs()
      .default(10_000)
      .describe('Watchdog: no frame for this long (ms) means the stream stalled, and it is restarted.'),
    backoff: backoffSchema,
    loop: z.boolean().default(true).describe('For `file:` sources: start again at the end instead of stopping.'),
  })
  .describe('The lane camera.');

export type CameraConfig = z.infer<typeof cameraSchema>;
export type BackoffConfig = z.infer<typeof backoffSchema>;
