import type { Logger } from '../core/log.js';

export interface Stoppable {
  stop(): Promise<void>;
}

/**
 * Runs until SIGTERM or SIGINT (or `until` resolves), then stops `target` cleanly: cameras'
 * ffmpeg children are ended before the process exits. A second signal while stopping exits at
 * once, for an operator whose Ctrl-C seems stuck.
 */
export function runUntilSignal(target: Stoppable, log: Logger, until?: Promise<unknown>): Promise<number> {
  return new Promise((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals | 'done') => {
      if (stopping) {
        log.warn({ signal }, 'second signal while stopping: exiting now');
        process.exit(130);
      }
      stopping = true;
      log.info({ signal }, 'shutting down');
      target.stop().then(
        () => finish(0),
        (err: unknown) => {
          log.error({ err }, 'shutdown failed');
          finish(1);
        },
      );
    };
    const finish = (code: number) => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      log.info('stopped');
      resolve(code);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    until?.then(() => onSignal('done'));
  });
}
