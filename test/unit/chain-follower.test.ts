import { createPrivateKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateSigningKeyPair } from '../../src/core/signing-key.js';
import { canonicalJson } from '../../src/evidence/canonical-json.js';
import { chainFieldsFor } from '../../src/evidence/chain.js';
import { signCheckpoint, type ChainHead } from '../../src/evidence/checkpoint.js';
import { gatePublicKeyFromText, type GateKey } from '../../src/evidence/gate-key.js';
import { ChainFollower, type ChainNotice } from '../../src/uplink/chain-follower.js';
import type { WireEvent } from '../../src/uplink/contract.js';

function makeKey(): GateKey {
  const pair = generateSigningKeyPair();
  return { privateKey: createPrivateKey(pair.privateKeyPem), ...gatePublicKeyFromText(pair.publicKeyText) };
}

const GATE = makeKey();
const OTHER = makeKey();
const SITE = 'mlt-kth';
let ids = 0;
const eventId = () => `01JDX3W6Q2M1T1C9K1R5Z${String(ids++).padStart(5, '0')}`;

/** An event as the gate records it: its chain fields computed by the gate's own rules. */
function event(
  laneId: string,
  seq: number,
  prevHash: string | null,
  payload: Record<string, unknown> = { plate: `24A${seq}` },
  type: WireEvent['type'] = 'plate.read',
): WireEvent {
  const envelope = { eventId: eventId(), bootId: 'B1', seq, laneId, type, ts: 1_767_225_600_000 + seq };
  const chain = chainFieldsFor(envelope, canonicalJson(payload), null, prevHash);
  return { ...envelope, siteId: SITE, ageMs: 0, payload, chain: { ...chain } };
}

/** `n` linked events of a lane from `from`, continuing from `prevHash`. */
function lane(laneId: string, n: number, from = 1, prevHash: string | null = null): WireEvent[] {
  const events: WireEvent[] = [];
  for (let seq = from; seq < from + n; seq++) {
    events.push(event(laneId, seq, events.at(-1)?.chain?.chainHash ?? prevHash));
  }
  return events;
}

const headOf = (e: WireEvent): ChainHead => ({ seq: e.seq, chainHash: e.chain!.chainHash });

/** The gate's checkpoint event over `heads`, chained after `previous` on the gate lane. */
function checkpoint(
  previous: WireEvent | null,
  heads: Record<string, ChainHead>,
  key: GateKey = GATE,
  body: Partial<{ siteId: string; keyId: string }> = {},
): WireEvent {
  // As the gate signs it: the gate lane's head is the event before the checkpoint.
  const withOwn = previous ? { gate: headOf(previous), ...heads } : heads;
  const signed = signCheckpoint(
    { reason: 'periodic', siteId: SITE, keyId: key.keyId, at: 1_767_225_700_000, heads: withOwn, ...body },
    key.privateKey,
  );
  return event('gate', (previous?.seq ?? 0) + 1, previous?.chain?.chainHash ?? null, { ...signed }, 'chain.checkpoint');
}

/** Re-chains `e` as if its fields had been recomputed after a change (a consistent forgery). */
function rehashed(e: WireEvent, change: Partial<WireEvent>, prevHash = e.chain!.prevHash): WireEvent {
  const changed = { ...e, ...change };
  return { ...changed, chain: { ...chainFieldsFor(changed, canonicalJson(changed.payload), null, prevHash) } };
}

const kinds = (notices: ChainNotice[]) => notices.map((n) => n.notice);

function run(events: WireEvent[], follower = new ChainFollower({ pinnedKey: GATE })): ChainNotice[] {
  return events.flatMap((e) => follower.observe(e));
}

