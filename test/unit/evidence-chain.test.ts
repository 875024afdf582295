import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/evidence/canonical-json.js';
import {
  chainFieldsFor,
  chainHashOf,
  chainRecord,
  chainRecordText,
  checkEventFields,
  describeFault,
  sha256Hex,
  type ChainEnvelope,
} from '../../src/evidence/chain.js';
import {
  checkpointSignatureValid,
  parseCheckpoint,
  prunedRangeSignatureValid,
  signCheckpoint,
  signPrunedRange,
} from '../../src/evidence/checkpoint.js';
import { consecutiveRuns } from '../../src/store/chain-pruning.js';

const envelope: ChainEnvelope = {
  eventId: '01JDX3W6Q2M1T1C9K1R5Z6A7B8',
  bootId: '01JDX3T0000000000000000000',
  seq: 7,
  laneId: 'entry-1',
  type: 'plate.read',
  ts: 1_767_225_600_123,
};
const payload = { text: '29C12345', confidence: 0.97 };
const crop = Buffer.from('a small jpeg');
const fields = chainFieldsFor(envelope, canonicalJson(payload), crop, 'ab'.repeat(32));

describe('the chain record', () => {
  it('hashes the canonical record of the envelope and the three links, as docs/evidence.md spells it', () => {
    const record =
      '{"bootId":"01JDX3T0000000000000000000","cropHash":"' +
      sha256Hex(crop) +
      '","eventId":"01JDX3W6Q2M1T1C9K1R5Z6A7B8","laneId":"entry-1","payloadHash":"' +
      sha256Hex('{"confidence":0.97,"text":"29C12345"}') +
      '","prevHash":"' +
      'ab'.repeat(32) +
      '","seq":7,"ts":1767225600123,"type":"plate.read","v":1}';
    expect(fields).toEqual({
      v: 1,
      payloadHash: sha256Hex('{"confidence":0.97,"text":"29C12345"}'),
      cropHash: sha256Hex(crop),
      prevHash: 'ab'.repeat(32),
      chainHash: sha256Hex(record),
    });
  });

  it.each<[string, ChainEnvelope, Parameters<typeof chainRecordText>[1]]>([
    ['an ordinary event', envelope, fields],
    ['no crop, first link', envelope, { ...fields, cropHash: null, prevHash: null }],
    ['ids that need escaping', { ...envelope, bootId: 'a"b\\c', laneId: 'cổng-1 入口' }, fields],
    ['large numbers', { ...envelope, seq: 2 ** 40, ts: 4_102_444_800_000 }, fields],
  ])('writes the record by hand exactly as the general canonical form: %s', (_name, e, links) => {
    expect(chainRecordText(e, links)).toBe(canonicalJson(chainRecord(e, links)));
  });

  it('has null for no crop and for the first link', () => {
    const first = chainFieldsFor(envelope, '{}', null, null);
    expect(first).toMatchObject({ cropHash: null, prevHash: null });
    expect(first.chainHash).toBe(chainHashOf(envelope, first));
  });

  it.each<[string, Partial<ChainEnvelope>]>([
    ['event id', { eventId: '01JDX3W6Q2M1T1C9K1R5Z6A7B9' }],
    ['boot id', { bootId: 'another' }],
    ['seq', { seq: 8 }],
    ['lane', { laneId: 'exit-1' }],
    ['type', { type: 'decision' }],
    ['time', { ts: envelope.ts + 1 }],
  ])('changes with the %s', (_name, change) => {
    expect(chainHashOf({ ...envelope, ...change }, fields)).not.toBe(fields.chainHash);
  });
});

