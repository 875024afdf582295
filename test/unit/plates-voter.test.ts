import { describe, expect, it } from 'vitest';
import { FakeClock } from '../helpers/fake-clock.js';
import type { Box } from '../../src/core/image.js';
import type { ParsedPlate } from '../../src/plates/types.js';
import {
  composeByPosition,
  dropWeakestLoser,
  laterVehicle,
  leader,
  newTally,
  addToTally,
  type Tally,
} from '../../src/plates/vote-tally.js';
import {
  isSubsequence,
  PlateVoter,
  samePlace,
  type PlateObservation,
  type VotedPlateRead,
  type VoterOptions,
} from '../../src/plates/voter.js';

/** A parse built by hand (the grammar lives elsewhere): valid texts are VN or CN by their first character. */
function plate(text: string, valid = true): ParsedPlate {
  const chinese = /^\p{Script=Han}/u.test(text);
  return {
    valid,
    raw: text,
    text,
    display: text,
    country: valid ? (chinese ? 'CN' : 'VN') : null,
    kind: valid ? (chinese ? 'ordinary' : 'car') : null,
    layout: 'one-row',
    corrections: 0,
    ...(valid ? {} : { reason: 'test: rejected' }),
  };
}

/** A stand-in grammar for position-wise voting: two digits, a letter, five digits. */
const reparseVn = (text: string): ParsedPlate => plate(text, /^\d{2}[A-Z]\d{5}$/.test(text));

interface Read {
  text: string;
  confidence: number;
  valid?: boolean;
  box?: Box;
}

const FRAME_MS = 100;
const defaultBox: Box = { x: 10, y: 20, w: 120, h: 30 };

/** Drives a voter frame by frame on a fake clock and collects what it emits. */
class Harness {
  readonly clock = new FakeClock();
  readonly voter: PlateVoter;
  readonly emitted: VotedPlateRead[] = [];

  constructor(opts: VoterOptions = {}) {
    this.voter = new PlateVoter(opts, this.clock);
  }

  /** Advances one frame and feeds these reads; returns this frame's emissions. */
  frame(...reads: Read[]): VotedPlateRead[] {
    this.clock.advance(FRAME_MS);
    const observations: PlateObservation[] = reads.map((r) => ({
      plate: plate(r.text, r.valid ?? true),
      confidence: r.confidence,
      box: r.box ?? defaultBox,
      crop: cropFor(r.text, r.confidence),
      frameAt: this.clock.now(),
      monotonicAt: this.clock.monotonic(),
    }));
    const out = this.voter.observe(observations);
    this.emitted.push(...out);
    return out;
  }

  /** Frames with nothing read, for `ms`. */
  idle(ms: number): VotedPlateRead[] {
    const out: VotedPlateRead[] = [];
    for (let t = 0; t < ms; t += FRAME_MS) out.push(...this.frame());
    return out;
  }

  /** `count` frames each reading `text`. */
  reads(text: string, count: number, confidence = 0.9): VotedPlateRead[] {
    const out: VotedPlateRead[] = [];
    for (let i = 0; i < count; i++) out.push(...this.frame({ text, confidence }));
    return out;
  }

  texts(): string[] {
    return this.emitted.map((e) => e.plate.text);
  }
}

const cropFor = (text: string, confidence: number) => Buffer.from(`${text}@${confidence}`);
const read = (text: string, confidence = 0.9, extra: Partial<Read> = {}): Read => ({ text, confidence, ...extra });

