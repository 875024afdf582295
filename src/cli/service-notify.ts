import { spawn } from 'node:child_process';
import type { Logger } from '../core/log.js';

/**
 * Start-up and watchdog notifications to systemd (packaging/smartgate.service: Type=notify,
 * WatchdogSec=, NotifyAccess=all). Node cannot send on systemd's unix datagram socket itself, and
 * the npm bindings are native modules, so each message is one run of systemd's own
 * `systemd-notify`. It waits until systemd has taken the message (its default, no --no-block), so
 * the message is not lost to the race of a helper that exits before systemd reads it. A ping comes
 * from a timer on the daemon's event loop: a loop that is stuck sends none, and systemd restarts it.
 */

/** What the service manager asked for, read from the environment it started the daemon with. */
export interface NotifyPlan {
  /** Under systemd with Type=notify: say when the gate is up. */
  ready: boolean;
  /** Ping this often (ms), or never when the unit has no WatchdogSec=. */
  watchdogIntervalMs?: number;
}

/** Pings at a third of WatchdogSec=: one ping lost or late does not get the daemon restarted. */
const PINGS_PER_PERIOD = 3;

export function notifyPlan(env: NodeJS.ProcessEnv, pid: number): NotifyPlan {
  if (!env['NOTIFY_SOCKET']) return { ready: false };
  const usec = Number(env['WATCHDOG_USEC']);
  // WATCHDOG_PID names the process the watchdog is for: a child that inherited the variables is not.
  const watchdogPid = env['WATCHDOG_PID'];
  const forUs = watchdogPid === undefined || Number(watchdogPid) === pid;
  if (!Number.isSafeInteger(usec) || usec <= 0 || !forUs) return { ready: true };
  return { ready: true, watchdogIntervalMs: Math.max(1, Math.floor(usec / 1000 / PINGS_PER_PERIOD)) };
}

/** Sends one message (e.g. `READY=1`); resolves when it was sent, rejects when it could not be. */
export type Notify = (assignment: string) => Promise<void>;

/** Runs systemd-notify with `env`, the environment that names systemd's socket (NOTIFY_SOCKET). */
export const systemdNotify =
  (env: NodeJS.ProcessEnv): Notify =>
  (assignment) =>
    new Promise((resolve, reject) => {
      const child = spawn('systemd-notify', [assignment], { env, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      child.on('error', reject);
      child.on('close', (code) =>
        code === 0 ? resolve() : reject(new Error(`systemd-notify ${assignment}: exit ${code} ${stderr.trim()}`)),
      );
    });

export interface ServiceNotifier {
  /** The gate is up: READY=1, then the watchdog's pings. */
  ready(): void;
  /** Stopping: no more pings. */
  stop(): void;
}

/** Does nothing outside systemd (no NOTIFY_SOCKET), as under `npm run demo` or a shell. */
export function serviceNotifier(
  log: Logger,
  env: NodeJS.ProcessEnv = process.env,
  notify: Notify = systemdNotify(env),
): ServiceNotifier {
  const plan = notifyPlan(env, process.pid);
  let timer: NodeJS.Timeout | undefined;
  let inFlight = false;
  const send = (assignment: string) => {
    // A ping still waiting for systemd is enough: no pile of helpers when systemd is slow.
    if (inFlight) return;
    inFlight = true;
    notify(assignment).then(
      () => (inFlight = false),
      (err: unknown) => {
        inFlight = false;
        log.warn({ err }, `service manager notification ${assignment} failed`);
      },
    );
  };
  return {
    ready() {
      if (!plan.ready) return;
      send('READY=1');
      if (plan.watchdogIntervalMs === undefined) return;
      log.info({ intervalMs: plan.watchdogIntervalMs }, 'systemd watchdog: pinging');
      timer = setInterval(() => send('WATCHDOG=1'), plan.watchdogIntervalMs);
      timer.unref();
    },
    stop() {
      clearInterval(timer);
      timer = undefined;
    },
  };
}
