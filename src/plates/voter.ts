import type { Clock } from '../core/clock.js';
import type { Box } from '../core/image.js';
import { isCompanion, sameDistance } from './companions.js';
import { fragmentSimilarity, similarity } from './similarity.js';
import type { ParsedPlate } from './types.js';
import { type ResolvedOptions, resolveOptions, type VoterOptions } from './voter-options.js';
import {
  addToTally,
  beats,
  type Choice,
  composeByPosition,
  dropWeakestLoser,
  laterVehicle,
  leader,
  newTally,
  type Tally,
  wholeTextChoice,
} from './vote-tally.js';

export type { VoterOptions };

/** One plate read in one frame, as the lane hands it to the voter. */
export interface PlateObservation {
  plate: ParsedPlate;
  confidence: number;
  box: Box;
  /** JPEG of the plate. */
  crop?: Buffer;
  /** Wall time of the frame, ms since the epoch. */
  frameAt: number;
  /** Monotonic time of the frame, ms (same time base as Clock.monotonic). */
  monotonicAt: number;
}

export type VoteTrigger = 'agreed' | 'left' | 'timeout';

/** The voter's one read per vehicle. */
export interface VotedPlateRead {
  plate: ParsedPlate;
  /** Mean confidence of the reads that voted for `plate`. */
  confidence: number;
  /** Reads that voted for `plate` (exact text; for a position-wise text, the reads it was composed from). */
  votes: number;
  /** All reads in the track. */
  reads: number;
  /** Crop of the most confident read that voted for `plate`. */
  crop?: Buffer;
  box: Box;
  /** Wall time of that read's frame. */
  frameAt: number;
  firstSeenAt: number;
  lastSeenAt: number;
  /** `agreed`: minVotes reads agreed; `left`: no read for vehicleGapMs; `timeout`: maxTrackMs or flush. */
  trigger: VoteTrigger;
  /**
   * The vehicle's plates of the other country, read in the same frames before this report
   * (companions.ts); they are part of this vehicle and are not reported on their own.
   */
  otherPlates?: ParsedPlate[];
}

/** The reads believed to be one vehicle. */
interface Track {
  tallies: Map<string, Tally>;
  winner: Tally;
  reads: number;
  firstSeenMono: number;
  lastSeenMono: number;
  firstSeenAt: number;
  lastSeenAt: number;
  /** Where the plate was in its first and in its latest read. */
  firstBox: Box;
  lastBox: Box;
  /** `emitted`: reported (as a vehicle, or in one's otherPlates); `suppressed`: a repeat of a vehicle already reported. */
  state: 'open' | 'emitted' | 'suppressed';
  /** The text this vehicle is remembered under once decided. */
  identity?: string;
  closed: boolean;
  /** Other open tracks read in the same frames as this one, and in how many (companions.ts). */
  seenWith: Map<Track, number>;
}

/**
 * Turns per-frame plate reads into one read per vehicle.
 * - Reads cluster into tracks by text similarity, one read per track per frame (two plates in
 *   one frame never merge). The winner is the text with the highest summed confidence, and a
 *   grammar-valid text always beats an invalid one.
 * - A track is reported once: when its winner has minVotes exactly agreeing reads (`agreed`),
 *   else with whatever it has when the vehicle leaves (`left`) or the track times out
 *   (`timeout`). Single-read and invalid winners are reported too: dropping them here would
 *   hide a vehicle, so the consumer judges by votes, confidence and `plate.valid`. Except a
 *   glimpse: a track with no valid read and fewer than minReadsUnreadable reads (a plate at the
 *   edge of the view, or frames the reader abstained on) is dropped, so an engine that abstains
 *   rather than guesses does not make a vehicle of every doubtful frame. A vehicle that stops
 *   at the barrier is read in many frames. Nor is a weak track read just before another
 *   track began at the same place (blurredEntryMs): the next vehicle's plate entering the view.
 * - A plate seen again within repeatWindowMs of its last sighting is the same vehicle and is
 *   not reported again; nor is a weakly read (< minVotes) text similar to it, a misread.
 *   A similar text read minVotes times is a different vehicle.
 * - A valid plate of the other country read in the same frames (at least companionFrames,
 *   at a similar size) is the same vehicle's: it rides in the report as `otherPlates` and is
 *   not reported on its own. One seen only after the report is reported as a vehicle: a plate
 *   is never dropped unseen by the decision.
 */
