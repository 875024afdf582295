import type { Logger } from '../core/log.js';

export interface Lifecycle {
  /** Brings the target up; signals that arrive meanwhile are held until it is up. */
  start?(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts `target`, runs until SIGTERM or SIGINT (or `until` settles), then stops it cleanly:
 * cameras' ffmpeg children are ended before the process exits. The handlers are in place before
 * the start: a signal while starting (a lane can already be reading then) is held and the target
 * stopped as soon as it is up, instead of the default action killing the process with its
 * children orphaned. A second signal while starting or stopping exits at once, for an operator
 * whose Ctrl-C seems stuck. A start that fails stops what did start, then rejects.
 */
export function runUntilSignal(target: Lifecycle, log: Logger, until?: Promise<unknown>): Promise<number> {
  return new Promise((resolve, reject) => {
    let phase: 'starting' | 'running' | 'stopping' = 'starting';
    let stopWhenStarted = false;
    const detach = () => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
    };
    const stop = () => {
      phase = 'stopping';
      target.stop().then(
        () => finish(0),
        (err: unknown) => {
          log.error({ err }, 'shutdown failed');
          finish(1);
        },
      );
    };
    const onSignal = (signal: NodeJS.Signals | 'done') => {
      if (phase === 'stopping' || stopWhenStarted) {
        log.warn({ signal }, 'second signal while stopping: exiting now');
        process.exit(130);
      }
      log.info({ signal }, 'shutting down');
      if (phase === 'starting') stopWhenStarted = true;
      else stop();
    };
    const finish = (code: number) => {
      detach();
      log.info('stopped');
      resolve(code);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    // Settled either way, `until` ends the run: a rejection is not left unhandled (it would kill
    // the process with the cameras' children orphaned), and one while starting is not missed.
    let untilSettled = false;
    const onUntil = () => {
      untilSettled = true;
      if (phase === 'running') onSignal('done');
    };
    until?.then(onUntil, onUntil);
    (target.start?.() ?? Promise.resolve()).then(
      () => {
        if (stopWhenStarted) return stop();
        phase = 'running';
        if (untilSettled) onSignal('done');
      },
      (err: unknown) => {
        phase = 'stopping';
        target.stop().then(
          () => (detach(), reject(err)),
          (stopErr: unknown) => {
            log.error({ err: stopErr }, 'stop after a failed start failed');
            detach();
            reject(err);
          },
        );
      },
    );
  });
}
