import type { z } from 'zod';
import type { Box } from '../core/image.js';
import { GATE_LANE_ID } from '../store/types.js';

/**
 * Rules that relate several fields, as pure functions so they can be table-tested on their
 * own. Each returns the problems it found, with paths relative to the value it was given;
 * the schemas attach them with `reportProblems`.
 */
export interface RuleProblem {
  path: (string | number)[];
  message: string;
}

/** Lane ids name topics, files and events, so two lanes must never share one. */
export function duplicateLaneIds(lanes: readonly unknown[]): RuleProblem[] {
  const firstIndex = new Map<string, number>();
  const problems: RuleProblem[] = [];
  lanes.forEach((lane, index) => {
    const id = typeof lane === 'object' && lane !== null ? (lane as { id?: unknown }).id : undefined;
    if (typeof id !== 'string') return;
    const first = firstIndex.get(id);
    if (first === undefined) firstIndex.set(id, index);
    else problems.push({ path: [index, 'id'], message: `duplicate lane id "${id}" (also used by lanes[${first}])` });
  });
  return problems;
}

/**
 * Lane ids that would collide with gate-level topics or events: `gate` is the lane of events
 * about the whole gate, and a lane `commands` or `lists` would publish its events on a topic
 * the gate itself subscribes to for central's messages.
 */
export function reservedLaneId(id: string): RuleProblem[] {
  if (id === GATE_LANE_ID) return [{ path: [], message: `"${GATE_LANE_ID}" is reserved for events about the whole gate; choose another lane id` }];
  if (id === 'commands' || id === 'lists') return [{ path: [], message: `"${id}" is reserved for central's messages to the gate; choose another lane id` }];
  return [];
}

/** The region of interest is cut out of decoded frames, so it must lie inside them. */
export function roiOutsideFrame(roi: Box, frame: { width: number; height: number }): RuleProblem[] {
  const size = `${frame.width}x${frame.height}`;
  const problems: RuleProblem[] = [];
  if (roi.x + roi.w > frame.width) {
    problems.push({ path: ['roi'], message: `x + w = ${roi.x + roi.w} reaches past the right edge of the ${size} frame` });
  }
  if (roi.y + roi.h > frame.height) {
    problems.push({ path: ['roi'], message: `y + h = ${roi.y + roi.h} reaches past the bottom edge of the ${size} frame` });
  }
  return problems;
}

/** Reconnect delays grow from initialMs up to maxMs; the other way round is a typo. */
export function backoffInverted(backoff: { initialMs: number; maxMs: number }): RuleProblem[] {
  return backoff.maxMs < backoff.initialMs
    ? [{ path: ['maxMs'], message: `must be at least initialMs (${backoff.initialMs})` }]
    : [];
}

export function reportProblems(ctx: z.RefinementCtx, problems: readonly RuleProblem[]): void {
  for (const { path, message } of problems) ctx.addIssue({ code: 'custom', path, message });
}
