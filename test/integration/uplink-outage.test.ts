import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/log.js';
import { mqttSchema } from '../../src/config/mqtt.js';
import { storeSchema } from '../../src/config/store.js';
import { openStore, type Store } from '../../src/store/store.js';
import type { StoredEvent } from '../../src/store/types.js';
import { Uplink } from '../../src/uplink/uplink.js';
import { builtCli } from '../helpers/demo-clip.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { waitFor } from '../helpers/processes.js';

const SITE = 'mlt-kth';
const LANES = ['entry-1', 'exit-1'];

let broker: Mosquitto | undefined;
let store: Store | undefined;
let uplink: Uplink | undefined;
let tail: ChildProcess | undefined;
let dataDir: string | undefined;

afterEach(async () => {
  await uplink?.stop();
  if (tail && tail.exitCode === null && tail.signalCode === null) tail.kill('SIGKILL');
  store?.close();
  await broker?.dispose();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

interface Tail {
  child: ChildProcess;
  lines: string[];
  notices: Record<string, unknown>[];
  exited: Promise<number | null>;
}

/** `smartgate tail` as central would run it, collecting stdout lines and stderr notices. */
async function startTail(url: string): Promise<Tail> {
  const child = spawn(process.execPath, [builtCli(), 'tail', '--mqtt-url', url, '--site', SITE], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  tail = child;
  const result: Tail = {
    child,
    lines: [],
    notices: [],
    exited: new Promise((resolve) => child.once('close', (code) => resolve(code))),
  };
  collectLines(child.stdout, (line) => result.lines.push(line));
  collectLines(child.stderr, (line) => result.notices.push(JSON.parse(line)));
  await waitFor(
    () => result.notices.some((n) => n.notice === 'subscribed') || child.exitCode !== null,
    10_000,
    'tail subscribed',
  );
  expect(child.exitCode).toBeNull();
  return result;
}

function collectLines(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let rest = '';
  stream.on('data', (chunk: Buffer) => {
    const parts = (rest + chunk.toString()).split('\n');
    rest = parts.pop()!;
    for (const line of parts) if (line) onLine(line);
  });
}

describe('uplink through broker outages', () => {
  it('delivers 2,000 events recorded while the broker is stopped and restarted three times: all, once, in order per lane', async () => {
    broker = await startMosquitto();
    dataDir = await mkdtemp(join(tmpdir(), 'smartgate-uplink-'));
    // NORMAL: no fsync per event; durability against power cuts is not what this test is about.
    store = openStore(
      { clock: systemClock, log: silentLogger },
      { dataDir, siteId: SITE, config: storeSchema.parse({ synchronous: 'NORMAL' }) },
    );
    const events = store.events;
    const central = await startTail(broker.url);
    uplink = new Uplink(
      { clock: systemClock, log: silentLogger },
      {
        siteId: SITE,
        bootId: store.bootId,
        outbox: events,
        config: { ...mqttSchema.parse({ url: broker.url, backoff: { initialMs: 100, maxMs: 500 } })!, url: broker.url },
      },
    );
    await uplink.start();

    const recorded: StoredEvent[] = [];
    const record = (count: number) => {
      for (let i = 0; i < count; i++) {
        const n = recorded.length;
        recorded.push(
          events.append({
            type: 'plate.read',
            laneId: LANES[n % LANES.length]!,
            payload: { n, plate: `24A${String(n).padStart(5, '0')}` },
          }),
        );
      }
    };

    const tailConnects = () => central.notices.filter((n) => n.notice === 'connected').length;
    for (let outage = 0; outage < 3; outage++) {
      record(300); // published as they are recorded; many still in flight when the broker goes
      await broker.stop();
      await waitFor(() => !uplink!.connection.connected, 5000, 'uplink notices the outage');
      record(300); // recorded while central is unreachable
      const connectsBefore = tailConnects();
      await broker.restart();
      // Both ends back before the next outage, so each outage is one the uplink and tail live through.
      await waitFor(
        () => uplink!.connection.connected && tailConnects() > connectsBefore,
        10_000,
        'uplink and tail reconnected',
      );
    }
    record(200);
    expect(recorded).toHaveLength(2000);

    await waitFor(
      () => central.lines.length >= 2000 && events.pendingCount() === 0,
      30_000,
      'all 2,000 events at central and marked delivered',
    ).catch((err: Error) => {
      const counts = {
        printed: central.lines.length,
        pending: events.pendingCount(),
        uplink: uplink?.stats(),
        lastNotices: central.notices.slice(-5),
      };
      throw new Error(`${err.message}: ${JSON.stringify(counts)}`);
    });
    const received = central.lines.map(
      (line) => JSON.parse(line) as { eventId: string; laneId: string; seq: number; ageMs: number | null },
    );
    expect(received).toHaveLength(2000);
    expect(new Set(received.map((e) => e.eventId)).size).toBe(2000);
    expect(new Set(received.map((e) => e.eventId))).toEqual(new Set(recorded.map((e) => e.eventId)));
    for (const lane of LANES) {
      const seqs = received.filter((e) => e.laneId === lane).map((e) => e.seq);
      expect(seqs).toEqual(recorded.filter((e) => e.laneId === lane).map((e) => e.seq));
      expect(seqs).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
    }
    expect(received.every((e) => typeof e.ageMs === 'number')).toBe(true);
    expect(uplink.stats()).toMatchObject({ pending: 0, inFlight: 0 });
    expect(uplink.stats().acked).toBeGreaterThanOrEqual(2000);

    central.child.kill('SIGTERM');
    expect(await central.exited).toBe(0);
    // Read once stderr is closed, so no notice is still in the pipe.
    const kinds = central.notices.map((n) => n.notice);
    expect(kinds.filter((k) => k === 'gap' || k === 'invalid' || k === 'out-of-order' || k === 'seq-reset')).toEqual(
      [],
    );
    // Three outages: the tail saw the broker go and come back each time.
    expect(kinds.filter((k) => k === 'disconnected').length).toBeGreaterThanOrEqual(3);
  });
});