describe('PlateVoter: agreement', () => {
  it('reports five reads of one plate with one misread once, with 4 votes and the best winning crop', () => {
    const h = new Harness({ minVotes: 4 });
    const start = h.clock.now();
    h.frame(read('29C12345', 0.8));
    h.frame(read('29C12345', 0.85));
    h.frame(read('29C12845', 0.97)); // the misread is the most confident read of all
    h.frame(read('29C12345', 0.93, { box: { x: 1, y: 2, w: 3, h: 4 } }));
    const bestAt = h.clock.now();
    expect(h.emitted).toEqual([]);
    const out = h.frame(read('29C12345', 0.88));
    expect(out).toHaveLength(1);
    const voted = out[0]!;
    expect(voted.trigger).toBe('agreed');
    expect(voted.plate.text).toBe('29C12345');
    expect(voted.plate.valid).toBe(true);
    expect(voted.votes).toBe(4);
    expect(voted.reads).toBe(5);
    expect(voted.confidence).toBeCloseTo((0.8 + 0.85 + 0.93 + 0.88) / 4, 12);
    expect(voted.crop?.toString()).toBe('29C12345@0.93');
    expect(voted.box).toEqual({ x: 1, y: 2, w: 3, h: 4 });
    expect(voted.frameAt).toBe(bestAt);
    expect(voted.firstSeenAt).toBe(start + FRAME_MS);
    expect(voted.lastSeenAt).toBe(h.clock.now());

    h.reads('29C12345', 5);
    h.idle(5000);
    expect(h.emitted).toHaveLength(1);
    expect(h.voter.openTracks()).toBe(0);
  });

  it('emits as soon as minVotes reads agree, then absorbs the vehicle silently until it leaves', () => {
    const h = new Harness();
    expect(h.reads('51G67890', 2)).toEqual([]);
    const out = h.reads('51G67890', 1);
    expect(out.map((e) => [e.plate.text, e.trigger, e.votes])).toEqual([['51G67890', 'agreed', 3]]);
    h.reads('51G67890', 20);
    expect(h.voter.openTracks()).toBe(1);
    h.idle(4000);
    expect(h.emitted).toHaveLength(1);
    expect(h.voter.openTracks()).toBe(0);
  });

  it('keeps two plates of one country read in the same frames apart (two vehicles, one behind the other)', () => {
    const h = new Harness();
    for (let i = 0; i < 4; i++) h.frame(read('29C12345', 0.9), read('51G67890', 0.8));
    expect(h.voter.openTracks()).toBe(2);
    expect(h.texts().sort()).toEqual(['29C12345', '51G67890']);
    expect(h.emitted.every((e) => e.trigger === 'agreed' && e.votes === 3 && e.otherPlates === undefined)).toBe(true);
  });

  it('keeps two similar plates side by side apart: one read per track per frame', () => {
    const h = new Harness();
    h.frame(read('29C12345', 0.9)); // the second car comes into view a frame later
    for (let i = 0; i < 3; i++) h.frame(read('29C12345', 0.9), read('29C12346', 0.9));
    expect(h.texts().sort()).toEqual(['29C12345', '29C12346']);
    h.idle(4000);
    expect(h.emitted).toHaveLength(2);
  });
});

