import type { VotedPlateRead } from '../../plates/voter.js';
import type { StoredEvent } from '../../store/types.js';
import type { Decision } from '../deciding/decide.js';

/** One line for a person: when, where, what plate, and how sure. */
export function formatPlateRead(laneId: string, read: VotedPlateRead): string {
  const time = new Date(read.frameAt).toISOString().slice(11, 19);
  const { plate } = read;
  const what = plate.valid
    ? `${plate.display.padEnd(14)} ${plate.country} ${plate.kind}`
    : `?? "${plate.raw}" (rejected: ${plate.reason ?? 'no plate format'})`;
  const others = read.otherPlates?.length ? `  with ${read.otherPlates.map((p) => p.display).join(', ')}` : '';
  return `${time} ${laneId}  ${what}${others}  confidence ${read.confidence.toFixed(2)}  votes ${read.votes}/${read.reads}  ${read.trigger}`;
}

/** The same read as a JSON object (no crop bytes), for logs and `--jsonl` output. */
export function plateReadJson(laneId: string, read: VotedPlateRead) {
  const { plate } = read;
  return {
    lane: laneId,
    text: plate.text,
    display: plate.display,
    valid: plate.valid,
    country: plate.country,
    kind: plate.kind,
    layout: plate.layout,
    ...(plate.valid ? {} : { raw: plate.raw, reason: plate.reason }),
    confidence: Number(read.confidence.toFixed(4)),
    votes: read.votes,
    reads: read.reads,
    trigger: read.trigger,
    box: [read.box.x, read.box.y, read.box.w, read.box.h],
    frameAt: new Date(read.frameAt).toISOString(),
    cropBytes: read.crop?.length ?? 0,
    ...(read.otherPlates?.length ? { otherPlates: read.otherPlates.map((p) => p.text) } : {}),
  };
}

/** The decision for a person: the action, why, and the alarm when there is one. */
export function formatDecision(decision: Decision): string {
  const alarm = decision.alarm ? '  ALARM' : '';
  const hint = decision.hints.nearMiss?.length
    ? `  (near ${decision.hints.nearMiss.map((n) => n.plate).join(', ')})`
    : '';
  return `→ ${decision.action.toUpperCase()} ${decision.reason}: ${decision.detail}${hint}${alarm}`;
}

/** What the lane did about a vehicle, for a person; null for events not worth a line. */
export function formatLaneRecord(event: StoredEvent): string | null {
  const p = event.payload;
  const plate = typeof p.plate === 'string' ? p.plate : 'vehicle';
  switch (event.type) {
    case 'barrier.actuation': {
      if (p.phase !== 'result') return null;
      const took = `${((p.durationMs as number) / 1000).toFixed(1)} s`;
      if (p.outcome === 'no-barrier') return '  barrier: none configured, nothing sent';
      if (p.ok)
        return `  barrier: ${p.outcome === 'opened' ? `open (open limit after ${took})` : `open sent (${took}; no open limit wired)`}`;
      return `  barrier: NOT opened: ${p.outcome as string}: ${p.error as string}`;
    }
    case 'vehicle':
      return `  ${plate}: ${p.outcome as string} after ${((p.durationMs as number) / 1000).toFixed(1)} s`;
    case 'alarm':
      return `  ALARM ${p.alarm as string}: ${p.detail as string}`;
    case 'operator.action':
      return `  operator ${p.operator as string} (${p.source as string}): ${p.action as string}${p.holdId ? ` hold ${p.holdId as string}` : ''}: ${p.reason as string}`;
    case 'postcheck.flagged': {
      const flags = Array.isArray(p.flags) ? (p.flags as { kind: string; detail: string }[]) : [];
      return `  POST-CHECK ${plate} passed ${p.status as string}, flagged ${flags.map((f) => `${f.kind} (${f.detail})`).join('; ')}`;
    }
    default:
      return null;
  }
}