export class PlateVoter {
  private readonly opts: ResolvedOptions;
  private tracks: Track[] = [];
  /** Text → monotonic time it was last seen, oldest first. */
  private readonly recent = new Map<string, number>();

  constructor(
    options: VoterOptions,
    private readonly clock: Clock,
  ) {
    this.opts = resolveOptions(options);
  }

  /** Feeds one frame's reads (possibly none) and returns the vehicles decided by now. */
  observe(observations: readonly PlateObservation[]): VotedPlateRead[] {
    const out: VotedPlateRead[] = [];
    this.assign(
      observations.filter((o) => o.plate.text.length > 0),
      out,
    );
    const now = this.clock.monotonic();
    for (const track of [...this.tracks]) {
      if (now - track.lastSeenMono >= this.opts.vehicleGapMs) this.close(track, 'left', out);
      else if (!this.accepts(track, now)) this.close(track, 'timeout', out);
    }
    this.forget(now);
    return out;
  }

  /** Closes every open track (e.g. when the lane stops); undecided ones are reported as `timeout`. */
  flush(): VotedPlateRead[] {
    const out: VotedPlateRead[] = [];
    for (const track of [...this.tracks]) this.close(track, 'timeout', out);
    return out;
  }

  openTracks(): number {
    return this.tracks.length;
  }

  /** Plates held for the repeat window. */
  rememberedPlates(): number {
    return this.recent.size;
  }

  /** Whether the track is still open at monotonic time `at` (reads are matched by their frame time). */
  private accepts(track: Track, at: number): boolean {
    if (at - track.lastSeenMono >= this.opts.vehicleGapMs) return false;
    return this.opts.maxTrackMs === undefined || at - track.firstSeenMono < this.opts.maxTrackMs;
  }

  /** Most similar pairs first, so each read goes to the track it fits best. */
  private assign(observations: PlateObservation[], out: VotedPlateRead[]): void {
    const pairs: { index: number; track: Track; score: number }[] = [];
    observations.forEach((obs, index) => {
      for (const track of this.tracks) {
        if (!this.accepts(track, obs.monotonicAt)) continue;
        const score = similarity(obs.plate.text, track.winner.text);
        if (score >= this.opts.similarity) pairs.push({ index, track, score });
      }
    });
    pairs.sort((a, b) => b.score - a.score);
    const trackOf = new Array<Track | undefined>(observations.length);
    const used = new Set<Track>();
    for (const { index, track } of pairs) {
      if (trackOf[index] || used.has(track)) continue;
      trackOf[index] = track;
      used.add(track);
      this.absorb(track, observations[index]!);
    }
    observations.forEach((obs, index) => {
      trackOf[index] ??= this.openTrack(obs, out);
    });
    this.countSeenTogether(observations, trackOf);
    trackOf.forEach((track, index) => {
      if (!track || track.closed) return;
      const tally = track.tallies.get(observations[index]!.plate.text);
      // A decided track absorbs reads silently, so a vehicle that follows its vehicle within
      // the gap with a similar plate would be lost in it: split it off once its text agrees.
      const successor =
        track.state !== 'open' && tally?.count === this.opts.minVotes ? this.splitOff(track, tally) : undefined;
      if (!successor) return this.checkAgreement(track, out);
      this.close(track, 'left', out);
      this.checkAgreement(successor, out);
    });
  }