describe('PlateVoter: the vehicle leaves', () => {
  it('reports a vehicle read only twice once it has been gone for vehicleGapMs', () => {
    const h = new Harness({ vehicleGapMs: 3000 });
    h.reads('29C12345', 1, 0.7);
    h.reads('29C12345', 1, 0.8);
    const lastSeen = h.clock.monotonic();
    while (h.clock.monotonic() < lastSeen + 2900) expect(h.frame()).toEqual([]);
    const out = h.frame(); // exactly vehicleGapMs after the last read
    expect(h.clock.monotonic() - lastSeen).toBe(3000);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ trigger: 'left', votes: 2, reads: 2 });
    expect(out[0]!.confidence).toBeCloseTo(0.75, 12);
    expect(out[0]!.crop?.toString()).toBe('29C12345@0.8');
    expect(h.voter.openTracks()).toBe(0);
    expect(h.idle(5000)).toEqual([]);
  });

  it('reports a single invalid read rather than dropping it when told to (minReadsUnreadable 1)', () => {
    const h = new Harness({ minReadsUnreadable: 1 });
    h.frame(read('ABC123XYZ', 0.4, { valid: false }));
    const out = h.idle(3000);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ trigger: 'left', votes: 1 });
    expect(out[0]!.plate.valid).toBe(false);
  });

  it('drops a glimpse: a track with no valid read and fewer than minReadsUnreadable reads', () => {
    const h = new Harness();
    h.frame(read('津0930', 0.4, { valid: false }));
    h.frame(read('津09301', 0.5, { valid: false }));
    expect(h.idle(3000)).toEqual([]);
    expect(h.voter.openTracks()).toBe(0);
    // Nothing is remembered of it: a vehicle read weakly under a similar text later is reported.
    h.frame(read('津A09301', 0.9));
    expect(h.idle(3000)).toMatchObject([{ plate: { text: '津A09301', valid: true }, votes: 1 }]);
  });

  it('reports an unreadable plate read in minReadsUnreadable frames (a vehicle at the barrier)', () => {
    const h = new Harness();
    for (let i = 0; i < 3; i++) h.frame(read(`MUD${i}X`, 0.3, { valid: false }));
    const out = h.idle(3000);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ trigger: 'left', reads: 3 });
    expect(out[0]!.plate.valid).toBe(false);
  });

  it('keeps a one-read valid plate: the glimpse rule is only for tracks the grammar never accepted', () => {
    const h = new Harness();
    h.frame(read('29C12345', 0.6));
    expect(h.idle(3000)).toMatchObject([{ plate: { text: '29C12345' }, votes: 1, reads: 1 }]);
  });

  it("drops one frame read just before another plate's track began at the same place (its plate entering the view, blurred)", () => {
    const h = new Harness();
    h.frame(read('甘BE65E5', 0.7)); // 甘B·E8253 blurred as it enters
    h.reads('甘BE8253', 5);
    h.idle(5000);
    expect(h.texts()).toEqual(['甘BE8253']);
    // Nothing is remembered of the blurred read: a vehicle that carries that text is reported.
    h.reads('甘BE65E5', 3);
    expect(h.texts()).toEqual(['甘BE8253', '甘BE65E5']);
  });

  const elsewhere: Box = { x: 600, y: 300, w: 120, h: 30 };
  const farther: Box = { x: 20, y: 22, w: 50, h: 12 };
  it.each([
    ['at another place in the frame', { box: elsewhere }, 0],
    ['much farther from the camera (a plate in the queue behind)', { box: farther }, 0],
    ['read in the same frame as the other plate', {}, 'same-frame'],
    ['more than blurredEntryMs before the other track', {}, 600],
  ] as const)('still reports that one-frame read %s', (_what, extra, gap) => {
    const h = new Harness();
    if (gap === 'same-frame') {
      h.frame(read('甘BE65E5', 0.7, { box: elsewhere }), read('甘BE8253', 0.9));
    } else {
      h.frame(read('甘BE65E5', 0.7, extra));
      h.idle(gap);
    }
    h.reads('甘BE8253', 5);
    h.idle(5000);
    expect(h.texts().sort()).toEqual(['甘BE65E5', '甘BE8253'].sort());
  });

  it('still reports a one-frame read before another track when the rule is off (blurredEntryMs 0)', () => {
    const h = new Harness({ blurredEntryMs: 0 });
    h.frame(read('甘BE65E5', 0.7));
    h.reads('甘BE8253', 5);
    h.idle(5000);
    expect(h.texts().sort()).toEqual(['甘BE65E5', '甘BE8253'].sort());
  });

  it('keeps a vehicle read minVotes times before the next one at the same place', () => {
    const h = new Harness();
    h.reads('29C12345', 3);
    h.reads('29C67890', 5);
    h.idle(5000);
    expect(h.texts()).toEqual(['29C12345', '29C67890']);
  });

  it('does not let a gap in the reads join them into one vehicle', () => {
    const h = new Harness({ repeatWindowMs: 0 });
    h.reads('29C12345', 3);
    h.idle(3500);
    h.reads('29C12345', 3);
    expect(h.emitted.map((e) => e.trigger)).toEqual(['agreed', 'agreed']);
  });
});

describe('PlateVoter: grammar validity', () => {
  it('never lets invalid reads win over a valid one, however confident or many', () => {
    const h = new Harness();
    h.frame(read('29C1234S', 0.99, { valid: false }));
    h.frame(read('29C12345', 0.5));
    for (let i = 0; i < 4; i++) h.frame(read('29C1234S', 0.99, { valid: false }));
    expect(h.emitted).toEqual([]); // five agreeing invalid reads are not an agreement once a valid read exists
    const out = h.idle(3000);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ trigger: 'left', votes: 1, reads: 6 });
    expect(out[0]!.plate).toMatchObject({ text: '29C12345', valid: true });
    expect(out[0]!.confidence).toBeCloseTo(0.5, 12);
  });

  it('reports agreeing invalid reads when nothing valid was read (a plate the grammar does not know)', () => {
    const h = new Harness();
    for (let i = 0; i < 3; i++) h.frame(read('XY1234AB', 0.9, { valid: false }));
    expect(h.emitted).toHaveLength(1);
    expect(h.emitted[0]).toMatchObject({ trigger: 'agreed', votes: 3 });
    expect(h.emitted[0]!.plate.valid).toBe(false);
  });

  it('counts a text read both valid and invalid (demoted for low confidence) as one valid text', () => {
    const h = new Harness();
    h.frame(read('29C12345', 0.4, { valid: false }));
    h.frame(read('29C12345', 0.9));
    h.frame(read('29C12345', 0.45, { valid: false }));
    expect(h.emitted).toHaveLength(1);
    expect(h.emitted[0]).toMatchObject({ trigger: 'agreed', votes: 3 });
    expect(h.emitted[0]!.plate.valid).toBe(true);
  });
});

