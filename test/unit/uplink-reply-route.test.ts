import { describe, expect, it } from 'vitest';
import { replyRoute } from '../../src/uplink/reply-route.js';
import { gateOwnTopics } from '../../src/domain/topics.js';

const policy = { prefix: 'sg/v1/mlt-kth/replies', ownTopics: gateOwnTopics('sg/v1', 'mlt-kth', '+') };
const FALLBACK = 'sg/v1/mlt-kth/replies/commands/ping';

describe('replyRoute', () => {
  it.each([
    ['a topic under the reply prefix', 'sg/v1/mlt-kth/replies/central-7', { topic: 'sg/v1/mlt-kth/replies/central-7' }],
    ['a deeper one', 'sg/v1/mlt-kth/replies/a/b/c', { topic: 'sg/v1/mlt-kth/replies/a/b/c' }],
    ['no responseTopic', undefined, { topic: FALLBACK }],
    ['an empty responseTopic', '', { topic: FALLBACK }],
    [
      "the gate's own events topic",
      'sg/v1/mlt-kth/entry-1/events',
      {
        refused:
          'responseTopic sg/v1/mlt-kth/entry-1/events is not under the reply prefix sg/v1/mlt-kth/replies/; no reply sent',
      },
    ],
    [
      "the gate's status topic",
      'sg/v1/mlt-kth/status',
      { refused: expect.stringContaining('is not under the reply prefix') },
    ],
    [
      "another gate's command topic",
      'sg/v1/other/commands/barrier.open',
      { refused: expect.stringContaining('is not under the reply prefix') },
    ],
    [
      'the reply prefix itself',
      'sg/v1/mlt-kth/replies',
      { refused: expect.stringContaining('is not under the reply prefix') },
    ],
    [
      'the reply prefix with a trailing slash only',
      'sg/v1/mlt-kth/replies/',
      { refused: expect.stringContaining('is not under the reply prefix') },
    ],
    [
      'a look-alike prefix',
      'sg/v1/mlt-kth/replies-x/1',
      { refused: expect.stringContaining('is not under the reply prefix') },
    ],
    [
      'a wildcard',
      'sg/v1/mlt-kth/replies/+',
      { refused: 'responseTopic sg/v1/mlt-kth/replies/+ has a wildcard; no reply sent' },
    ],
    ['a multi-level wildcard', 'sg/v1/mlt-kth/replies/#', { refused: expect.stringContaining('has a wildcard') }],
  ])('%s', (_what, responseTopic, expected) => {
    expect(replyRoute(policy, responseTopic, FALLBACK)).toEqual(expected);
  });

  it("never answers on one of the gate's own topics, even under a prefix that reaches them", () => {
    // The config refuses such a prefix; the inbox checks anyway.
    const wide = { prefix: 'sg/v1/mlt-kth', ownTopics: policy.ownTopics };
    expect(replyRoute(wide, 'sg/v1/mlt-kth/entry-1/events', null)).toEqual({
      refused:
        "responseTopic sg/v1/mlt-kth/entry-1/events is a topic of the gate's own (sg/v1/mlt-kth/+/events); no reply sent",
    });
    expect(replyRoute(wide, 'sg/v1/mlt-kth/commands/barrier.open', null)).toEqual({
      refused: expect.stringContaining('(sg/v1/mlt-kth/commands/+)'),
    });
    expect(replyRoute(wide, 'sg/v1/mlt-kth/health', null)).toEqual({
      refused: expect.stringContaining("a topic of the gate's own"),
    });
    expect(replyRoute(wide, 'sg/v1/mlt-kth/elsewhere/r1', null)).toEqual({ topic: 'sg/v1/mlt-kth/elsewhere/r1' });
  });

  it('sends nothing without a responseTopic when there is no fallback (a wrong topic)', () => {
    expect(replyRoute(policy, undefined, null)).toEqual({ none: true });
  });
});
