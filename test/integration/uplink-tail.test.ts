import { execFile, spawn, type ChildProcess } from 'node:child_process';
import mqtt, { type MqttClient } from 'mqtt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../helpers/fake-clock.js';
import { toWireEvent } from '../../src/uplink/contract.js';
import { eventsTopic } from '../../src/domain/topics.js';
import { builtCli } from '../helpers/demo-clip.js';
import { MemoryOutbox } from '../helpers/memory-outbox.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { waitFor } from '../helpers/processes.js';

let broker: Mosquitto;
let publisher: MqttClient;
const tails: ChildProcess[] = [];
const outbox = new MemoryOutbox(new FakeClock(), 'mlt-kth');

beforeEach(async () => {
  broker = await startMosquitto();
  publisher = await mqtt.connectAsync(broker.url, { protocolVersion: 5, reconnectPeriod: 0 });
});

afterEach(async () => {
  await publisher.endAsync(true);
  for (const t of tails.splice(0)) if (t.exitCode === null && t.signalCode === null) t.kill('SIGKILL');
  await broker.dispose();
});

interface Tail {
  child: ChildProcess;
  lines: Record<string, unknown>[];
  notices: Record<string, unknown>[];
  exited: Promise<number | null>;
}

async function startTail(...extra: string[]): Promise<Tail> {
  const child = spawn(process.execPath, [builtCli(), 'tail', '--mqtt-url', broker.url, '--site', 'mlt-kth', ...extra], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  tails.push(child);
  const tail: Tail = {
    child,
    lines: [],
    notices: [], // 'close': after the exit and the last of stdout and stderr.
    exited: new Promise((resolve) => child.once('close', (code) => resolve(code))),
  };
  const split = (stream: NodeJS.ReadableStream, into: Record<string, unknown>[]) => {
    let rest = '';
    stream.on('data', (chunk: Buffer) => {
      const parts = (rest + chunk.toString()).split('\n');
      rest = parts.pop()!;
      for (const line of parts) if (line) into.push(JSON.parse(line));
    });
  };
  split(child.stdout, tail.lines);
  split(child.stderr, tail.notices);
  await waitFor(
    () => tail.notices.some((n) => n.notice === 'subscribed') || child.exitCode !== null,
    10_000,
    'tail subscribed',
  );
  return tail;
}

function publishEvent(laneId = 'entry-1', change: Record<string, unknown> = {}) {
  const event = {
    ...toWireEvent(outbox.append({ type: 'plate.read', laneId, payload: { plate: '24A12345' } }), {
      bootId: 'x',
      monotonicNow: 0,
    }),
    ...change,
  };
  return publishRaw(eventsTopic('smartgate/v1', 'mlt-kth', laneId), JSON.stringify(event)).then(() => event);
}

const publishRaw = (topic: string, payload: string) => publisher.publishAsync(topic, payload, { qos: 1 });

describe('smartgate tail', () => {
  it('prints each event once, reports duplicates and bad payloads on stderr without stopping, and exits 0 on SIGINT', async () => {
    const tail = await startTail();
    const first = await publishEvent();
    await publishRaw(eventsTopic('smartgate/v1', 'mlt-kth', 'entry-1'), JSON.stringify(first)); // redelivered
    await publishRaw(eventsTopic('smartgate/v1', 'mlt-kth', 'entry-1'), '{"eventId": "nope"}');
    await publishRaw(eventsTopic('smartgate/v1', 'mlt-kth', 'entry-1'), 'not json');
    await publishEvent('exit-1', { laneId: 'entry-1' }); // payload and topic disagree
    const second = await publishEvent();
    // stdout and stderr are separate pipes: wait for both.
    const told = () => tail.notices.filter((n) => n.notice === 'duplicate' || n.notice === 'invalid').length;
    await waitFor(() => tail.lines.length >= 2 && told() >= 4, 5000, 'two events printed and four notices');

    expect(tail.lines).toEqual([first, second]);
    const notices = tail.notices.filter((n) => !['connected', 'subscribed'].includes(n.notice as string));
    expect(notices).toEqual([
      { notice: 'duplicate', eventId: first.eventId, siteId: 'mlt-kth', laneId: 'entry-1', seq: first.seq },
      {
        notice: 'invalid',
        topic: 'smartgate/v1/mlt-kth/entry-1/events',
        problems: expect.arrayContaining([expect.stringMatching(/^eventId:/)]),
      },
      {
        notice: 'invalid',
        topic: 'smartgate/v1/mlt-kth/entry-1/events',
        problems: [expect.stringMatching(/^not JSON/)],
      },
      {
        notice: 'invalid',
        topic: 'smartgate/v1/mlt-kth/exit-1/events',
        problems: [expect.stringContaining('do not match the topic')],
      },
    ]);

    tail.child.kill('SIGINT');
    expect(await tail.exited).toBe(0);
  });

  it('keeps its session: events published while it was stopped arrive when it comes back', async () => {
    const tail = await startTail('--client-id', 'central-test');
    await publishEvent();
    await waitFor(() => tail.lines.length === 1, 5000, 'first event');
    tail.child.kill('SIGTERM');
    expect(await tail.exited).toBe(0);

    const missed = [await publishEvent(), await publishEvent()];
    const again = await startTail('--client-id', 'central-test');
    await waitFor(() => again.lines.length === 2, 5000, 'events queued while away');
    expect(again.lines).toEqual(missed);
  });

  it("reports a gap in a lane's sequence", async () => {
    const tail = await startTail();
    await publishEvent('lane-g');
    outbox.append({ type: 'plate.read', laneId: 'lane-g', payload: {} }); // recorded, never published
    await publishEvent('lane-g');
    await waitFor(
      () => tail.lines.length === 2 && tail.notices.some((n) => n.notice === 'gap'),
      5000,
      'two events and a gap',
    );
    expect(tail.notices.find((n) => n.notice === 'gap')).toMatchObject({
      laneId: 'lane-g',
      afterSeq: 1,
      nextSeq: 3,
      missing: 1,
    });
  });

  it('refuses bad options, naming them, with exit 2', async () => {
    const run = (args: string[]) =>
      new Promise<{ code: number | null; stderr: string }>((resolve) =>
        execFile(process.execPath, [builtCli(), 'tail', ...args], (err, _out, stderr) =>
          resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stderr }),
        ),
      );
    expect(await run([])).toMatchObject({ code: 2, stderr: expect.stringContaining('--mqtt-url: required') });
    expect(await run(['--mqtt-url', 'http://x'])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--mqtt-url: expected'),
    });
    expect(await run(['--mqtt-url', 'mqtt://x', '--site', 'A B'])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--site'),
    });
  });
});
