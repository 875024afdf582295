import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/log.js';
import { storeSchema } from '../../src/config/store.js';
import { openStore } from '../../src/store/store.js';
import { builtCli, demoClips } from '../helpers/demo-clip.js';
import { waitFor } from '../helpers/processes.js';

// The demo's yard between lane-1 (entry) and lane-2 (exit), as `smartgate demo` plays it from
// its two clips (docs/demo-clip.md has the timeline): it fills, the blue car is held
// `yard-full`, the truck leaves through lane-2 and the held car is let in by itself, and the
// car that stays longest raises `yard.overstay`; lane-2 lets the undeclared blue car out,
// flagged for the post-check. The demo runs until that overstay is printed.

interface Row {
  eventId: string;
  laneId: string;
  type: string;
  payload: Record<string, unknown>;
}

let dataDir: string;

beforeAll(async () => {
  await demoClips();
  dataDir = mkdtempSync(join(tmpdir(), 'smartgate-demo-yard-'));
});

afterAll(() => {
  rmSync(dataDir, { recursive: true, force: true });
});

describe('smartgate demo: the yard', () => {
  it('fills, holds an arrival yard-full, lets it in when a vehicle leaves through lane-2, and alarms an overstay', async () => {
    const demo = spawn(
      process.execPath,
      [builtCli(), 'demo', '--seconds', '100', '--data-dir', dataDir, '--http-port', '0'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    demo.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    demo.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const closed = new Promise<number | null>((resolve) => demo.once('close', (code) => resolve(code)));
    try {
      await waitFor(
        () => /^ +yard demo-yard: OVERSTAY /m.test(stdout) || demo.exitCode !== null,
        95_000,
        'an overstay in the printout',
      );
      demo.kill('SIGINT');
      expect(await closed, stderr).toBe(0);
    } finally {
      if (demo.exitCode === null && demo.signalCode === null) demo.kill('SIGKILL');
    }

    // The printout: the yard as the demo starts, then its occupancy as it changes, the hold, the
    // release and the overstay.
    expect(stdout).toMatch(/^yard demo-yard: 1\/3 inside — 云A68420 \(for \d+ s\); overstay after 24 s$/m);
    expect(stdout).toMatch(/^ +yard demo-yard: 3\/3 inside \(full\) — \S+ entered via lane-1$/m);
    expect(stdout).toMatch(/^ +→ HOLD yard-full: Demo yard is full \(3 of 3 inside\); the lists allow /m);
    expect(stdout).toMatch(/^ +yard demo-yard: [0-2]\/3 inside — \S+ left via lane-2( \(read as \S+\))? after \d+ s$/m);
    expect(stdout).toMatch(/^ +lane-1: \S+ let in: a place in the yard freed up$/m);
    expect(stdout).toMatch(/^ +yard demo-yard: OVERSTAY \S+ has been inside for \d+ s \(over 24 s\)$/m);

    // The events, in the order recorded.
    const store = openStore(
      { clock: systemClock, log: silentLogger },
      { dataDir, siteId: 'demo', config: storeSchema.parse({}) },
    );
    const rows = (
      store.db.prepare('SELECT event_id, lane_id, type, payload FROM events ORDER BY rowid').all() as {
        event_id: string;
        lane_id: string;
        type: string;
        payload: string;
      }[]
    ).map((r): Row => ({ eventId: r.event_id, laneId: r.lane_id, type: r.type, payload: JSON.parse(r.payload) }));
    store.close();
    const at = (find: (r: Row) => boolean, from = 0) => rows.findIndex((r, i) => i >= from && find(r));

    // The truck the clips start with, added as a recorded correction.
    expect(rows.find((r) => r.type === 'yard.entered')).toMatchObject({
      laneId: 'gate',
      payload: { yardId: 'demo-yard', plate: '云A68420', how: 'correction' },
    });
    const entered = at((r) => r.type === 'yard.entered' && r.laneId === 'lane-1');
    expect(entered).toBeGreaterThan(-1);
    expect(rows[entered]!.payload).toMatchObject({ yardId: 'demo-yard', how: 'lane', capacity: 3 });

    // An allowed vehicle held for want of room...
    const hold = at((r) => r.type === 'decision' && r.laneId === 'lane-1' && r.payload.reason === 'yard-full');
    expect(hold, 'a yard-full hold').toBeGreaterThan(-1);
    const holdId = rows[hold]!.eventId;
    // ...then a vehicle leaving through lane-2...
    const left = at((r) => r.type === 'yard.left' && r.laneId === 'lane-2', hold);
    expect(left, 'a yard.left at lane-2 after the hold').toBeGreaterThan(hold);
    expect(rows[left]!.payload).toMatchObject({ yardId: 'demo-yard', how: 'lane' });
    // ...and the held one let in by the yard, the barrier opened for it, and it entered.
    const release = at(
      (r) =>
        r.type === 'barrier.actuation' &&
        r.laneId === 'lane-1' &&
        r.payload.phase === 'requested' &&
        r.payload.holdId === holdId,
    );
    expect(release, 'the release of the hold').toBeGreaterThan(left);
    expect(rows[release]!.payload).toMatchObject({ cause: 'yard-room' });
    const opened = at((r) => r.type === 'barrier.actuation' && r.payload.requestId === rows[release]!.eventId, release);
    expect(rows[opened]?.payload).toMatchObject({ phase: 'result', cause: 'yard-room', ok: true, outcome: 'opened' });
    const inside = at((r) => r.type === 'yard.entered' && r.payload.decisionId === holdId, release);
    expect(inside, 'the held vehicle entered').toBeGreaterThan(release);

    // A vehicle inside longer than the demo's 0.4 min.
    const overstay = rows.find((r) => r.type === 'yard.overstay');
    expect(overstay?.payload).toMatchObject({ yardId: 'demo-yard', level: 1, thresholdMinutes: 0.4 });
    expect(overstay!.payload.dwellMs as number).toBeGreaterThanOrEqual(24_000);

    // The clips agree with each other: every vehicle leaving was seen coming in.
    expect(rows.filter((r) => r.type === 'alarm' && String(r.payload.alarm).startsWith('yard.'))).toEqual([]);

    // Lane-2 checks fees afterwards (docs/postcheck.md): the truck leaves on its declaration, the
    // blue car, which has none, leaves too and is flagged; the day's reconciliation lists it.
    const truckOut = rows.find((r) => r.type === 'decision' && r.laneId === 'lane-2');
    expect(truckOut?.payload).toMatchObject({ action: 'open', reason: 'declared' });
    const flagged = rows.find((r) => r.type === 'postcheck.flagged');
    expect(flagged).toMatchObject({
      laneId: 'lane-2',
      payload: { plate: '云A12345', flags: [{ kind: 'undeclared' }] },
    });
    const report = await new Promise<{ code: number | null; stdout: string }>((resolve) =>
      execFile(process.execPath, [builtCli(), 'reconcile', '--data-dir', dataDir, '--format', 'json'], (err, out) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stdout: out }),
      ),
    );
    expect(report.code).toBe(0);
    const undeclared = (JSON.parse(report.stdout) as { undeclared: { plate: string; passageId: string }[] }).undeclared;
    expect(undeclared).toContainEqual(
      expect.objectContaining({ plate: '云A12345', passageId: flagged!.payload.passageId as string }),
    );
  }, 120_000);
});
