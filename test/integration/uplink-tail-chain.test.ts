import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import mqtt, { type MqttClient } from 'mqtt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/core/clock.js';
import { silentLogger, type Logger } from '../../src/core/log.js';
import { generateSigningKeyPair } from '../../src/core/signing-key.js';
import { mqttSchema } from '../../src/config/mqtt.js';
import { eventsTopic } from '../../src/domain/topics.js';
import { canonicalJson } from '../../src/evidence/canonical-json.js';
import { chainFieldsFor } from '../../src/evidence/chain.js';
import { parseCheckpoint, signCheckpoint } from '../../src/evidence/checkpoint.js';
import { GATE_PUBLIC_KEY_FILE } from '../../src/evidence/gate-key.js';
import type { Store } from '../../src/store/store.js';
import type { StoredEvent } from '../../src/store/types.js';
import { toWireEvent, type WireEvent } from '../../src/uplink/contract.js';
import { Uplink } from '../../src/uplink/uplink.js';
import { builtCli } from '../helpers/demo-clip.js';
import { confBlockAfter } from '../helpers/doc-blocks.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { waitFor } from '../helpers/processes.js';
import { useTempDirs } from '../helpers/store-fixtures.js';

// Issue 25: `smartgate tail` checks the evidence chain of what a real gate store forwards through
// a real broker, learning the gate's key from its retained key topic; then messages published
// straight to the broker, as a gate with rewritten or deleted events would, are reported.

const SITE = 'mlt-kth';
const PREFIX = 'smartgate/v1';
const temp = useTempDirs();

let broker: Mosquitto;
let dir: string;
let store: Store;
let uplink: Uplink | undefined;
let raw: MqttClient;
const tails: ChildProcess[] = [];

beforeEach(async () => {
  broker = await startMosquitto();
  dir = temp.make();
  store = temp.open(dir);
  raw = await mqtt.connectAsync(broker.url, { protocolVersion: 5, reconnectPeriod: 0 });
});

afterEach(async () => {
  await uplink?.stop();
  uplink = undefined;
  await raw.endAsync(true);
  for (const t of tails.splice(0)) if (t.exitCode === null && t.signalCode === null) t.kill('SIGKILL');
  await broker.dispose();
});

interface Tail {
  child: ChildProcess;
  lines: WireEvent[];
  notices: Record<string, unknown>[];
  exited: Promise<number | null>;
}

