import type { ParsedPlate } from './types.js';

/** How the plate voter clusters, decides and remembers (see PlateVoter). */
export interface VoterOptions {
  /** Exactly agreeing reads needed to emit before the vehicle leaves. Default 3. */
  minVotes?: number;
  /** A read joins a track whose text is at least this similar, in (0, 1]. Default 0.75. */
  similarity?: number;
  /** No read in a track for this long: the vehicle has left. Default 3000. */
  vehicleGapMs?: number;
  /** The same plate seen again within this long after it was last seen is the same vehicle. Default 60000. */
  repeatWindowMs?: number;
  /** When set, a track open this long is closed with what it has (a vehicle parked in view). */
  maxTrackMs?: number;
  /**
   * The plate grammar. When given, a track whose reads never agreed on a whole text may be
   * decided by position-wise voting, but only if the grammar accepts the composed text.
   */
  reparse?: (text: string) => ParsedPlate;
  /**
   * Frames in which a valid plate of the other country must be read beside a vehicle's plate
   * before it is that vehicle's (reported as `otherPlates`, not as a vehicle). Default 2.
   */
  companionFrames?: number;
  /**
   * Reads a track none of whose texts the grammar accepted needs before it is reported as a
   * vehicle (held `unreadable`); with fewer it is a glimpse — a plate at the edge of the view,
   * far away, or a frame the reader abstained on — and is dropped unreported. Default 3.
   */
  minReadsUnreadable?: number;
  /**
   * A track read in fewer than minVotes frames whose last read came at most this long before
   * another track's first read, at the same place in the frame, is that vehicle's plate blurred
   * as it entered the view, and is dropped unreported. 0 turns the rule off. Default 500.
   */
  blurredEntryMs?: number;
  /** Open tracks kept at most; the stalest is closed to make room. Default 32. */
  maxOpenTracks?: number;
  /** Distinct texts tallied per track; the weakest loser is dropped. Default 16. */
  maxTextsPerTrack?: number;
  /** Recently seen plates remembered for the repeat window, at most. Default 512. */
  maxRemembered?: number;
}

export type ResolvedOptions = Required<Omit<VoterOptions, 'maxTrackMs' | 'reparse'>> &
  Pick<VoterOptions, 'maxTrackMs' | 'reparse'>;

/** Fills in the defaults and rejects values that would make voting meaningless. */
export function resolveOptions(o: VoterOptions): ResolvedOptions {
  const resolved: ResolvedOptions = {
    minVotes: o.minVotes ?? 3,
    similarity: o.similarity ?? 0.75,
    vehicleGapMs: o.vehicleGapMs ?? 3000,
    repeatWindowMs: o.repeatWindowMs ?? 60_000,
    companionFrames: o.companionFrames ?? 2,
    minReadsUnreadable: o.minReadsUnreadable ?? 3,
    blurredEntryMs: o.blurredEntryMs ?? 500,
    maxOpenTracks: o.maxOpenTracks ?? 32,
    maxTextsPerTrack: o.maxTextsPerTrack ?? 16,
    maxRemembered: o.maxRemembered ?? 512,
    ...(o.maxTrackMs !== undefined ? { maxTrackMs: o.maxTrackMs } : {}),
    ...(o.reparse ? { reparse: o.reparse } : {}),
  };
  const positiveInt = (n: number) => Number.isInteger(n) && n >= 1;
  const check = (ok: boolean, what: string) => {
    if (!ok) throw new RangeError(`PlateVoter: ${what}`);
  };
  check(positiveInt(resolved.minVotes), 'minVotes must be an integer ≥ 1');
  check(resolved.similarity > 0 && resolved.similarity <= 1, 'similarity must be in (0, 1]');
  check(resolved.vehicleGapMs > 0, 'vehicleGapMs must be > 0');
  check(resolved.repeatWindowMs >= 0, 'repeatWindowMs must be ≥ 0');
  check(resolved.maxTrackMs === undefined || resolved.maxTrackMs > 0, 'maxTrackMs must be > 0');
  check(positiveInt(resolved.companionFrames), 'companionFrames must be an integer ≥ 1');
  check(positiveInt(resolved.minReadsUnreadable), 'minReadsUnreadable must be an integer ≥ 1');
  check(resolved.blurredEntryMs >= 0, 'blurredEntryMs must be ≥ 0');
  check(positiveInt(resolved.maxOpenTracks), 'maxOpenTracks must be an integer ≥ 1');
  check(positiveInt(resolved.maxTextsPerTrack), 'maxTextsPerTrack must be an integer ≥ 1');
  check(
    Number.isInteger(resolved.maxRemembered) && resolved.maxRemembered >= 0,
    'maxRemembered must be an integer ≥ 0',
  );
  return resolved;
}