describe('PlateVoter: the same vehicle again', () => {
  it('does not report a plate seen again 10 s later, but does after the repeat window', () => {
    const h = new Harness({ repeatWindowMs: 60_000 });
    h.reads('29C12345', 3);
    h.idle(10_000);
    h.reads('29C12345', 5);
    h.idle(5000);
    expect(h.emitted).toHaveLength(1);
    h.idle(61_000);
    const again = h.reads('29C12345', 3);
    expect(again.map((e) => e.trigger)).toEqual(['agreed']);
    expect(h.emitted).toHaveLength(2);
  });

  it('measures the repeat window from when the plate was last seen', () => {
    const h = new Harness({ repeatWindowMs: 60_000 });
    for (let i = 0; i < 5; i++) {
      h.reads('29C12345', 3);
      h.idle(40_000); // each return is within 60 s of the last sighting, not of the emission
    }
    expect(h.emitted).toHaveLength(1);
  });

  it('treats a weak one-character misread within the window as the same vehicle', () => {
    const h = new Harness();
    h.reads('29C12345', 4);
    h.idle(5000);
    h.reads('29C12346', 2); // two reads at the edge of the view, a character wrong
    h.idle(5000);
    expect(h.texts()).toEqual(['29C12345']);
  });

  it('reports a similar plate whose reads agree as a different vehicle', () => {
    const h = new Harness();
    h.reads('29C12345', 4);
    h.idle(5000);
    h.reads('29C12346', 3);
    expect(h.texts()).toEqual(['29C12345', '29C12346']);
  });

  it('reports a vehicle that follows another with a similar plate within the gap', () => {
    const h = new Harness();
    h.reads('29C12345', 10);
    h.idle(1000); // less than vehicleGapMs
    const out = h.reads('29C12346', 3);
    expect(out.map((e) => [e.plate.text, e.trigger, e.votes, e.reads])).toEqual([['29C12346', 'agreed', 3, 3]]);
    h.idle(5000);
    expect(h.texts()).toEqual(['29C12345', '29C12346']);
  });

  it('treats a rejected fragment of a reported plate (one row, half out of view) as the same vehicle', () => {
    const h = new Harness();
    h.reads('59P166480', 3);
    h.idle(4000);
    for (let i = 0; i < 4; i++) h.frame(read('66480', 0.99, { valid: false })); // the lower row as it leaves
    h.idle(5000);
    expect(h.texts()).toEqual(['59P166480']);
  });

  it('treats a rejected read with characters missing from a reported plate as a fragment of it', () => {
    const h = new Harness();
    h.reads('云A54321', 3);
    for (let i = 0; i < 3; i++) h.frame(read('云A432', 0.95, { valid: false })); // a two-row plate tilting away
    h.idle(5000);
    expect(h.texts()).toEqual(['云A54321']);
  });

  it('treats a rejected fragment as part of a plate whose track is still being read (not yet agreed)', () => {
    const h = new Harness();
    h.frame(read('云A432', 0.95, { valid: false })); // the plate tilting into view
    h.idle(1000);
    // The full plate is read slowly (a loaded machine): its track agrees only after the
    // fragment's own track has closed.
    for (let i = 0; i < 3; i++) {
      h.frame(read('云A54321', 0.95));
      h.idle(1500);
    }
    h.idle(5000);
    expect(h.texts()).toEqual(['云A54321']);
  });

  it('still reports a rejected read that is not part of a known plate', () => {
    const h = new Harness();
    h.reads('59P166480', 3);
    h.idle(4000);
    for (let i = 0; i < 3; i++) h.frame(read('77123', 0.99, { valid: false }));
    h.idle(5000);
    expect(h.emitted.map((e) => [e.plate.text, e.plate.valid])).toEqual([
      ['59P166480', true],
      ['77123', false],
    ]);
  });

  it('treats a weak valid read of a stretch of a reported plate, a character wrong, as the same vehicle', () => {
    const h = new Harness();
    h.reads('津Q69585', 3);
    h.idle(2000);
    h.frame(read('QG9585', 0.95)); // leaving the view: the province gone, 6 read as G, a shape the grammar takes
    h.idle(5000);
    expect(h.texts()).toEqual(['津Q69585']);
  });

  it('reports that read as a vehicle when its reads agree (a different vehicle)', () => {
    const h = new Harness();
    h.reads('津Q69585', 3);
    h.idle(2000);
    h.reads('QG9585', 3);
    h.idle(5000);
    expect(h.texts()).toEqual(['津Q69585', 'QG9585']);
  });

  it('does not take a valid plate for a fragment of a longer one', () => {
    const h = new Harness();
    h.reads('云AD12345', 3);
    h.idle(4000);
    h.reads('云A12345', 3); // a different vehicle whose text happens to be contained
    expect(h.texts()).toEqual(['云AD12345', '云A12345']);
  });

  it('keeps one vehicle whose reads alternate between two texts as one', () => {
    const h = new Harness();
    for (let i = 0; i < 10; i++) h.frame(read(i % 3 === 2 ? '29C12346' : '29C12345', 0.9));
    h.idle(5000);
    expect(h.texts()).toEqual(['29C12345']);
  });
});