  /** Counts, for each pair of tracks read in this frame at a similar size, one frame together. */
  private countSeenTogether(observations: PlateObservation[], trackOf: (Track | undefined)[]): void {
    for (let i = 0; i < observations.length; i++) {
      for (let j = i + 1; j < observations.length; j++) {
        const a = trackOf[i];
        const b = trackOf[j];
        if (!a || !b || a === b || a.closed || b.closed) continue;
        if (!sameDistance(observations[i]!.box, observations[j]!.box)) continue;
        a.seenWith.set(b, (a.seenWith.get(b) ?? 0) + 1);
        b.seenWith.set(a, (b.seenWith.get(a) ?? 0) + 1);
      }
    }
  }

  /** Open tracks that are this vehicle's plates of the other country (companions.ts). */
  private companionsOf(track: Track, plate: ParsedPlate): Track[] {
    return [...track.seenWith].flatMap(([other, frames]) =>
      !other.closed &&
      other.state === 'open' &&
      isCompanion(plate, other.winner.plate, frames, this.opts.companionFrames)
        ? [other]
        : [],
    );
  }

  /** Moves a vehicle that followed the track's vehicle into a track of its own. */
  private splitOff(track: Track, newcomer: Tally): Track | undefined {
    const later = laterVehicle(track.tallies, newcomer);
    if (!later) return undefined;
    for (const tally of later) track.tallies.delete(tally.text);
    const successor = this.addTrack(later);
    track.winner = leader(track.tallies.values());
    track.reads -= successor.reads;
    track.lastSeenMono = Math.max(...[...track.tallies.values()].map((t) => t.lastMono));
    track.lastSeenAt = Math.max(...[...track.tallies.values()].map((t) => t.lastAt));
    return successor;
  }

  private openTrack(obs: PlateObservation, out: VotedPlateRead[]): Track {
    if (this.tracks.length >= this.opts.maxOpenTracks) {
      const stalest = this.tracks.reduce((a, b) => (b.lastSeenMono < a.lastSeenMono ? b : a));
      this.close(stalest, 'left', out);
    }
    return this.addTrack([newTally(obs)]);
  }

  private addTrack(tallies: Tally[]): Track {
    const track: Track = {
      tallies: new Map(tallies.map((t) => [t.text, t])),
      winner: leader(tallies),
      reads: tallies.reduce((sum, t) => sum + t.count, 0),
      firstSeenMono: Math.min(...tallies.map((t) => t.firstMono)),
      lastSeenMono: Math.max(...tallies.map((t) => t.lastMono)),
      firstSeenAt: Math.min(...tallies.map((t) => t.firstAt)),
      lastSeenAt: Math.max(...tallies.map((t) => t.lastAt)),
      // A track split off an older one keeps only its texts' best reads: their boxes stand in.
      firstBox: tallies.reduce((a, b) => (b.firstMono < a.firstMono ? b : a)).best.box,
      lastBox: tallies.reduce((a, b) => (b.lastMono > a.lastMono ? b : a)).best.box,
      state: 'open',
      closed: false,
      seenWith: new Map(),
    };
    this.tracks.push(track);
    return track;
  }

  private absorb(track: Track, obs: PlateObservation): void {
    let tally = track.tallies.get(obs.plate.text);
    if (tally) addToTally(tally, obs);
    else {
      if (track.tallies.size >= this.opts.maxTextsPerTrack) dropWeakestLoser(track.tallies, track.winner);
      tally = newTally(obs);
      track.tallies.set(tally.text, tally);
    }
    if (beats(tally, track.winner)) track.winner = tally;
    track.reads++;
    if (obs.monotonicAt < track.firstSeenMono) track.firstBox = obs.box;
    if (obs.monotonicAt >= track.lastSeenMono) track.lastBox = obs.box;
    track.firstSeenMono = Math.min(track.firstSeenMono, obs.monotonicAt);
    track.lastSeenMono = Math.max(track.lastSeenMono, obs.monotonicAt);
    track.firstSeenAt = Math.min(track.firstSeenAt, obs.frameAt);
    track.lastSeenAt = Math.max(track.lastSeenAt, obs.frameAt);
  }

