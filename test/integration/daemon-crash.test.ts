import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/log.js';
import { storeSchema } from '../../src/config/store.js';
import { openStore } from '../../src/store/store.js';
import type { WireEvent } from '../../src/uplink/contract.js';
import { builtCli } from '../helpers/demo-clip.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { waitFor } from '../helpers/processes.js';

// Issue 3: "The daemon killed with SIGKILL while publishing, then restarted: nothing lost, seq
// continues, bootId changes" — checked at central's side, by `smartgate tail`.

const CHILD = fileURLToPath(new URL('../helpers/daemon-crash-child.mjs', import.meta.url));
const SITE = 'crash-site';

let broker: Mosquitto | undefined;
let dataDir: string | undefined;
const procs: ChildProcess[] = [];

afterEach(async () => {
  for (const p of procs.splice(0)) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  await broker?.dispose();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

interface Lines {
  proc: ChildProcess;
  out: string[];
  err: string[];
  exited: Promise<{ code: number | null; signal: string | null }>;
}

/** Runs `args` under node, collecting whole stdout and stderr lines. */
function run(args: string[]): Lines {
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  procs.push(proc);
  const lines: Lines = {
    proc,
    out: [],
    err: [],
    exited: new Promise((r) => proc.once('close', (code, signal) => r({ code, signal }))),
  };
  collect(proc.stdout, lines.out);
  collect(proc.stderr, lines.err);
  return lines;
}

function collect(stream: NodeJS.ReadableStream, into: string[]): void {
  let rest = '';
  stream.on('data', (chunk: Buffer) => {
    const parts = (rest + chunk.toString()).split('\n');
    rest = parts.pop()!;
    for (const line of parts) if (line) into.push(line);
  });
}

/** The last count a daemon child reported (its appends that returned, i.e. committed). */
const reported = (child: Lines) => Number(child.out.filter((l) => /^\d+$/.test(l)).at(-1) ?? 0);
const bootOf = (child: Lines) => child.out.find((l) => l.startsWith('boot '))?.slice(5);

describe('the daemon killed with SIGKILL while publishing, then restarted', () => {
  it('loses nothing, sends nothing twice to the consumer, continues seq per lane and changes bootId', async () => {
    builtCli(); // the children run dist/: fail early with the reason when it is not built
    broker = await startMosquitto();
    dataDir = await mkdtemp(join(tmpdir(), 'smartgate-daemon-crash-'));
    const tail = run([builtCli(), 'tail', '--mqtt-url', broker.url, '--site', SITE]);
    await waitFor(
      () => tail.err.some((l) => l.includes('"subscribed"')) || tail.proc.exitCode !== null,
      10_000,
      'tail subscribed',
    );
    const events = () => tail.out.map((l) => JSON.parse(l) as WireEvent);

    // First boot: killed while events stream out (central has some, the outbox has more coming).
    const first = run([CHILD, dataDir, broker.url, SITE, '100000']);
    await waitFor(
      () => tail.out.length >= 200 && reported(first) >= 300,
      15_000,
      `first boot streaming (stderr: ${first.err.join('\n')})`,
    );
    first.proc.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');
    const killedAt = reported(first);

    // Second boot on the same data dir: appends 300 more, waits for its outbox to drain.
    const second = run([CHILD, dataDir, broker.url, SITE, '300']);
    await waitFor(
      () => second.out.includes('drained') || second.proc.exitCode !== null,
      15_000,
      `second boot drained (stderr: ${second.err.join('\n')})`,
    );
    second.proc.kill('SIGTERM');
    expect((await second.exited).code).toBe(0);

    // What the store recorded, all of it acknowledged by the broker.
    const store = openStore(
      { clock: systemClock, log: silentLogger },
      { dataDir, siteId: SITE, config: storeSchema.parse({}) },
    );
    const recorded = store.db
      .prepare(
        'SELECT event_id AS eventId, lane_id AS laneId, seq, boot_id AS bootId FROM events ORDER BY lane_id, seq',
      )
      .all() as Pick<WireEvent, 'eventId' | 'laneId' | 'seq' | 'bootId'>[];
    const pending = store.events.pendingCount();
    store.close();
    expect(pending).toBe(0);
    expect(recorded.length).toBeGreaterThanOrEqual(killedAt + 300);

    await waitFor(
      () => tail.out.length >= recorded.length,
      10_000,
      `${recorded.length} events at the tail (has ${tail.out.length})`,
    );
    await new Promise((r) => setTimeout(r, 300)); // anything printed twice would show up now
    tail.proc.kill('SIGTERM');
    expect((await tail.exited).code).toBe(0);

    // Every recorded event printed once: the same ids, no more, no fewer.
    const seen = events();
    expect(seen).toHaveLength(recorded.length);
    expect(new Set(seen.map((e) => e.eventId))).toEqual(new Set(recorded.map((e) => e.eventId)));

    // Per lane, in arrival order, seq runs 1..N through both boots.
    const boots = [bootOf(first), bootOf(second)];
    expect(boots[0]).toBeTruthy();
    expect(boots[1]).toBeTruthy();
    expect(boots[1]).not.toBe(boots[0]);
    for (const lane of ['entry-1', 'exit-1']) {
      const ofLane = seen.filter((e) => e.laneId === lane);
      expect(ofLane.map((e) => e.seq)).toEqual(ofLane.map((_, i) => i + 1));
      // First boot's events, then the second's: one switch of bootId, where seq simply continues.
      const bootOrder = ofLane.map((e) => e.bootId).filter((b, i, all) => i === 0 || all[i - 1] !== b);
      expect(bootOrder).toEqual(boots);
    }
    const notices = tail.err.map((l) => JSON.parse(l) as { notice: string; laneId?: string });
    expect(notices.filter((n) => ['gap', 'seq-reset', 'out-of-order', 'invalid'].includes(n.notice))).toEqual([]);
    expect(
      notices
        .filter((n) => n.notice === 'new-boot')
        .map((n) => n.laneId)
        .sort(),
    ).toEqual(['entry-1', 'exit-1']);
  }, 30_000);
});