describe('PlateVoter: maxTrackMs and flush', () => {
  it('closes a track open for maxTrackMs with what it has', () => {
    const h = new Harness({ minVotes: 100, maxTrackMs: 10_000 });
    const out: VotedPlateRead[] = [];
    for (let i = 0; i < 50; i++) {
      out.push(...h.frame(read('29C12345', 0.9)));
      out.push(...h.idle(400));
    }
    expect(out[0]).toMatchObject({ trigger: 'timeout', plate: { text: '29C12345' } });
    expect(out[0]!.votes).toBeGreaterThanOrEqual(20);
    expect(out[0]!.lastSeenAt - out[0]!.firstSeenAt).toBeLessThan(10_000);
    expect(out).toHaveLength(1); // the next tracks of the parked vehicle are repeats
  });

  it('does not report a vehicle parked in view again when its track times out', () => {
    const h = new Harness({ maxTrackMs: 30_000 });
    h.reads('29C12345', 3000); // five minutes at 10 frames a second
    expect(h.emitted).toHaveLength(1);
    expect(h.voter.openTracks()).toBe(1);
  });

  it('flush reports undecided tracks as timeout and leaves none open', () => {
    const h = new Harness();
    h.reads('29C12345', 3); // decided: not reported again
    h.frame(read('29C12345', 0.9), read('云A12345', 0.8));
    expect(h.voter.openTracks()).toBe(2);
    const out = h.voter.flush();
    expect(out.map((e) => [e.plate.text, e.trigger, e.votes])).toEqual([['云A12345', 'timeout', 1]]);
    expect(h.voter.openTracks()).toBe(0);
    expect(h.voter.flush()).toEqual([]);
  });
});

describe('PlateVoter: position-wise voting', () => {
  // Three reads, each wrong in a different place; no text is read twice.
  const noisy = [read('29C12346', 0.9), read('28C12345', 0.8), read('29C18345', 0.85)];

  it('composes the text by position when the grammar accepts it', () => {
    const h = new Harness({ reparse: reparseVn });
    for (const r of noisy) h.frame(r);
    const out = h.idle(3000);
    expect(out).toHaveLength(1);
    expect(out[0]!.plate).toMatchObject({ text: '29C12345', valid: true });
    expect(out[0]).toMatchObject({ trigger: 'left', votes: 3, reads: 3 });
    expect(out[0]!.crop?.toString()).toBe('29C12346@0.9');
  });

  it('falls back to the whole-text winner without a grammar', () => {
    const h = new Harness();
    for (const r of noisy) h.frame(r);
    const out = h.idle(3000);
    expect(out.map((e) => [e.plate.text, e.votes])).toEqual([['29C12346', 1]]);
  });

  it('falls back to the whole-text winner when the grammar rejects the composed text', () => {
    const h = new Harness({ reparse: (text) => plate(text, text !== '29C12345') });
    for (const r of noisy) h.frame(r);
    expect(h.idle(3000).map((e) => [e.plate.text, e.votes])).toEqual([['29C12346', 1]]);
  });

  it('keeps a text read twice over a composed one', () => {
    const h = new Harness({ reparse: reparseVn });
    h.frame(read('29C12346', 0.9));
    h.frame(read('29C12346', 0.9));
    // By position these two outweigh the last character: composing would give 29C12345.
    h.frame(read('28C12345', 0.95));
    h.frame(read('29C18345', 0.95));
    expect(h.idle(3000).map((e) => [e.plate.text, e.votes])).toEqual([['29C12346', 2]]);
  });
});