  private checkAgreement(track: Track, out: VotedPlateRead[]): void {
    if (track.closed || track.state !== 'open' || track.winner.count < this.opts.minVotes) return;
    this.decide(track, wholeTextChoice(track.winner), 'agreed', out);
    // An emitted track stays open to absorb the rest of the vehicle's reads silently.
    this.remember(track.identity!, track.lastSeenMono);
  }

  private close(track: Track, trigger: VoteTrigger, out: VotedPlateRead[]): void {
    this.tracks = this.tracks.filter((t) => t !== track);
    track.closed = true;
    for (const other of track.seenWith.keys()) other.seenWith.delete(track);
    if (track.state === 'open') this.decide(track, this.finalChoice(track), trigger, out);
    // A glimpse has no identity: nothing later is taken for its repeat.
    if (track.identity !== undefined) this.remember(track.identity, track.lastSeenMono);
  }

  /** Reports the track's choice unless it repeats a vehicle already reported. */
  private decide(track: Track, choice: Choice, trigger: VoteTrigger, out: VotedPlateRead[]): void {
    // A weak track that is merely similar to a recent plate is a misread of it; a track whose
    // reads agree on a different text is a different vehicle (fleets have neighbouring numbers).
    const strong = choice.votes >= this.opts.minVotes;
    // Only a closing track: one still open may yet be read right.
    if (trigger !== 'agreed' && !choice.plate.valid && track.reads < this.opts.minReadsUnreadable) {
      track.state = 'suppressed';
      return;
    }
    if (track.reads < this.opts.minVotes && this.blurredEntryOf(track)) {
      // No identity: a vehicle that really carries this text, later, is not taken for a repeat.
      track.state = 'suppressed';
      return;
    }
    if (this.fragmentOfOpenTrack(choice.plate, track)) {
      // Remembered under its own text, not the open track's, which is still to be reported.
      track.state = 'suppressed';
      track.identity = choice.plate.text;
      return;
    }
    const repeatOf = this.findRepeat(choice.plate, track, strong);
    if (repeatOf !== undefined) {
      track.state = 'suppressed';
      track.identity = repeatOf;
      return;
    }
    track.state = 'emitted';
    track.identity = choice.plate.text;
    const companions = this.companionsOf(track, choice.plate);
    for (const companion of companions) {
      // Read on with this vehicle and remembered, so it is not reported later as a vehicle.
      companion.state = 'emitted';
      companion.identity = companion.winner.text;
      this.remember(companion.identity, companion.lastSeenMono);
    }
    out.push({
      plate: choice.plate,
      confidence: choice.confidenceSum / choice.votes,
      votes: choice.votes,
      reads: track.reads,
      ...(choice.best.crop ? { crop: choice.best.crop } : {}),
      box: choice.best.box,
      frameAt: choice.best.frameAt,
      firstSeenAt: track.firstSeenAt,
      lastSeenAt: track.lastSeenAt,
      trigger,
      ...(companions.length > 0 ? { otherPlates: companions.map((c) => c.winner.plate) } : {}),
    });
  }

  /**
   * The remembered text `plate` repeats, if any: exact always, similar unless `exactOnly`. A
   * text the grammar rejects whose characters all appear, in order, in a known plate (one row
   * of a two-row plate, a plate half out of view, a row read with characters missing) is a
   * fragment of that vehicle, however often it was read. Similar, for a weak read, is also
   * similar to a stretch of a known plate: a plate leaving the view, its first character gone
   * and another misread, that the grammar happens to accept (`QG9585` of `津Q69585`, as a
   * military plate) is that vehicle, not a new one to hold the lane for.
   */
  private findRepeat(plate: ParsedPlate, self: Track, exactOnly: boolean): string | undefined {
    const text = plate.text;
    const sameVehicle = (known: string) =>
      known === text ||
      (!plate.valid && isSubsequence(text, known)) ||
      (!exactOnly &&
        (similarity(known, text) >= this.opts.similarity || fragmentSimilarity(text, known) >= this.opts.similarity));
    for (const track of this.tracks) {
      if (track !== self && track.state !== 'open' && sameVehicle(track.identity!)) return track.identity;
    }
    const withinWindow = (lastSeen: number) => self.firstSeenMono - lastSeen <= this.opts.repeatWindowMs;
    const exact = this.recent.get(text);
    if (exact !== undefined && withinWindow(exact)) return text;
    if (exactOnly && plate.valid) return undefined;
    for (const [known, lastSeen] of this.recent) {
      if (withinWindow(lastSeen) && sameVehicle(known)) return known;
    }
    return undefined;
  }

