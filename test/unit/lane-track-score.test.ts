import { describe, expect, it } from 'vitest';

// How the lane test track scores the lane's decisions against the clip's sidecar
// (scripts/lib/lane-track.mjs): the first decision on a vehicle counts.
interface Decision {
  plate: string;
  display: string;
  otherPlates: string[];
  action: string;
  reason: string;
  votes: number;
  confidence: number;
  trigger: string;
  atClipMs: number;
  firstSeenClipS: number;
}
interface Scored {
  vehicles: { index: number; role: string; outcome: string; msFromReadable: number | null; extraDecisions: number }[];
  unattributed: Decision[];
  totals: { right: number; wrong: number; missed: number; msFromReadable: { n: number; median: number | null } };
}
const { scoreTrack, roleOf, trackLists } = (await import(
  new URL('../../scripts/lib/lane-track.mjs', import.meta.url).href
)) as {
  scoreTrack(sidecar: unknown, decisions: Decision[]): Scored;
  roleOf(index: number): string;
  trackLists(vehicles: unknown[], now: number): Record<string, { key: string; pairedPlate?: string }[]>;
};

const vehicle = (index: number, text: string, second?: string) => ({
  index,
  condition: 'clean',
  plate: { text, display: text },
  ...(second ? { secondPlate: { text: second, display: second } } : {}),
  window: { start: index * 5, end: index * 5 + 5 },
  readable: { start: index * 5 + 1.5 },
});
const decision = (plate: string, action: string, atClipMs: number, otherPlates: string[] = []): Decision => ({
  plate,
  display: plate,
  otherPlates,
  action,
  reason: action === 'open' ? 'allowed' : 'unknown-plate',
  votes: 3,
  confidence: 0.9,
  trigger: 'agreed',
  atClipMs,
  firstSeenClipS: atClipMs / 1000 - 0.3,
});

describe('scoreTrack', () => {
  const sidecar = {
    vehicles: [
      vehicle(0, '29C12345'),
      vehicle(1, '云A12345'),
      vehicle(2, '30A11111'),
      vehicle(3, '云A68420', 'T2513579'),
      vehicle(4, '51G67890'),
    ],
  };

  it('scores right, wrong (a misread in its slot, a wrong action) and missed by the first decision', () => {
    expect([0, 1, 2, 3, 4].map(roleOf)).toEqual(['allow', 'allow', 'allow', 'allow', 'unlisted']);
    const scored = scoreTrack(sidecar, [
      decision('29C12345', 'open', 1800),
      decision('29C12845', 'hold', 1900), // a second, misread decision on the same car: an extra
      decision('云A12845', 'hold', 6800), // misread in vehicle 1's slot
      decision('云A12345', 'open', 7200), // too late: the barrier acted on the misread
      decision('T2513579', 'open', 16_900, ['云A68420']),
      decision('51G67890', 'open', 21_700), // not listed, yet opened
    ]);
    expect(scored.vehicles.map((v) => [v.index, v.outcome, v.msFromReadable, v.extraDecisions])).toEqual([
      [0, 'right', 300, 1],
      [1, 'wrong', 300, 1],
      [2, 'missed', null, 0],
      [3, 'right', 400, 0],
      [4, 'wrong', 200, 0],
    ]);
    expect(scored.totals).toMatchObject({ right: 2, wrong: 2, missed: 1, msFromReadable: { n: 4, median: 300 } });
    expect(scored.unattributed).toEqual([]);
  });

  it('keeps a decision outside every slot apart', () => {
    const stray = decision('99Z99999', 'hold', 40_000);
    expect(scoreTrack(sidecar, [stray]).unattributed).toEqual([stray]);
  });

  it('lists the allowed truck under its Vietnamese plate, paired with its Chinese one, and leaves the unlisted out', () => {
    const lists = trackLists(sidecar.vehicles, 0);
    expect(lists.allow!.map((e) => [e.key, e.pairedPlate])).toEqual([
      ['29C12345', undefined],
      ['云A12345', undefined],
      ['30A11111', undefined],
      ['T2513579', '云A68420'],
    ]);
  });
});
