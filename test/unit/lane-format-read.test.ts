import { describe, expect, it } from 'vitest';
import { formatDecision, formatPlateRead, plateReadJson } from '../../src/lane/reading/format-read.js';
import { parsePlate } from '../../src/plates/parse.js';
import type { VotedPlateRead } from '../../src/plates/voter.js';

const at = Date.UTC(2026, 10, 25, 4, 5, 6);
function voted(rows: string[], extra: Partial<VotedPlateRead> = {}): VotedPlateRead {
  return {
    plate: parsePlate(rows, { countries: ['VN', 'CN'] }),
    confidence: 0.96543,
    votes: 3,
    reads: 4,
    box: { x: 1, y: 2, w: 30, h: 10 },
    frameAt: at,
    firstSeenAt: at - 1000,
    lastSeenAt: at,
    trigger: 'agreed',
    crop: Buffer.from([0xff, 0xd8, 0xff]),
    ...extra,
  };
}

describe('formatPlateRead', () => {
  it('prints time (UTC), lane, display form, country, kind, confidence, votes and trigger', () => {
    expect(formatPlateRead('lane-1', voted(['59-P1', '664.80']))).toBe(
      '04:05:06 lane-1  59-P1 664.80   VN motorbike  confidence 0.97  votes 3/4  agreed',
    );
  });

  it("names the vehicle's plates of the other country", () => {
    const otherPlates = [parsePlate(['云A·12345'], { countries: ['VN', 'CN'] })];
    expect(formatPlateRead('lane-1', voted(['T29-12345'], { otherPlates }))).toBe(
      '04:05:06 lane-1  T29-123.45     VN temporary  with 云A·12345  confidence 0.97  votes 3/4  agreed',
    );
    expect(plateReadJson('lane-1', voted(['T29-12345'], { otherPlates }))).toMatchObject({
      text: 'T2912345',
      otherPlates: ['云A12345'],
    });
  });

  it('shows a rejected read with its raw text and the reason', () => {
    expect(formatPlateRead('lane-2', voted(['12345'], { trigger: 'left' }))).toBe(
      '04:05:06 lane-2  ?? "12345" (rejected: no VN/CN plate format has 5 characters)  confidence 0.97  votes 3/4  left',
    );
  });
});

describe('plateReadJson', () => {
  it('gives the read as plain JSON without the crop bytes', () => {
    expect(plateReadJson('lane-1', voted(['云A·12345']))).toEqual({
      lane: 'lane-1',
      text: '云A12345',
      display: '云A·12345',
      valid: true,
      country: 'CN',
      kind: 'ordinary',
      layout: 'one-row',
      confidence: 0.9654,
      votes: 3,
      reads: 4,
      trigger: 'agreed',
      box: [1, 2, 30, 10],
      frameAt: '2026-11-25T04:05:06.000Z',
      cropBytes: 3,
    });
  });

  it('keeps the raw text and reason of a rejected read', () => {
    expect(plateReadJson('lane-1', voted(['12345']))).toMatchObject({
      valid: false,
      raw: '12345',
      reason: expect.stringMatching(/5 characters/),
    });
  });
});

describe('formatDecision', () => {
  const base = { listVersions: { allow: 1, deny: 1, watch: 1, declarations: null }, staleLists: [] };
  it('prints the action, the reason and its detail', () => {
    expect(
      formatDecision({
        ...base,
        action: 'open',
        reason: 'allowed',
        alarm: false,
        detail: '29C12345 is allowed (permit)',
        hints: {},
      }),
    ).toBe('→ OPEN allowed: 29C12345 is allowed (permit)');
  });

  it('adds near-miss hints and the alarm', () => {
    const hold = {
      ...base,
      action: 'hold' as const,
      reason: 'unknown-plate' as const,
      alarm: false,
      detail: '29C12346 is not on the allow list',
    };
    expect(formatDecision({ ...hold, hints: { nearMiss: [{ plate: '29C12345', distance: 1, list: 'allow' }] } })).toBe(
      '→ HOLD unknown-plate: 29C12346 is not on the allow list  (near 29C12345)',
    );
    expect(
      formatDecision({
        ...base,
        action: 'deny',
        reason: 'watch-list',
        alarm: true,
        detail: 'on the watch list',
        hints: {},
      }),
    ).toBe('→ DENY watch-list: on the watch list  ALARM');
  });
});