  /**
   * A rejected text whose characters all appear, in order, in the valid winner of a track still
   * being read: the same vehicle seen partly (a two-row plate tilting into view, on a slow
   * machine before its track has agreed). Without this it would be reported first, as a
   * vehicle of its own.
   */
  private fragmentOfOpenTrack(plate: ParsedPlate, self: Track): boolean {
    if (plate.valid) return false;
    return this.tracks.some(
      (t) => t !== self && t.state === 'open' && t.winner.valid && isSubsequence(plate.text, t.winner.text),
    );
  }

  /**
   * Whether a weak track is another vehicle's plate blurred as it entered the view: that track's
   * first read came within blurredEntryMs after this one's last, at the same place, and it was
   * read well since. A single blurred frame can be read as a valid plate of another text (one
   * vehicle's `甘B·E8253` read `甘BE65E5` before its own track began), which would hold the
   * lane for a vehicle that was never there. Two plates read in one frame are never this.
   */
  private blurredEntryOf(self: Track): boolean {
    const window = this.opts.blurredEntryMs;
    return this.tracks.some((other) => {
      const gap = other.firstSeenMono - self.lastSeenMono;
      return (
        other !== self &&
        gap > 0 &&
        gap <= window &&
        other.reads >= this.opts.minVotes &&
        samePlace(self.lastBox, other.firstBox)
      );
    });
  }

  /**
   * The whole-text winner; but when no text was read twice and a grammar is given, a
   * position-wise vote over the reads, if the grammar accepts it.
   */
  private finalChoice(track: Track): Choice {
    const whole = wholeTextChoice(track.winner);
    if (!this.opts.reparse || whole.votes >= 2) return whole;
    const composed = composeByPosition(track.tallies, track.winner);
    if (!composed) return whole;
    const plate = this.opts.reparse(composed.text);
    return plate.valid ? { ...composed, plate } : whole;
  }

  /** Keeps insertion order = last-seen order, so expired entries are at the front. */
  private remember(text: string, lastSeenMono: number): void {
    const previous = this.recent.get(text) ?? -Infinity;
    this.recent.delete(text);
    this.recent.set(text, Math.max(previous, lastSeenMono));
  }

  private forget(now: number): void {
    for (const [text, lastSeen] of this.recent) {
      if (now - lastSeen <= this.opts.repeatWindowMs && this.recent.size <= this.opts.maxRemembered) break;
      this.recent.delete(text);
    }
  }
}

/**
 * Whether two plate boxes from nearby frames are one plate: centres within a box's width and
 * height of each other, at a similar distance from the camera (companions.ts).
 */
export function samePlace(a: Box, b: Box): boolean {
  const dx = Math.abs(a.x + a.w / 2 - (b.x + b.w / 2));
  const dy = Math.abs(a.y + a.h / 2 - (b.y + b.h / 2));
  return dx <= Math.max(a.w, b.w) && dy <= Math.max(a.h, b.h) && sameDistance(a, b);
}

/** Whether every character of `part` appears in `whole` in the same order. */
export function isSubsequence(part: string, whole: string): boolean {
  const chars = [...whole];
  let i = 0;
  for (const c of part) {
    while (i < chars.length && chars[i] !== c) i++;
    if (i === chars.length) return false;
    i++;
  }
  return true;
}
