import { describe, expect, it } from 'vitest';
import { exitCodeFor, formatReport, formatResult, jsonReport, worstSeverity } from '../../src/doctor/report.js';
import { runChecks } from '../../src/doctor/run-checks.js';
import { fail, ok, warn, type Check } from '../../src/doctor/types.js';
import { configSchema } from '../../src/config/index.js';

const good = ok('disk', '10 GB free');
const soso = warn('clock', 'cannot tell', 'compare it');
const bad = fail('broker', 'refused', 'correct the password');

describe('doctor: severity to exit code', () => {
  it('is 0 when every check is ok (or there are none)', () => {
    expect(exitCodeFor([])).toBe(0);
    expect(exitCodeFor([good, good])).toBe(0);
  });

  it('is 1 for a warning without a failure, 3 for any failure (2 is bad options)', () => {
    expect(exitCodeFor([good, soso])).toBe(1);
    expect(exitCodeFor([good, soso, bad])).toBe(3);
    expect(exitCodeFor([bad])).toBe(3);
    expect(worstSeverity([soso, good])).toBe('warn');
  });
});

describe('doctor: output', () => {
  it('prints one line per ok check, and the fix indented below a warning or failure', () => {
    expect(formatResult(good)).toBe('ok   disk: 10 GB free');
    expect(formatResult(bad)).toBe('fail broker: refused\n     fix: correct the password');
    expect(formatReport([good, soso, bad])).toBe(
      'ok   disk: 10 GB free\nwarn clock: cannot tell\n     fix: compare it\nfail broker: refused\n     fix: correct the password\n' +
        '3 checks: 1 ok, 1 warn, 1 fail\n',
    );
  });

  it('gives every result, the worst severity and the exit code as JSON', () => {
    expect(JSON.parse(jsonReport([good, bad]))).toEqual({ severity: 'fail', exitCode: 3, checks: [good, bad] });
  });
});

describe('doctor: running checks', () => {
  const config = configSchema.parse({
    site: { id: 'site-a', name: 'A' },
    lanes: [
      {
        id: 'lane-1',
        name: 'L',
        direction: 'entry',
        camera: { url: 'rtsp://127.0.0.1:1/x' },
        roi: { x: 0, y: 0, w: 10, h: 10 },
      },
    ],
  });
  const ctx = { config, configPath: 'gate.yaml', snapshotDir: '/tmp' };

  it('reports a check that overruns its time as a failure, and tells it to stop', async () => {
    let aborted = false;
    const slow: Check = {
      name: 'slow',
      timeoutMs: 50,
      run: ({ signal }) => new Promise(() => signal.addEventListener('abort', () => (aborted = true))),
    };
    const quick: Check = { name: 'quick', timeoutMs: 1000, run: async () => good };
    const results = await runChecks([slow, quick], ctx);
    expect(results.map((r) => [r.name, r.severity])).toEqual([
      ['slow', 'fail'],
      ['disk', 'ok'],
    ]);
    expect(results[0]!.detail).toBe('no result within 0.05 s');
    expect(aborted).toBe(true);
  });

  it('reports a check that throws as a failure with its error, and runs the others', async () => {
    const broken: Check = { name: 'broken', timeoutMs: 1000, run: async () => Promise.reject(new Error('boom')) };
    const results = await runChecks([broken, { name: 'quick', timeoutMs: 1000, run: async () => soso }], ctx);
    expect(results[0]).toMatchObject({ name: 'broken', severity: 'fail', detail: 'the check itself failed: boom' });
    expect(results[1]).toBe(soso);
  });
});