describe('PlateVoter: bounded memory', () => {
  it('does not grow without bound on a stream of random texts', () => {
    const h = new Harness({ maxOpenTracks: 32, maxRemembered: 512, minReadsUnreadable: 1 });
    let seed = 12345;
    const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    const alphabet = '0123456789ABCDEFGHKLMNPSTUVXYZ';
    const randomText = () => Array.from({ length: 8 }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
    let maxOpen = 0;
    let maxRemembered = 0;
    for (let i = 0; i < 5000; i++) {
      h.frame(
        ...Array.from({ length: 1 + Math.floor(random() * 2) }, () =>
          read(randomText(), random(), { valid: random() < 0.5 }),
        ),
      );
      maxOpen = Math.max(maxOpen, h.voter.openTracks());
      maxRemembered = Math.max(maxRemembered, h.voter.rememberedPlates());
    }
    expect(maxOpen).toBe(32);
    expect(maxRemembered).toBe(512);
    expect(h.emitted.length).toBeGreaterThan(5000); // noise is reported, one read each, for the consumer to judge
    expect(h.emitted.every((e) => e.votes === 1)).toBe(true);
    h.idle(65_000);
    expect(h.voter.openTracks()).toBe(0);
    expect(h.voter.rememberedPlates()).toBe(0);
  });

  it('forgets the weakest texts of a track beyond maxTextsPerTrack', () => {
    // Composing all three noisy reads gives 29C12345 (see position-wise voting); with room for
    // two texts the weakest read (28C12345) is forgotten and composing adds nothing.
    const h = new Harness({ reparse: reparseVn, maxTextsPerTrack: 2 });
    h.frame(read('29C12346', 0.9));
    h.frame(read('28C12345', 0.8));
    h.frame(read('29C18345', 0.85));
    expect(h.idle(3000).map((e) => [e.plate.text, e.votes, e.reads])).toEqual([['29C12346', 1, 3]]);
  });

  it('keeps one track for one parked vehicle read many ways', () => {
    const h = new Harness();
    const alphabet = '0123456789ABCDEFGHKLMNPSTUVXYZ';
    const misread = (i: number) => {
      const chars = Array.from('29C12345');
      chars[i % 8] = alphabet[(i * 7) % alphabet.length]!;
      return chars.join('');
    };
    // Every other read is right; the others are hundreds of different one-character misreads.
    for (let i = 0; i < 2000; i++) h.frame(read(i % 2 === 0 ? '29C12345' : misread(i), i % 2 === 0 ? 0.8 : 0.95));
    expect(h.voter.openTracks()).toBe(1);
    expect(h.idle(4000).map((e) => e.plate.text)).toEqual([]);
    expect(h.texts()).toEqual(['29C12345']);
  });
});

describe("PlateVoter: a vehicle's plate of the other country", () => {
  const small: Box = { x: 400, y: 10, w: 40, h: 12 };

  it('reports a VN and a CN plate read in the same frames as one vehicle, the second in otherPlates', () => {
    const h = new Harness();
    for (let i = 0; i < 3; i++) h.frame(read('29C12345', 0.9), read('云A12345', 0.8));
    expect(h.emitted).toHaveLength(1);
    const [vehicle] = h.emitted;
    expect(vehicle!.plate.text).toBe('29C12345');
    expect(vehicle!.otherPlates?.map((p) => p.text)).toEqual(['云A12345']);
    // The second plate reads on with the vehicle, agrees, leaves: never a vehicle of its own.
    for (let i = 0; i < 5; i++) h.frame(read('29C12345', 0.9), read('云A12345', 0.8));
    h.idle(4000);
    expect(h.texts()).toEqual(['29C12345']);
    expect(h.voter.openTracks()).toBe(0);
    // Nor when it comes back within the repeat window.
    h.reads('云A12345', 4);
    h.idle(4000);
    expect(h.texts()).toEqual(['29C12345']);
  });

  it('names the plate that agreed first as the vehicle, whichever country', () => {
    const h = new Harness();
    h.frame(read('云A12345', 0.8));
    for (let i = 0; i < 2; i++) h.frame(read('云A12345', 0.8), read('T2912345', 0.9));
    expect(h.emitted.map((e) => [e.plate.text, e.otherPlates?.map((p) => p.text)])).toEqual([
      ['云A12345', ['T2912345']],
    ]);
  });

  it.each<[string, () => Harness, (h: Harness) => void]>([
    [
      'read together in one frame only (companionFrames 2)',
      () => new Harness(),
      (h) => {
        h.frame(read('29C12345', 0.9), read('云A12345', 0.8));
        h.frame(read('29C12345', 0.9));
        h.frame(read('29C12345', 0.9));
        h.reads('云A12345', 3);
      },
    ],
    [
      'read at very different sizes (a plate further back in the queue)',
      () => new Harness(),
      (h) => {
        for (let i = 0; i < 3; i++) h.frame(read('29C12345', 0.9), read('云A12345', 0.8, { box: small }));
      },
    ],
    [
      'read only after the vehicle was reported',
      () => new Harness(),
      (h) => {
        h.reads('29C12345', 3);
        for (let i = 0; i < 3; i++) h.frame(read('29C12345', 0.9), read('云A12345', 0.8));
      },
    ],
    [
      'rejected by the grammar',
      () => new Harness(),
      (h) => {
        for (let i = 0; i < 3; i++) h.frame(read('29C12345', 0.9), read('云A1234', 0.8, { valid: false }));
      },
    ],
  ])('reports a second plate on its own when %s', (_name, make, drive) => {
    const h = make();
    drive(h);
    h.idle(4000);
    expect(h.emitted).toHaveLength(2);
    expect(h.emitted.every((e) => e.otherPlates === undefined)).toBe(true);
  });

  it('takes a second plate read in as many frames as companionFrames asks', () => {
    const h = new Harness({ companionFrames: 1 });
    h.frame(read('29C12345', 0.9), read('云A12345', 0.8));
    h.reads('29C12345', 2);
    expect(h.emitted.map((e) => [e.plate.text, e.otherPlates?.map((p) => p.text)])).toEqual([
      ['29C12345', ['云A12345']],
    ]);
  });

  it('reports the vehicle once, with both plates, when it leaves before either agreed', () => {
    const h = new Harness({ vehicleGapMs: 500, minVotes: 5 });
    for (let i = 0; i < 2; i++) h.frame(read('29C12345', 0.9), read('云A12345', 0.8));
    h.idle(600);
    expect(h.emitted.map((e) => [e.plate.text, e.trigger, e.otherPlates?.map((p) => p.text)])).toEqual([
      ['29C12345', 'left', ['云A12345']],
    ]);
    expect(h.voter.openTracks()).toBe(0);
    // The next vehicle is on its own.
    h.reads('29D99999', 5);
    expect(h.emitted[1]!.otherPlates).toBeUndefined();
  });
});

describe('PlateVoter: inputs', () => {
  it('ignores reads with no text and treats them as an empty frame', () => {
    const h = new Harness();
    h.reads('29C12345', 2);
    for (let i = 0; i < 30; i++) h.frame(read('', 0.9, { valid: false }));
    expect(h.emitted.map((e) => e.trigger)).toEqual(['left']);
    expect(h.voter.openTracks()).toBe(0);
  });

  it('uses the frame time of a late-processed read, not the clock, to match it to its track', () => {
    const clock = new FakeClock();
    const voter = new PlateVoter({ vehicleGapMs: 3000 }, clock);
    const obs = (text: string, at: number): PlateObservation => ({
      plate: plate(text),
      confidence: 0.9,
      box: defaultBox,
      frameAt: clock.now() - (clock.monotonic() - at),
      monotonicAt: at,
    });
    voter.observe([obs('29C12345', 0)]);
    clock.advance(3500); // inference was slow: this frame was captured at 2900
    const out = voter.observe([obs('29C12345', 2900)]);
    expect(out).toEqual([]);
    expect(voter.openTracks()).toBe(1);
  });

  it.each<[VoterOptions, RegExp]>([
    [{ minVotes: 0 }, /minVotes/],
    [{ minVotes: 2.5 }, /minVotes/],
    [{ similarity: 0 }, /similarity/],
    [{ similarity: 1.5 }, /similarity/],
    [{ vehicleGapMs: 0 }, /vehicleGapMs/],
    [{ repeatWindowMs: -1 }, /repeatWindowMs/],
    [{ maxTrackMs: 0 }, /maxTrackMs/],
    [{ maxOpenTracks: 0 }, /maxOpenTracks/],
    [{ companionFrames: 0 }, /companionFrames/],
    [{ maxRemembered: -1 }, /maxRemembered/],
    [{ blurredEntryMs: -1 }, /blurredEntryMs/],
    [{ blurredEntryMs: Number.NaN }, /blurredEntryMs/],
  ])('rejects %j', (opts, message) => {
    expect(() => new PlateVoter(opts, new FakeClock())).toThrow(message);
  });
});

describe('vote tallies', () => {
  const obsAt = (text: string, at: number, confidence = 0.9, valid = true): PlateObservation => ({
    plate: plate(text, valid),
    confidence,
    box: defaultBox,
    frameAt: 1_000_000 + at,
    monotonicAt: at,
  });
  const tallies = (...reads: PlateObservation[]): Map<string, Tally> => {
    const map = new Map<string, Tally>();
    for (const r of reads) {
      const existing = map.get(r.plate.text);
      if (existing) addToTally(existing, r);
      else map.set(r.plate.text, newTally(r));
    }
    return map;
  };

  it('leader prefers valid, then summed confidence, then count', () => {
    const t = tallies(
      obsAt('AAA', 0, 0.99, false),
      obsAt('AAA', 1, 0.99, false),
      obsAt('BBB', 2, 0.4),
      obsAt('CCC', 3, 0.2),
      obsAt('CCC', 4, 0.1),
    );
    expect(leader(t.values()).text).toBe('BBB');
    t.delete('BBB');
    expect(leader(t.values()).text).toBe('CCC');
    const tie = tallies(obsAt('EEE', 0, 0.5), obsAt('FFF', 1, 0.25), obsAt('FFF', 2, 0.25));
    expect(leader(tie.values()).text).toBe('FFF');
  });

  it('a tally keeps its time span and its most confident read', () => {
    const t = tallies(obsAt('AAA', 10, 0.5), obsAt('AAA', 30, 0.9), obsAt('AAA', 20, 0.7)).get('AAA')!;
    expect([t.count, t.firstMono, t.lastMono, t.firstAt, t.lastAt, t.best.monotonicAt]).toEqual([
      3, 10, 30, 1_000_010, 1_000_030, 30,
    ]);
    expect(t.confidenceSum).toBeCloseTo(2.1, 12);
  });

  it('dropWeakestLoser drops the least supported text but never the winner', () => {
    const t = tallies(obsAt('AAA', 0, 0.2), obsAt('BBB', 1, 0.5), obsAt('CCC', 2, 0.9));
    dropWeakestLoser(t, t.get('AAA')!);
    expect([...t.keys()]).toEqual(['AAA', 'CCC']);
    dropWeakestLoser(t, t.get('AAA')!);
    expect([...t.keys()]).toEqual(['AAA']);
    dropWeakestLoser(t, t.get('AAA')!);
    expect([...t.keys()]).toEqual(['AAA']);
  });

  it.each<[string, PlateObservation[], string, string[] | undefined]>([
    [
      'a text that follows the others',
      [obsAt('A', 0), obsAt('A', 100), obsAt('B', 200), obsAt('C', 300)],
      'B',
      ['B', 'C'],
    ],
    ['reads that interleave', [obsAt('A', 0), obsAt('B', 100), obsAt('A', 200), obsAt('B', 300)], 'B', undefined],
    ['a text with nothing before it', [obsAt('B', 0), obsAt('C', 100)], 'B', undefined],
    [
      'a text read in the same frame as the last of another',
      [obsAt('A', 0), obsAt('A', 100), obsAt('B', 100)],
      'B',
      undefined,
    ],
  ])('laterVehicle: %s', (_name, reads, newcomer, expected) => {
    const t = tallies(...reads);
    expect(laterVehicle(t, t.get(newcomer)!)?.map((x) => x.text)).toEqual(expected);
  });

  it('composeByPosition votes per position over the texts as long as the winner', () => {
    const t = tallies(
      obsAt('29C12346', 0, 0.9),
      obsAt('28C12345', 1, 0.8),
      obsAt('29C18345', 2, 0.85),
      obsAt('29C1234', 3, 0.99),
    );
    const composed = composeByPosition(t, t.get('29C12346')!);
    expect(composed?.text).toBe('29C12345');
    expect(composed?.votes).toBe(3);
    expect(composed?.confidenceSum).toBeCloseTo(2.55, 12);
    expect(composed?.best.plate.text).toBe('29C12346');
    expect(composeByPosition(tallies(obsAt('29C12346', 0)), t.get('29C12346')!)).toBeUndefined();
  });
});

describe('samePlace', () => {
  const box: Box = { x: 100, y: 200, w: 120, h: 30 };
  it.each([
    ['the same box', box, true],
    ['moved by less than its width and height (the next frame)', { x: 210, y: 225, w: 120, h: 30 }, true],
    ['moved by more than its width', { x: 230, y: 200, w: 120, h: 30 }, false],
    ['moved by more than its height', { x: 100, y: 240, w: 120, h: 30 }, false],
    ['grown as the vehicle comes closer, within twice the height', { x: 90, y: 190, w: 200, h: 55 }, true],
    ['less than half the height (a plate farther back)', { x: 130, y: 205, w: 50, h: 14 }, false],
  ] as const)('%s', (_what, other, expected) => {
    expect(samePlace(box, other)).toBe(expected);
    expect(samePlace(other, box)).toBe(expected);
  });
});

describe('isSubsequence', () => {
  it.each([
    ['66480', '59P166480', true],
    ['云A432', '云A54321', true],
    ['', '29C12345', true],
    ['29C12345', '29C12345', true],
    ['54312', '云A54321', false],
    ['29C123456', '29C12345', false],
  ])('%s in %s: %s', (part, whole, expected) => {
    expect(isSubsequence(part, whole)).toBe(expected);
  });
});
