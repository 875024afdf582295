import { describe, expect, it } from 'vitest';
import {
  commandsFilter,
  commandTopic,
  DEFAULT_TOPIC_PREFIX,
  defaultReplyPrefix,
  defaultReplyTopic,
  eventsFilter,
  eventsTopic,
  gateKeyFilter,
  gateKeyTopic,
  gateOwnTopics,
  listsFilter,
  listTopic,
  parseEventsTopic,
  parseGateKeyTopic,
  parseInboundTopic,
  postcheckSummaryTopic,
  statusFilter,
  statusTopic,
  topicMatches,
  topicsOverlap,
} from '../../src/domain/topics.js';

describe('topics', () => {
  it('builds the events and status topics under the prefix', () => {
    expect(DEFAULT_TOPIC_PREFIX).toBe('smartgate/v1');
    expect(eventsTopic('smartgate/v1', 'mlt-kth', 'entry-1')).toBe('smartgate/v1/mlt-kth/entry-1/events');
    expect(statusTopic('smartgate/v1', 'mlt-kth')).toBe('smartgate/v1/mlt-kth/status');
    expect(postcheckSummaryTopic('smartgate/v1', 'mlt-kth')).toBe('smartgate/v1/mlt-kth/postcheck/summary');
  });

  it("builds the gate key's topic and filter, and reads the site back from the topic", () => {
    expect(gateKeyTopic('smartgate/v1', 'mlt-kth')).toBe('smartgate/v1/mlt-kth/key');
    expect(gateKeyFilter('smartgate/v1')).toBe('smartgate/v1/+/key');
    expect(gateKeyFilter('smartgate/v1', 'mlt-kth')).toBe('smartgate/v1/mlt-kth/key');
    expect(parseGateKeyTopic('smartgate/v1', 'smartgate/v1/mlt-kth/key')).toBe('mlt-kth');
    for (const topic of [
      'smartgate/v1/mlt-kth/key/events',
      'smartgate/v1/mlt-kth/status',
      'other/mlt-kth/key',
      'smartgate/v1//key',
    ])
      expect(parseGateKeyTopic('smartgate/v1', topic), topic).toBeNull();
  });

  it('builds the command and list topics, their filters and the default reply topic', () => {
    expect(commandTopic('p', 'mlt-kth', 'ping')).toBe('p/mlt-kth/commands/ping');
    expect(listTopic('p', 'mlt-kth', 'deny')).toBe('p/mlt-kth/lists/deny');
    expect(commandsFilter('p', 'mlt-kth')).toBe('p/mlt-kth/commands/+');
    expect(listsFilter('p', 'mlt-kth')).toBe('p/mlt-kth/lists/+');
  });

  it("puts replies under a prefix of their own beside the gate's topics, by kind and name", () => {
    expect(defaultReplyPrefix('p', 'mlt-kth')).toBe('p/mlt-kth/replies');
    expect(defaultReplyTopic('p/mlt-kth/replies', 'command', 'ping')).toBe('p/mlt-kth/replies/commands/ping');
    expect(defaultReplyTopic('central/r', 'list', 'deny')).toBe('central/r/lists/deny');
    expect(gateOwnTopics('p', 's', ['a', 'b'])).toEqual([
      'p/s/a/events',
      'p/s/a/state',
      'p/s/b/events',
      'p/s/b/state',
      'p/s/yards/+/state',
      'p/s/postcheck/summary',
      'p/s/status',
      'p/s/health',
      'p/s/key',
      'p/s/commands/+',
      'p/s/lists/+',
    ]);
    expect(gateOwnTopics('p', 's', '+').slice(0, 2)).toEqual(['p/s/+/events', 'p/s/+/state']);
  });

  it.each([
    ['a/b', 'a/b', true],
    ['a/+', 'a/b', true],
    ['a/+', 'a/b/c', false],
    ['a/#', 'a/b/c', true],
    ['a/#', 'a', true],
    ['+/b', 'x/b', true],
    ['a/b', 'a/c', false],
    ['a/b', 'a/b/c', false],
  ])('matches filter %s against topic %s: %s', (filter, topic, expected) => {
    expect(topicMatches(filter, topic)).toBe(expected);
  });

  it.each([
    ['p/s/replies', 'p/s/status', false],
    ['p/s/replies', 'p/s/lane-1/events', false],
    ['p/s/replies', 'p/s/+/events', true], // a lane called "replies" would publish under it
    ['p/s', 'p/s/status', true], // above
    ['p', 'p/s/commands/+', true],
    ['p/s/status/replies', 'p/s/status', true], // below
    ['p/s/commands/ping/response', 'p/s/commands/+', true],
    ['central/replies', 'p/s/status', false],
  ])('tells whether %s and %s share a subtree: %s', (a, b, expected) => {
    expect(topicsOverlap(a, b)).toBe(expected);
    expect(topicsOverlap(b, a)).toBe(expected);
  });

  it('subscribes to one site or to all of them', () => {
    expect(eventsFilter('smartgate/v1', 'mlt-kth')).toBe('smartgate/v1/mlt-kth/+/events');
    expect(eventsFilter('smartgate/v1')).toBe('smartgate/v1/+/+/events');
    expect(statusFilter('x/y')).toBe('x/y/+/status');
  });

  it.each([
    ['smartgate/v1/mlt-kth/entry-1/events', { siteId: 'mlt-kth', laneId: 'entry-1' }],
    ['smartgate/v1/mlt-kth/status', null],
    ['smartgate/v1/mlt-kth/entry-1/events/extra', null],
    ['other/v1/mlt-kth/entry-1/events', null],
    ['smartgate/v1//entry-1/events', null],
  ])('reads the site and lane back from %s', (topic, expected) => {
    expect(parseEventsTopic('smartgate/v1', topic)).toEqual(expected);
  });

  it.each([
    ['p/mlt-kth/commands/ping', { kind: 'command', name: 'ping' }],
    ['p/mlt-kth/commands/lists.status', { kind: 'command', name: 'lists.status' }],
    ['p/mlt-kth/lists/deny', { kind: 'list', name: 'deny' }],
    ['p/other/commands/ping', { problem: 'topic is not under p/mlt-kth/' }],
    ['q/mlt-kth/commands/ping', { problem: 'topic is not under p/mlt-kth/' }],
    ['p/mlt-kth/status', { problem: 'topic level after the site must be commands or lists, got "status"' }],
    ['p/mlt-kth/commands/ping/extra', { problem: 'expected p/mlt-kth/commands/NAME, got 2 levels after commands' }],
    ['p/mlt-kth/commands', { problem: 'expected p/mlt-kth/commands/NAME, got 0 levels after commands' }],
    ['p/mlt-kth/lists/', { problem: 'the list name (last topic level) is empty' }],
  ])('reads %s as a command or list topic, or names the problem', (topic, expected) => {
    expect(parseInboundTopic('p', 'mlt-kth', topic)).toEqual(expected);
  });
});
