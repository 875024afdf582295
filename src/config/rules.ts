import type { z } from 'zod';
import type { Box } from '../core/image.js';
import { defaultReplyPrefix, gateOwnTopics, topicsOverlap } from '../domain/topics.js';
import { GATE_LANE_ID } from '../domain/lanes.js';

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
  if (id === GATE_LANE_ID)
    return [
      { path: [], message: `"${GATE_LANE_ID}" is reserved for events about the whole gate; choose another lane id` },
    ];
  if (id === 'commands' || id === 'lists')
    return [{ path: [], message: `"${id}" is reserved for central's messages to the gate; choose another lane id` }];
  if (id === 'replies')
    return [{ path: [], message: '"replies" is reserved for the gate\'s replies to central; choose another lane id' }];
  if (id === 'yards')
    return [{ path: [], message: '"yards" is reserved for the state of the gate\'s yards; choose another lane id' }];
  if (id === 'postcheck')
    return [
      {
        path: [],
        message: '"postcheck" is reserved for the summary of the gate\'s post-check; choose another lane id',
      },
    ];
  return [];
}

/** The region of interest is cut out of decoded frames, so it must lie inside them. */
export function roiOutsideFrame(roi: Box, frame: { width: number; height: number }): RuleProblem[] {
  const size = `${frame.width}x${frame.height}`;
  const problems: RuleProblem[] = [];
  if (roi.x + roi.w > frame.width) {
    problems.push({
      path: ['roi'],
      message: `x + w = ${roi.x + roi.w} reaches past the right edge of the ${size} frame`,
    });
  }
  if (roi.y + roi.h > frame.height) {
    problems.push({
      path: ['roi'],
      message: `y + h = ${roi.y + roi.h} reaches past the bottom edge of the ${size} frame`,
    });
  }
  return problems;
}

/** Reconnect delays grow from initialMs up to maxMs; the other way round is a typo. */
export function backoffInverted(backoff: { initialMs: number; maxMs: number }): RuleProblem[] {
  return backoff.maxMs < backoff.initialMs
    ? [{ path: ['maxMs'], message: `must be at least initialMs (${backoff.initialMs})` }]
    : [];
}

/** An opening command must not outlive what any command may. */
export function actuatingAgeAboveMaxAge(commands: { maxAgeMs: number; actuatingMaxAgeMs: number }): RuleProblem[] {
  return commands.actuatingMaxAgeMs > commands.maxAgeMs
    ? [{ path: ['actuatingMaxAgeMs'], message: `must be at most maxAgeMs (${commands.maxAgeMs})` }]
    : [];
}

/** A `kid` must name one key. */
export function duplicateKeyIds(keys: readonly { id: string }[]): RuleProblem[] {
  const first = new Map<string, number>();
  const problems: RuleProblem[] = [];
  keys.forEach((key, index) => {
    const seen = first.get(key.id);
    if (seen === undefined) first.set(key.id, index);
    else problems.push({ path: [index, 'id'], message: `duplicate key id "${key.id}" (also used by keys[${seen}])` });
  });
  return problems;
}

/**
 * A reply prefix overlapping a topic the gate publishes or subscribes to would let central (or
 * anyone who can send it a request) have the gate publish onto its own events, status or
 * command topics. Checked with the configured lanes; paths are relative to the config root.
 */
export function replyPrefixOverlap(config: {
  siteId: string;
  topicPrefix: string;
  replyPrefix: string | undefined;
  laneIds: readonly string[];
}): RuleProblem[] {
  const prefix = config.replyPrefix ?? defaultReplyPrefix(config.topicPrefix, config.siteId);
  const clash = gateOwnTopics(config.topicPrefix, config.siteId, config.laneIds).find((topic) =>
    topicsOverlap(prefix, topic),
  );
  if (!clash) return [];
  return [
    {
      path: ['mqtt', 'central', 'replyPrefix'],
      message: `${prefix} overlaps ${clash}, a topic of the gate's own: replies must go elsewhere`,
    },
  ];
}

/**
 * A yard's lanes must be the gate's, and a lane starts (or ends) visits of one yard at most,
 * so a passage never counts twice. A lane may end one yard's visits and start another's (a
 * waiting yard in front of an inspection yard). Class ids are unique within their yard.
 */
export function yardProblems(
  yards: readonly {
    id: string;
    entryLanes: readonly string[];
    exitLanes: readonly string[];
    classes: readonly { id: string }[];
  }[],
  laneIds: readonly string[],
): RuleProblem[] {
  const problems: RuleProblem[] = [];
  const yardIndex = new Map<string, number>();
  const entryOf = new Map<string, string>();
  const exitOf = new Map<string, string>();
  yards.forEach((yard, y) => {
    const first = yardIndex.get(yard.id);
    if (first !== undefined)
      problems.push({ path: [y, 'id'], message: `duplicate yard id "${yard.id}" (also used by yards[${first}])` });
    else yardIndex.set(yard.id, y);
    const check = (field: 'entryLanes' | 'exitLanes', owner: Map<string, string>, role: string) =>
      yard[field].forEach((lane, i) => {
        if (!laneIds.includes(lane))
          problems.push({ path: [y, field, i], message: `no lane "${lane}" in lanes (lanes: ${laneIds.join(', ')})` });
        const other = owner.get(lane);
        if (other !== undefined)
          problems.push({ path: [y, field, i], message: `lane "${lane}" is already the ${role} of yard "${other}"` });
        else owner.set(lane, yard.id);
      });
    check('entryLanes', entryOf, 'entry');
    check('exitLanes', exitOf, 'exit');
    yard.entryLanes.forEach((lane, i) => {
      if (yard.exitLanes.includes(lane))
        problems.push({
          path: [y, 'entryLanes', i],
          message: `lane "${lane}" cannot be both an entry and an exit of one yard`,
        });
    });
    const classIds = new Set<string>();
    yard.classes.forEach((c, i) => {
      if (classIds.has(c.id)) problems.push({ path: [y, 'classes', i, 'id'], message: `duplicate class id "${c.id}"` });
      classIds.add(c.id);
    });
  });
  return problems;
}

export function reportProblems(ctx: z.RefinementCtx, problems: readonly RuleProblem[]): void {
  for (const { path, message } of problems) ctx.addIssue({ code: 'custom', path, message });
}
