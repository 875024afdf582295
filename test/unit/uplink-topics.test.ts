import { describe, expect, it } from 'vitest';
import { commandsTopic, DEFAULT_TOPIC_PREFIX, eventsFilter, eventsTopic, parseEventsTopic, statusFilter, statusTopic } from '../../src/uplink/topics.js';

describe('topics', () => {
  it('builds the events and status topics under the prefix', () => {
    expect(DEFAULT_TOPIC_PREFIX).toBe('smartgate/v1');
    expect(eventsTopic('smartgate/v1', 'mlt-kth', 'entry-1')).toBe('smartgate/v1/mlt-kth/entry-1/events');
    expect(statusTopic('smartgate/v1', 'mlt-kth')).toBe('smartgate/v1/mlt-kth/status');
    expect(commandsTopic('p', 'mlt-kth')).toBe('p/mlt-kth/commands');
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
});