describe('ChainFollower', () => {
  const [a1, a2, a3, a4] = lane('entry-1', 4);
  const [b1, b2] = lane('exit-1', 2);
  const g1 = checkpoint(null, { 'entry-1': headOf(a4!), 'exit-1': headOf(b2!) });
  const clean = [a1!, a2!, b1!, a3!, b2!, a4!, g1];

  it.each<[string, WireEvent[], string[]]>([
    ['a clean stream, lanes interleaved, with a checkpoint over their heads', clean, []],
    ['a redelivered event', [a1!, a2!, a2!, a3!], []],
    ['events in another order than their seq', [a1!, a3!, a2!, a4!], []],
    ['a gap that stays open (the tracker reports it)', [a1!, a2!, a4!], []],
    ['a lane that started the chain after unchained events', [{ ...a1!, chain: null }, event('entry-1', 2, null)], []],
    ['a payload rewritten, fields kept', [a1!, { ...a2!, payload: { plate: '24A99999' } }, a3!], ['chain-mismatch']],
    ['an envelope field changed (ts), fields kept', [a1!, { ...a2!, ts: a2!.ts + 1 }, a3!], ['chain-mismatch']],
    [
      'a payload rewritten and rehashed: the next event does not link',
      [a1!, rehashed(a2!, { payload: { plate: 'X' } }), a3!],
      ['chain-broken'],
    ],
    [
      'the same, received late: its link to seq+1 is checked then',
      [a1!, a3!, rehashed(a2!, { payload: { plate: 'X' } })],
      ['chain-broken'],
    ],
    [
      'an event deleted and the next renumbered into its seq, rehashed',
      [a1!, rehashed(a3!, { seq: 2 }), a4!],
      ['chain-broken'],
    ],
    [
      'another event with a seq already received',
      [a1!, a2!, rehashed(a2!, { eventId: eventId(), payload: {} })],
      ['chain-broken'],
    ],
    ['an event without chain fields after chained ones', [a1!, { ...a2!, chain: null }], ['chain-missing']],
    ['a chain that starts again (prevHash null) mid-lane', [a1!, rehashed(a2!, {}, null)], ['chain-broken']],
  ])('%s', (_name, events, expected) => {
    expect(kinds(run(events))).toEqual(expected);
  });

  it('names the lane, seq and neighbour of a broken link', () => {
    const forged = rehashed(a2!, { payload: { plate: 'X' } });
    expect(run([a1!, forged, a3!])).toEqual([
      expect.objectContaining({
        notice: 'chain-broken',
        eventId: a3!.eventId,
        laneId: 'entry-1',
        seq: 3,
        link: 'previous',
        otherEventId: forged.eventId,
        otherSeq: 2,
      }),
    ]);
    expect(run([a1!, { ...a2!, payload: { plate: 'X' } }])).toEqual([
      expect.objectContaining({ notice: 'chain-mismatch', eventId: a2!.eventId, seq: 2, fault: 'payload' }),
    ]);
  });

  it.each<[string, () => WireEvent, Partial<ChainNotice>]>([
    [
      'a signature that is not the gate key’s',
      () => ({ ...g1, payload: { ...g1.payload, signature: checkpoint(null, {}, OTHER).payload.signature } }),
      { notice: 'checkpoint-invalid', reason: 'bad-signature' },
    ],
    [
      'a checkpoint signed by another key',
      () => checkpoint(null, { 'entry-1': headOf(a4!) }, OTHER),
      { reason: 'unknown-key' },
    ],
    [
      'a checkpoint signed for another site',
      () => checkpoint(null, {}, GATE, { siteId: 'other' }),
      { reason: 'wrong-site' },
    ],
    [
      'a payload that is no checkpoint',
      () => checkpoint(null, {}, GATE, { keyId: 7 as unknown as string }),
      { reason: 'malformed' },
    ],
  ])('reports %s', (_name, make, expected) => {
    const notices = run([...clean.slice(0, -1), make()]);
    expect(notices.filter((n) => n.notice !== 'chain-mismatch')).toEqual([expect.objectContaining(expected)]);
  });

  it('reports a signed head that differs from the event received, before or after the checkpoint', () => {
    const forged = rehashed(a4!, { payload: { plate: 'X' } });
    // Received before: the checkpoint finds it.
    expect(run([a1!, a2!, a3!, forged, g1])).toEqual([
      expect.objectContaining({
        notice: 'checkpoint-mismatch',
        eventId: g1.eventId,
        laneId: 'entry-1',
        seq: 4,
        signed: a4!.chain!.chainHash,
        received: forged.chain!.chainHash,
        receivedEventId: forged.eventId,
      }),
    ]);
    // Received after: the event is checked when it comes.
    expect(kinds(run([a1!, a2!, a3!, g1, forged]))).toEqual(['checkpoint-mismatch']);
    expect(kinds(run([a1!, a2!, a3!, g1, a4!]))).toEqual([]);
  });

  it('reports a signed checkpoint replayed as a later event: its own signed head is not the event before it', () => {
    const g2 = checkpoint(g1, { 'entry-1': headOf(a4!) });
    // g1's signed payload again, chained after g2 as a new event would be.
    const replayed = event('gate', 3, g2.chain!.chainHash, g1.payload, 'chain.checkpoint');
    expect(run([...clean, g2, replayed])).toEqual([
      expect.objectContaining({ notice: 'checkpoint-invalid', eventId: replayed.eventId, reason: 'misplaced' }),
    ]);
  });

  it('learns the key from the key topic, checking the checkpoints that came first', () => {
    const follower = new ChainFollower();
    const bad = checkpoint(g1, {}, OTHER);
    expect(run([...clean, bad], follower)).toEqual([]);
    expect(follower.summary()).toMatchObject({ checkpointsPending: 2, checkpointsVerified: 0 });
    const learnt = follower.learnKey(SITE, GATE);
    expect(learnt).toEqual([
      { notice: 'gate-key', siteId: SITE, keyId: GATE.keyId, previousKeyId: null, adopted: true },
      expect.objectContaining({ notice: 'checkpoint-invalid', eventId: bad.eventId, reason: 'unknown-key' }),
    ]);
    expect(follower.learnKey(SITE, GATE)).toEqual([]);
    // A new key for the site is reported, and checks what it signs from then on.
    expect(follower.learnKey(SITE, OTHER)).toEqual([
      { notice: 'gate-key', siteId: SITE, keyId: OTHER.keyId, previousKeyId: GATE.keyId, adopted: true },
    ]);
    expect(run([checkpoint(bad, { 'entry-1': headOf(a4!) }, OTHER)], follower)).toEqual([]);
    expect(follower.summary()).toMatchObject({
      eventsChecked: 9,
      checkpointsVerified: 2,
      checkpointsPending: 0,
      problems: { 'checkpoint-invalid': 1 },
      keys: { [SITE]: [GATE.keyId, OTHER.keyId] },
    });
  });

  it('keeps to the key given: another on the key topic is reported, not used', () => {
    const follower = new ChainFollower({ pinnedKey: GATE });
    expect(follower.learnKey(SITE, OTHER)).toEqual([
      { notice: 'gate-key', siteId: SITE, keyId: OTHER.keyId, previousKeyId: GATE.keyId, adopted: false },
    ]);
    expect(kinds(run([checkpoint(null, {}, OTHER)], follower))).toEqual(['checkpoint-invalid']);
  });

  it('forgets the oldest links beyond its window, and a lane the gate started again', () => {
    const follower = new ChainFollower({ pinnedKey: GATE, window: 2 });
    run([a1!, a2!, a3!, a4!], follower);
    // seqs 1 and 2 are forgotten: a replacement for seq 1 is no longer recognised.
    expect(run([rehashed(a1!, { eventId: eventId() })], follower)).toEqual([]);
    // A new chain from seq 1 after the gate lost its store (TailTracker's seq-reset).
    const again = lane('entry-1', 2);
    follower.resetLane(SITE, 'entry-1');
    expect(run(again, follower)).toEqual([]);
  });

  it('bounds the checkpoints waiting for a key, reporting those it drops', () => {
    const follower = new ChainFollower({ maxPendingCheckpoints: 1 });
    const first = checkpoint(null, {});
    expect(run([first], follower)).toEqual([]);
    expect(run([checkpoint(first, {})], follower)).toEqual([
      expect.objectContaining({ notice: 'checkpoint-invalid', eventId: first.eventId, reason: 'unknown-key' }),
    ]);
  });
});
