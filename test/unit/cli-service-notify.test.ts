import { afterEach, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../../src/core/log.js';
import { notifyPlan, serviceNotifier } from '../../src/cli/service-notify.js';

const SOCKET = { NOTIFY_SOCKET: '/run/systemd/notify' };

describe('notifyPlan: what systemd asked the daemon for', () => {
  it('nothing outside systemd, even with a watchdog variable left over', () => {
    expect(notifyPlan({}, 42)).toEqual({ ready: false });
    expect(notifyPlan({ WATCHDOG_USEC: '60000000' }, 42)).toEqual({ ready: false });
  });

  it('READY=1 only, when the unit has no WatchdogSec=', () => {
    expect(notifyPlan(SOCKET, 42)).toEqual({ ready: true });
  });

  it('pings at a third of WatchdogSec=', () => {
    expect(notifyPlan({ ...SOCKET, WATCHDOG_USEC: '60000000' }, 42)).toEqual({
      ready: true,
      watchdogIntervalMs: 20_000,
    });
    expect(notifyPlan({ ...SOCKET, WATCHDOG_USEC: '60000000', WATCHDOG_PID: '42' }, 42)).toEqual({
      ready: true,
      watchdogIntervalMs: 20_000,
    });
  });

  it('no pings for a watchdog meant for another process, or a value that is not a duration', () => {
    expect(notifyPlan({ ...SOCKET, WATCHDOG_USEC: '60000000', WATCHDOG_PID: '7' }, 42)).toEqual({ ready: true });
    for (const bad of ['', '0', '-5', 'abc', '1.5'])
      expect(notifyPlan({ ...SOCKET, WATCHDOG_USEC: bad }, 42)).toEqual({ ready: true });
  });
});

describe('serviceNotifier', () => {
  afterEach(() => vi.useRealTimers());

  it('sends nothing outside systemd', () => {
    const notify = vi.fn(() => Promise.resolve());
    const n = serviceNotifier(silentLogger, {}, notify);
    n.ready();
    n.stop();
    expect(notify).not.toHaveBeenCalled();
  });

  it('READY=1 once up, then a ping each interval until stopped', async () => {
    vi.useFakeTimers();
    const notify = vi.fn((_: string) => Promise.resolve());
    const n = serviceNotifier(
      silentLogger,
      { ...SOCKET, WATCHDOG_USEC: '3000000', WATCHDOG_PID: String(process.pid) },
      notify,
    );
    n.ready();
    expect(notify.mock.calls).toEqual([['READY=1']]);
    await vi.advanceTimersByTimeAsync(1000);
    await vi.advanceTimersByTimeAsync(1000);
    expect(notify.mock.calls).toEqual([['READY=1'], ['WATCHDOG=1'], ['WATCHDOG=1']]);
    n.stop();
    await vi.advanceTimersByTimeAsync(5000);
    expect(notify).toHaveBeenCalledTimes(3);
  });

  it('skips a ping while the last one still waits for systemd, and goes on after a failed one', async () => {
    vi.useFakeTimers();
    let release: () => void = () => {};
    const notify = vi.fn(
      (assignment: string) =>
        new Promise<void>((resolve, reject) => {
          if (assignment === 'READY=1') return reject(new Error('no socket'));
          release = resolve;
        }),
    );
    const n = serviceNotifier(silentLogger, { ...SOCKET, WATCHDOG_USEC: '3000000' }, notify);
    n.ready();
    await vi.advanceTimersByTimeAsync(1000); // ping 1, pending
    await vi.advanceTimersByTimeAsync(1000); // skipped
    expect(notify).toHaveBeenCalledTimes(2);
    release();
    await vi.advanceTimersByTimeAsync(1000); // ping 2
    expect(notify).toHaveBeenCalledTimes(3);
    n.stop();
  });
});
