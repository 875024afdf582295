import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { formatConfigIssues, formatPath } from '../../src/config/issues.js';
import { backoffInverted, duplicateLaneIds, reservedLaneId, roiOutsideFrame } from '../../src/config/rules.js';

describe('duplicateLaneIds', () => {
  it.each([
    { lanes: [{ id: 'a' }, { id: 'b' }], problems: [] },
    {
      lanes: [{ id: 'a' }, { id: 'a' }],
      problems: [{ path: [1, 'id'], message: 'duplicate lane id "a" (also used by lanes[0])' }],
    },
    {
      lanes: [{ id: 'a' }, { id: 'b' }, { id: 'a' }, { id: 'a' }],
      problems: [
        { path: [2, 'id'], message: 'duplicate lane id "a" (also used by lanes[0])' },
        { path: [3, 'id'], message: 'duplicate lane id "a" (also used by lanes[0])' },
      ],
    },
    // Lanes that failed validation may lack an id; they are someone else's problem.
    { lanes: [{}, null, 'x', { id: 3 }, { id: 'a' }], problems: [] },
  ])('$lanes', ({ lanes, problems }) => {
    expect(duplicateLaneIds(lanes)).toEqual(problems);
  });
});

describe('reservedLaneId', () => {
  it.each([
    {
      id: 'gate',
      problems: [{ path: [], message: '"gate" is reserved for events about the whole gate; choose another lane id' }],
    },
    {
      id: 'commands',
      problems: [
        { path: [], message: '"commands" is reserved for central\'s messages to the gate; choose another lane id' },
      ],
    },
    {
      id: 'lists',
      problems: [
        { path: [], message: '"lists" is reserved for central\'s messages to the gate; choose another lane id' },
      ],
    },
    {
      id: 'postcheck',
      problems: [
        {
          path: [],
          message: '"postcheck" is reserved for the summary of the gate\'s post-check; choose another lane id',
        },
      ],
    },
    { id: 'gate-1', problems: [] },
    { id: 'entry-1', problems: [] },
  ])('$id', ({ id, problems }) => {
    expect(reservedLaneId(id)).toEqual(problems);
  });
});

describe('roiOutsideFrame', () => {
  const frame = { width: 1280, height: 720 };
  it.each([
    { roi: { x: 0, y: 0, w: 1280, h: 720 }, messages: [] },
    { roi: { x: 280, y: 20, w: 1000, h: 700 }, messages: [] },
    {
      roi: { x: 281, y: 0, w: 1000, h: 10 },
      messages: ['x + w = 1281 reaches past the right edge of the 1280x720 frame'],
    },
    {
      roi: { x: 0, y: 700, w: 10, h: 21 },
      messages: ['y + h = 721 reaches past the bottom edge of the 1280x720 frame'],
    },
    {
      roi: { x: 1280, y: 720, w: 1, h: 1 },
      messages: [
        'x + w = 1281 reaches past the right edge of the 1280x720 frame',
        'y + h = 721 reaches past the bottom edge of the 1280x720 frame',
      ],
    },
  ])('$roi', ({ roi, messages }) => {
    const problems = roiOutsideFrame(roi, frame);
    expect(problems.map((p) => p.message)).toEqual(messages);
    for (const p of problems) expect(p.path).toEqual(['roi']);
  });
});

describe('backoffInverted', () => {
  it.each([
    { backoff: { initialMs: 1000, maxMs: 30_000 }, problems: [] },
    { backoff: { initialMs: 1000, maxMs: 1000 }, problems: [] },
    {
      backoff: { initialMs: 1000, maxMs: 999 },
      problems: [{ path: ['maxMs'], message: 'must be at least initialMs (1000)' }],
    },
  ])('$backoff', ({ backoff, problems }) => {
    expect(backoffInverted(backoff)).toEqual(problems);
  });
});

describe('formatConfigIssues', () => {
  it.each([
    { path: [], text: '(top level)' },
    { path: ['site', 'id'], text: 'site.id' },
    { path: ['lanes', 1, 'camera', 'url'], text: 'lanes[1].camera.url' },
    { path: ['headers', 'x-api-key'], text: 'headers["x-api-key"]' },
  ])('writes the path $path as $text', ({ path, text }) => {
    expect(formatPath(path)).toBe(text);
  });

  it('says less, but still something, when the issues do not carry the input', () => {
    const schema = z.strictObject({ a: z.string(), b: z.number().max(3), c: z.enum(['x', 'y']) });
    const result = schema.safeParse({ b: 5, c: 'z', d: 1 });
    expect(result.success).toBe(false);
    expect(formatConfigIssues(result.error!)).toEqual([
      'a: required',
      'b: must be at most 3',
      'c: expected "x" or "y"',
      '(top level): unknown key "d"',
    ]);
  });

  it('names each unknown key on its own line', () => {
    const result = z.strictObject({}).safeParse({ fsp: 1, urls: 2 });
    expect(formatConfigIssues(result.error!)).toEqual([
      '(top level): unknown key "fsp"',
      '(top level): unknown key "urls"',
    ]);
  });
});
