import { describe, expect, it } from 'vitest';
import { judgeRuntime, runtimeCheck } from '../../src/doctor/checks/runtime.js';

// Which Node.js a gate may be left running on: an LTS line before its end of life.

const on = (day: string) => new Date(`${day}T12:00:00Z`);

describe('doctor: runtime', () => {
  it.each([
    // version, LTS name, day, severity, detail
    ['v24.22.3', 'Krypton', '2026-12-06', 'ok', 'Node.js v24.22.3 (Krypton LTS, maintained until 2028-04-30)'],
    ['v22.23.5', 'Jod', '2026-12-06', 'ok', 'Node.js v22.23.5 (Jod LTS, maintained until 2027-04-30)'],
    ['v22.23.5', 'Jod', '2027-04-30', 'ok', 'Node.js v22.23.5 (Jod LTS, maintained until 2027-04-30)'],
    [
      'v22.23.5',
      'Jod',
      '2027-05-01',
      'warn',
      'Node.js v22.23.5 (Jod LTS) reached its end of life on 2027-04-30: no more security fixes',
    ],
    [
      'v20.20.2',
      'Iron',
      '2026-12-06',
      'warn',
      'Node.js v20.20.2 (Iron LTS) reached its end of life on 2026-04-30: no more security fixes',
    ],
    ['v20.20.2', 'Iron', '2026-04-01', 'ok', 'Node.js v20.20.2 (Iron LTS, maintained until 2026-04-30)'],
    [
      'v26.12.1',
      undefined,
      '2026-12-06',
      'warn',
      'Node.js v26.12.1 is not an LTS release: it gets fixes for months, not years',
    ],
    [
      'v25.1.0',
      undefined,
      '2026-12-06',
      'warn',
      'Node.js v25.1.0 is not an LTS release: it gets fixes for months, not years',
    ],
    // A later LTS line than this smartgate knows: its end of life is not in the table.
    ['v28.1.0', 'Zeta', '2029-01-01', 'ok', 'Node.js v28.1.0 (Zeta LTS)'],
  ] as const)('%s (%s) on %s: %s', (version, lts, day, severity, detail) => {
    const result = judgeRuntime('runtime', { version, lts }, on(day));
    expect(result).toMatchObject({ name: 'runtime', severity, detail });
    expect(result.fix === '').toBe(severity === 'ok');
    if (severity === 'warn') expect(result.fix).toContain('install.sh --tarball RELEASE --node lts');
  });

  it('judges the Node.js it runs on', async () => {
    const check = runtimeCheck(() => on('2026-12-06'));
    const result = await check.run({} as never);
    expect(result.detail).toContain(`Node.js ${process.version}`);
  });
});