describe('checkEventFields', () => {
  it('passes the event as recorded, whatever order its payload members arrive in', () => {
    expect(checkEventFields(envelope, { confidence: 0.97, text: '29C12345' }, fields, crop)).toBeNull();
    expect(checkEventFields(envelope, payload, fields)).toBeNull(); // no crop at hand: not checked
  });

  it.each<[string, () => ReturnType<typeof checkEventFields>, string]>([
    [
      'a rewritten payload',
      () => checkEventFields(envelope, { ...payload, text: '29C12346' }, fields, crop),
      'payload',
    ],
    ['a swapped crop', () => checkEventFields(envelope, payload, fields, Buffer.from('another jpeg')), 'crop'],
    ['a removed crop', () => checkEventFields(envelope, payload, fields, null), 'crop'],
    ['a changed envelope', () => checkEventFields({ ...envelope, ts: 1 }, payload, fields, crop), 'record'],
    [
      'a payload re-hashed without the chain hash',
      () => {
        const rewritten = { ...payload, text: 'X' };
        return checkEventFields(
          envelope,
          rewritten,
          { ...fields, payloadHash: sha256Hex(canonicalJson(rewritten)) },
          crop,
        );
      },
      'record',
    ],
    [
      'a changed link',
      () => checkEventFields(envelope, payload, { ...fields, prevHash: 'cd'.repeat(32) }, crop),
      'record',
    ],
  ])('catches %s', (_name, check, fault) => {
    const found = check();
    expect(found?.fault).toBe(fault);
    expect(describeFault(found!)).toMatch(/do(es)? not match/);
  });
});

describe('checkpoints and pruned ranges', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const other = generateKeyPairSync('ed25519');
  const body = {
    reason: 'shutdown' as const,
    siteId: 'mlt-kth',
    keyId: '0123456789abcdef',
    at: 1_767_225_600_000,
    heads: { 'entry-1': { seq: 7, chainHash: fields.chainHash }, gate: { seq: 2, chainHash: 'ef'.repeat(32) } },
  };

  it('signs a checkpoint so that only the gate key verifies it, and any change breaks it', () => {
    const checkpoint = signCheckpoint(body, privateKey);
    expect(parseCheckpoint({ ...checkpoint })).toEqual(checkpoint);
    expect(checkpointSignatureValid(checkpoint, publicKey)).toBe(true);
    expect(checkpointSignatureValid(checkpoint, other.publicKey)).toBe(false);
    const moved = { ...checkpoint, heads: { ...checkpoint.heads, 'entry-1': { seq: 6, chainHash: fields.chainHash } } };
    expect(checkpointSignatureValid(moved, publicKey)).toBe(false);
    expect(checkpointSignatureValid({ ...checkpoint, signature: 'not base64!' }, publicKey)).toBe(false);
  });

  it('does not take a pruned range signature for a checkpoint signature (tags differ)', () => {
    const range = { laneId: 'entry-1', fromSeq: 1, toSeq: 6, lastHash: 'ab'.repeat(32) };
    const signature = signPrunedRange(range, privateKey);
    expect(prunedRangeSignatureValid(range, signature, publicKey)).toBe(true);
    expect(prunedRangeSignatureValid({ ...range, toSeq: 7 }, signature, publicKey)).toBe(false);
    expect(prunedRangeSignatureValid(range, signature, other.publicKey)).toBe(false);
  });

  it.each<[string, Record<string, unknown>]>([
    ['an unknown reason', { reason: 'whenever' }],
    ['no signature', { signature: undefined }],
    ['a head without a hash', { heads: { 'entry-1': { seq: 7 } } }],
    ['a head with a fractional seq', { heads: { 'entry-1': { seq: 1.5, chainHash: 'ab'.repeat(32) } } }],
    ['heads as a list', { heads: [] }],
  ])('parses no checkpoint from %s', (_name, change) => {
    expect(parseCheckpoint({ ...signCheckpoint(body, privateKey), ...change })).toBeNull();
  });
});

describe('consecutiveRuns', () => {
  const link = (lane_id: string, seq: number) => ({ lane_id, seq, chain_hash: `${lane_id}-${seq}` });
  it.each([
    ['one run', [link('a', 1), link('a', 2), link('a', 3)], [{ laneId: 'a', fromSeq: 1, toSeq: 3, lastHash: 'a-3' }]],
    [
      'a hole splits it',
      [link('a', 1), link('a', 2), link('a', 5)],
      [
        { laneId: 'a', fromSeq: 1, toSeq: 2, lastHash: 'a-2' },
        { laneId: 'a', fromSeq: 5, toSeq: 5, lastHash: 'a-5' },
      ],
    ],
    [
      'lanes apart, in any order given',
      [link('b', 2), link('a', 1), link('b', 1)],
      [
        { laneId: 'a', fromSeq: 1, toSeq: 1, lastHash: 'a-1' },
        { laneId: 'b', fromSeq: 1, toSeq: 2, lastHash: 'b-2' },
      ],
    ],
    ['nothing', [], []],
  ])('%s', (_name, links, runs) => {
    expect(consecutiveRuns(links)).toEqual(runs);
  });
});
