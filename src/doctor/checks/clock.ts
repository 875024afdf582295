import { execFile } from 'node:child_process';
import { fail, ok, warn, type Check } from '../types.js';

/**
 * The clock is synchronised by NTP, as systemd sees it: central's commands are refused when
 * their time is too far from the gate's, list ages are judged by it, and events carry it.
 */
export function clockCheck(): Check {
  const name = 'clock';
  return {
    name,
    timeoutMs: 5000,
    run: ({ signal }) =>
      new Promise((resolve) => {
        execFile('timedatectl', ['show', '-p', 'NTPSynchronized', '--value'], { signal }, (err, stdout, stderr) => {
          const now = new Date().toISOString();
          const answer = stdout.trim();
          if (err || (answer !== 'yes' && answer !== 'no')) {
            const why = err
              ? (err as NodeJS.ErrnoException).code === 'ENOENT'
                ? 'no timedatectl'
                : (stderr.trim().split('\n').pop() ?? err.message)
              : `timedatectl said "${answer}"`;
            return resolve(
              warn(
                name,
                `cannot tell whether the clock is synchronised (${why}); it reads ${now}`,
                'compare it with a trusted clock; on systemd, enable NTP with timedatectl set-ntp true',
              ),
            );
          }
          resolve(
            answer === 'yes'
              ? ok(name, `synchronised by NTP, ${now}`)
              : fail(
                  name,
                  `not synchronised by NTP; it reads ${now}`,
                  "timedatectl set-ntp true, and let this computer reach an NTP server (timedatectl timesync-status); central's commands are refused on a clock that is off",
                ),
          );
        });
      }),
  };
}