async function startTail(...extra: string[]): Promise<Tail> {
  const child = spawn(process.execPath, [builtCli(), 'tail', '--mqtt-url', broker.url, '--site', SITE, ...extra], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  tails.push(child);
  const tail: Tail = {
    child,
    lines: [],
    notices: [],
    exited: new Promise((resolve) => child.once('close', (code) => resolve(code))),
  };
  const split = (stream: NodeJS.ReadableStream, into: unknown[]) => {
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

/** What tail said besides the link's comings and goings. */
const reported = (tail: Tail) =>
  tail.notices.filter((n) => !['connected', 'disconnected', 'subscribed', 'summary'].includes(n.notice as string));

const plate = (laneId: string, text: string) =>
  store.events.append({ type: 'plate.read', laneId, payload: { plate: text, confidence: 0.93 } });

/** The gate's real uplink forwards the store until nothing is pending, then stops. */
async function forward(
  login: { username?: string; password?: string } = {},
  log: Logger = silentLogger,
): Promise<{ published: number; refused: boolean }> {
  const config = mqttSchema.parse({ url: broker.url, backoff: { initialMs: 100, maxMs: 500 }, ...login })!;
  uplink = new Uplink(
    { clock: systemClock, log },
    {
      siteId: SITE,
      bootId: store.bootId,
      outbox: store.events,
      gateKey: store.gateKey,
      config: { ...config, url: broker.url },
    },
  );
  await uplink.start();
  await waitFor(() => uplink!.stats().pending === 0 && uplink!.stats().inFlight === 0, 10_000, 'the outbox forwarded');
  const key = uplink.gateKey!.stats();
  await uplink.stop();
  uplink = undefined;
  return key;
}

const wire = (event: StoredEvent): WireEvent => toWireEvent(event, { bootId: store.bootId, monotonicNow: 0 });

/** Published straight to the broker, as the gate would publish it. */
const publish = (event: WireEvent) =>
  raw.publishAsync(eventsTopic(PREFIX, SITE, event.laneId), JSON.stringify(event), { qos: 1 });

/** `event` changed, with chain fields recomputed to match (linked to the same prevHash unless told). */
function rehashed(event: WireEvent, change: Partial<WireEvent>): WireEvent {
  const changed = { ...event, ...change };
  const fields = chainFieldsFor(changed, canonicalJson(changed.payload), null, event.chain!.prevHash);
  return { ...changed, chain: { ...fields } };
}

/** A clean stream: two lanes and a checkpoint over their heads, forwarded by the real uplink. */
async function cleanStream(tail: Tail): Promise<StoredEvent[]> {
  const events = [plate('entry-1', '24A11111'), plate('exit-1', '24A22222'), plate('entry-1', '24A33333')];
  events.push(store.checkpoints!.record('start'));
  await forward();
  await waitFor(() => tail.lines.length === events.length, 10_000, 'the clean stream printed');
  expect(tail.lines.map((e) => e.eventId)).toEqual(events.map((e) => e.eventId));
  return events;
}

describe('smartgate tail and the evidence chain', () => {
  it("learns the gate's key from the key topic, says nothing of a clean stream, and reports rewritten and deleted events and a forged checkpoint", async () => {
    const tail = await startTail();
    await cleanStream(tail);
    expect(reported(tail)).toEqual([
      { notice: 'gate-key', siteId: SITE, keyId: store.gateKey!.keyId, previousKeyId: null, adopted: true },
    ]);
    const clean = reported(tail).length;

    // A payload rewritten on the way, its chain fields left as they were.
    const rewritten = wire(plate('entry-1', '24A44444'));
    await publish({ ...rewritten, payload: { ...rewritten.payload, plate: '24A99999' } });
    // An event deleted: it never arrives, the next one does; later a replacement the next does not link to.
    const [deleted, after] = [wire(plate('entry-1', '24A55555')), wire(plate('entry-1', '24A66666'))];
    await publish(after);
    await publish(rehashed(deleted, { payload: { plate: '24A00000', confidence: 0.99 } }));
    // An event deleted and the next renumbered into its place, its chain fields recomputed: its
    // prevHash is still the deleted event's chain hash.
    const [exit2, exit3] = [wire(plate('exit-1', '24A77777')), wire(plate('exit-1', '24A88888'))];
    await publish(rehashed(exit3, { seq: exit2.seq }));
    // A checkpoint signed by a key that is not the gate's, its chain fields consistent.
    const checkpoint = wire(store.checkpoints!.record('periodic'));
    const { signature: _, ...body } = parseCheckpoint(checkpoint.payload)!;
    const impostor = createPrivateKey(generateSigningKeyPair().privateKeyPem);
    await publish(rehashed(checkpoint, { payload: { ...signCheckpoint(body, impostor) } }));

    await waitFor(() => reported(tail).length >= clean + 6, 10_000, 'six notices').catch((err: Error) => {
      throw new Error(`${err.message}; tail said ${JSON.stringify(reported(tail))}`);
    });
    expect(reported(tail).slice(clean)).toEqual([
      expect.objectContaining({ notice: 'chain-mismatch', eventId: rewritten.eventId, fault: 'payload' }),
      expect.objectContaining({
        notice: 'gap',
        laneId: 'entry-1',
        afterSeq: rewritten.seq,
        nextSeq: after.seq,
        missing: 1,
      }),
      expect.objectContaining({ notice: 'late', eventId: deleted.eventId, seq: deleted.seq }),
      expect.objectContaining({
        notice: 'chain-broken',
        eventId: deleted.eventId,
        seq: deleted.seq,
        link: 'next',
        otherEventId: after.eventId,
      }),
      expect.objectContaining({
        notice: 'chain-broken',
        eventId: exit3.eventId,
        laneId: 'exit-1',
        seq: exit2.seq,
        link: 'previous',
        otherSeq: exit2.seq - 1,
      }),
      expect.objectContaining({
        notice: 'checkpoint-invalid',
        eventId: checkpoint.eventId,
        reason: 'bad-signature',
        keyId: store.gateKey!.keyId,
      }),
    ]);

    tail.child.kill('SIGINT');
    expect(await tail.exited).toBe(0);
    expect(tail.notices.at(-1)).toMatchObject({
      notice: 'summary',
      lanes: expect.arrayContaining([expect.objectContaining({ laneId: 'entry-1', lastSeq: after.seq, missing: 0 })]),
      chain: {
        eventsChecked: 9,
        checkpointsVerified: 1,
        checkpointsPending: 0,
        problems: { 'chain-mismatch': 1, 'chain-broken': 2, 'checkpoint-invalid': 1 },
        keys: { [SITE]: [store.gateKey!.keyId] },
      },
    });
  });

  it('checks with the key given by --gate-key, and reports a different one on the key topic', async () => {
    const gateKeyFile = join(dir, GATE_PUBLIC_KEY_FILE);
    const tail = await startTail('--gate-key', gateKeyFile);
    await cleanStream(tail);
    expect(reported(tail)).toEqual([]);
    tail.child.kill('SIGTERM');
    expect(await tail.exited).toBe(0);
    expect(tail.notices.at(-1)).toMatchObject({ chain: { checkpointsVerified: 1, problems: {} } });

    // Another key given: the gate's own on its key topic is not taken instead.
    const other = generateSigningKeyPair().publicKeyText;
    const doubting = await startTail('--gate-key', other, '--client-id', 'doubting');
    await waitFor(() => reported(doubting).length > 0, 10_000, 'the retained key reported');
    expect(reported(doubting)).toEqual([
      expect.objectContaining({ notice: 'gate-key', keyId: store.gateKey!.keyId, adopted: false }),
    ]);
    await publish(wire(store.checkpoints!.record('periodic')));
    await waitFor(() => reported(doubting).length > 1, 10_000, 'the checkpoint reported');
    expect(reported(doubting)[1]).toMatchObject({ notice: 'checkpoint-invalid', reason: 'unknown-key' });
  });

  it('refuses a --gate-key that is no key, naming the option, with exit 2', async () => {
    const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve) =>
      execFile(
        process.execPath,
        [builtCli(), 'tail', '--mqtt-url', broker.url, '--gate-key', 'not-a-key'],
        (err, _out, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stderr }),
      ),
    );
    expect(code).toBe(2);
    expect(stderr).toContain('--gate-key');
  });

  it('stops sending its key to a broker whose ACL lacks the key topic, and forwards its events', async () => {
    // The ACL of docs/mqtt-security.md before the key line: Mosquitto refuses the key and closes
    // the link (with max_queued_messages 0, as central's broker must have it), on every connect.
    await broker.dispose();
    const page = readFileSync(new URL('../../docs/mqtt-security.md', import.meta.url), 'utf8');
    const acl = confBlockAfter(page, '## 3. ACLs').replace('pattern write smartgate/v1/%u/key\n', '');
    expect(acl).not.toContain('/key');
    await writeFile(join(dir, 'acl'), acl);
    await writeFile(join(dir, 'passwd'), '');
    await promisify(execFile)('mosquitto_passwd', ['-b', join(dir, 'passwd'), SITE, 'gate-secret']);
    broker = await startMosquitto({
      extraConfig: ['allow_anonymous false', `password_file ${join(dir, 'passwd')}`, `acl_file ${join(dir, 'acl')}`],
    });
    const errors: string[] = [];
    const log: Logger = {
      debug() {},
      info() {},
      warn() {},
      error: (_obj, msg) => errors.push(msg ?? ''),
      child: () => log,
    };
    for (let i = 0; i < 5; i++) plate('entry-1', `24A1000${i}`);

    const key = await forward({ username: SITE, password: 'gate-secret' }, log);
    expect(key).toEqual({ published: 0, refused: true });
    expect(store.events.pendingCount()).toBe(0);
    expect(errors).toEqual([expect.stringContaining("the broker refused the gate's key")]);
  });
});
