import { describe, expect, it } from 'vitest';
import { FakeClock } from '../helpers/fake-clock.js';
import type { Logger } from '../../src/core/log.js';
import { LogThrottle } from '../../src/uplink/log-throttle.js';

function recordingLogger(lines: { level: string; obj: unknown; msg?: string }[]): Logger {
  const log = (level: string) => (obj: object | string, msg?: string) => lines.push({ level, obj, msg });
  const logger: Logger = {
    debug: log('debug'),
    info: log('info'),
    warn: log('warn'),
    error: log('error'),
    child: () => logger,
  };
  return logger;
}

describe('LogThrottle', () => {
  it('logs at most perWindow lines per window and says how many it left out', () => {
    const clock = new FakeClock();
    const lines: { level: string; obj: unknown; msg?: string }[] = [];
    const throttle = new LogThrottle(clock, recordingLogger(lines), { perWindow: 3, windowMs: 1000 });
    for (let i = 0; i < 1000; i++) throttle.warn({ i }, 'refused');
    expect(lines.map((l) => l.obj)).toEqual([{ i: 0 }, { i: 1 }, { i: 2 }]);

    clock.advance(1000);
    throttle.info({ i: 1000 }, 'done');
    expect(lines.at(-1)).toEqual({ level: 'info', obj: { i: 1000, suppressedBefore: 997 }, msg: 'done' });
    throttle.warn({ i: 1001 }, 'refused');
    expect(lines.at(-1)).toEqual({ level: 'warn', obj: { i: 1001 }, msg: 'refused' });
  });
});
