import { describe, expect, it } from 'vitest';
import type { LaneState } from '../../src/uplink/contract.js';
import { renderMetrics, type MetricsInput, type PostcheckMetrics, type YardMetrics } from '../../src/web/metrics.js';
import { DWELL_BUCKETS_S } from '../../src/yard/yard-counters.js';
import { WebCounters } from '../../src/web/web-counters.js';

function lane(laneId: string, over: Partial<LaneState> = {}): LaneState {
  return {
    laneId,
    ts: 0,
    camera: {
      state: 'streaming',
      fpsIn: 5,
      fpsProcessed: 4.5,
      framesDropped: 3,
      lastFrameAgeMs: 250,
      restarts: 1,
      lastError: null,
    },
    reader: { framesProcessed: 10, framesSkippedNoMotion: 2, inferences: 8, lastInferenceMs: 120, platesEmitted: 2 },
    flow: {
      phase: 'held',
      phaseAgeMs: 10,
      vehicle: null,
      holds: [{ holdId: 'h', plate: null, display: null, reason: 'unknown-plate', detail: '', createdAt: 0 }],
      loop: null,
    },
    barrier: { driver: 'simulator', state: 'closed', inputs: null, lastError: null, portOpen: true },
    ...over,
  };
}

const input: MetricsInput = {
  snapshot: {
    health: {
      bootId: 'b',
      version: '0.1.0',
      ts: 0,
      uptimeMs: 61_500,
      outboxPending: 7,
      store: { usedBytes: 4096, quotaBytes: 1_048_576, quotaExceeded: false },
      lanes: ['entry-1', 'exit-1'],
    },
    lanes: [
      lane('entry-1'),
      lane('exit-1', {
        barrier: null,
        camera: {
          state: 'backoff',
          fpsIn: 0,
          fpsProcessed: 0,
          framesDropped: 0,
          lastFrameAgeMs: null,
          restarts: 4,
          lastError: 'x',
        },
        reader: {
          framesProcessed: 0,
          framesSkippedNoMotion: 0,
          inferences: 0,
          lastInferenceMs: null,
          platesEmitted: 0,
        },
      }),
    ],
  },
  controllers: [{ lane: 'entry-1', actuations: 2, alarms: 1, decisions: { open: 5, hold: 2, deny: 1 } }],
  uplinkConnected: false,
};

const text = renderMetrics(input);
const samples = new Map(
  text
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const at = l.lastIndexOf(' ');
      return [l.slice(0, at), Number(l.slice(at + 1))] as const;
    }),
);

describe('renderMetrics', () => {
  it.each([
    ['smartgate_up', 1],
    ['smartgate_uptime_seconds', 61.5],
    ['smartgate_camera_fps{lane="entry-1",kind="in"}', 5],
    ['smartgate_camera_fps{lane="entry-1",kind="processed"}', 4.5],
    ['smartgate_camera_last_frame_age_seconds{lane="entry-1"}', 0.25],
    ['smartgate_camera_restarts_total{lane="exit-1"}', 4],
    ['smartgate_camera_frames_dropped_total{lane="entry-1"}', 3],
    ['smartgate_camera_streaming{lane="entry-1"}', 1],
    ['smartgate_camera_streaming{lane="exit-1"}', 0],
    ['smartgate_inference_seconds{lane="entry-1"}', 0.12],
    ['smartgate_inferences_total{lane="entry-1"}', 8],
    ['smartgate_votes_total{lane="entry-1"}', 2],
    ['smartgate_decisions_total{lane="entry-1",action="open"}', 5],
    ['smartgate_decisions_total{lane="entry-1",action="hold"}', 2],
    ['smartgate_decisions_total{lane="entry-1",action="deny"}', 1],
    ['smartgate_decisions_total{lane="exit-1",action="open"}', 0],
    ['smartgate_barrier_state{lane="entry-1",state="closed"}', 1],
    ['smartgate_barrier_state{lane="entry-1",state="fault"}', 0],
    ['smartgate_barrier_actuations_total{lane="entry-1"}', 2],
    ['smartgate_alarms_total{lane="entry-1"}', 1],
    ['smartgate_holds_pending{lane="entry-1"}', 1],
    ['smartgate_outbox_pending', 7],
    ['smartgate_uplink_connected', 0],
    ['smartgate_store_used_bytes', 4096],
    ['smartgate_store_quota_bytes', 1_048_576],
  ])('%s = %d', (name, value) => {
    expect(samples.get(name)).toBe(value);
  });

  it.each([
    ['smartgate_camera_last_frame_age_seconds{lane="exit-1"}', 'no frame yet'],
    ['smartgate_inference_seconds{lane="exit-1"}', 'no inference yet'],
    ['smartgate_barrier_state{lane="exit-1",state="closed"}', 'no barrier'],
  ])('leaves out %s (%s)', (name) => {
    expect(samples.has(name)).toBe(false);
  });

  it('writes the 0.0.4 text format: HELP and TYPE once per family, then `name{labels} value` lines', () => {
    const lines = text.trimEnd().split('\n');
    for (const line of lines)
      expect(line).toMatch(/^(# (HELP|TYPE) smartgate_\w+ .+|smartgate_\w+(\{(\w+="[^"]*",?)+\})? -?[\d.e+-]+)$/);
    const types = lines.filter((l) => l.startsWith('# TYPE ')).map((l) => l.split(' ')[2]);
    expect(new Set(types).size).toBe(types.length);
    expect(text).toContain('# TYPE smartgate_decisions_total counter');
    expect(text).toContain('# TYPE smartgate_holds_pending gauge');
    expect(text.endsWith('\n')).toBe(true);
  });

  it("adds the page's counters when it serves them: logins, auth events, connections", () => {
    const web = new WebCounters();
    web.logins.success = 3;
    web.logins['rate-limited'] = 15;
    web.authEvents['locked-out'] = 1;
    web.refused['per-address'] = 2;
    const lines = renderMetrics({ ...input, web: web.snapshot(7) }).split('\n');
    for (const line of [
      '# TYPE smartgate_logins_total counter',
      'smartgate_logins_total{result="success"} 3',
      'smartgate_logins_total{result="failure"} 0',
      'smartgate_logins_total{result="rate-limited"} 15',
      'smartgate_logins_total{result="busy"} 0',
      'smartgate_auth_events_total{action="locked-out"} 1',
      'smartgate_auth_events_total{action="user-added"} 0',
      '# TYPE smartgate_http_connections gauge',
      'smartgate_http_connections 7',
      'smartgate_http_connections_refused_total{reason="total"} 0',
      'smartgate_http_connections_refused_total{reason="per-address"} 2',
    ]) {
      expect(lines).toContain(line);
    }
    expect(text).not.toContain('smartgate_logins_total');
  });

  it("adds the yards' occupancy, places, passages and dwell histogram when the gate has yards", () => {
    const yards: YardMetrics = {
      dwellBucketsS: DWELL_BUCKETS_S,
      yards: [
        {
          yardId: 'kth-yard',
          capacity: 40,
          occupancy: 3,
          reserved: 1,
          classes: [
            { id: 'truck', capacity: 30, occupancy: 2 },
            { id: 'car', capacity: 10, occupancy: 1 },
          ],
          entered: 12,
          left: 9,
          exitsWithoutEntry: 1,
          overstays: 2,
          dwell: { count: 9, sumS: 12_600, buckets: [1, 3, 5, 7, 8, 9, 9, 9] },
        },
      ],
    };
    const rendered = renderMetrics({ ...input, yards });
    const lines = rendered.split('\n');
    for (const line of [
      '# TYPE smartgate_yard_occupancy gauge',
      'smartgate_yard_occupancy{yard="kth-yard"} 3',
      'smartgate_yard_capacity{yard="kth-yard"} 40',
      'smartgate_yard_reserved{yard="kth-yard"} 1',
      'smartgate_yard_class_occupancy{yard="kth-yard",class="truck"} 2',
      'smartgate_yard_class_occupancy{yard="kth-yard",class="car"} 1',
      'smartgate_yard_class_capacity{yard="kth-yard",class="truck"} 30',
      '# TYPE smartgate_yard_entered_total counter',
      'smartgate_yard_entered_total{yard="kth-yard"} 12',
      'smartgate_yard_left_total{yard="kth-yard"} 9',
      'smartgate_yard_overstays_total{yard="kth-yard"} 2',
      'smartgate_yard_exits_without_entry_total{yard="kth-yard"} 1',
      '# TYPE smartgate_yard_dwell_seconds histogram',
      'smartgate_yard_dwell_seconds_bucket{yard="kth-yard",le="300"} 1',
      'smartgate_yard_dwell_seconds_bucket{yard="kth-yard",le="3600"} 7',
      'smartgate_yard_dwell_seconds_bucket{yard="kth-yard",le="86400"} 9',
      'smartgate_yard_dwell_seconds_bucket{yard="kth-yard",le="+Inf"} 9',
      'smartgate_yard_dwell_seconds_sum{yard="kth-yard"} 12600',
      'smartgate_yard_dwell_seconds_count{yard="kth-yard"} 9',
    ]) {
      expect(lines).toContain(line);
    }
    // Buckets in ascending order of their bound, as Prometheus reads them.
    const bounds = lines.filter((l) => l.startsWith('smartgate_yard_dwell_seconds_bucket')).map((l) => l.split('"')[3]);
    expect(bounds).toEqual([...DWELL_BUCKETS_S.map(String), '+Inf']);
    for (const line of lines)
      expect(line).toMatch(/^(# (HELP|TYPE) smartgate_\w+ .+|smartgate_\w+(\{(\w+="[^"]*",?)+\})? -?[\d.e+-]+|)$/);
    expect(text).not.toContain('smartgate_yard_');
  });

  it("adds the post-check's passages by status and flags by kind, per lane on declarations, every kind from 0", () => {
    const postcheck: PostcheckMetrics = {
      notRecorded: 1,
      lanes: [
        { laneId: 'entry-1', declared: 40, undeclared: 3, flags: { undeclared: 2, 'class-mismatch': 1 } },
        // A kind a later gate adds is counted under its own name.
        { laneId: 'exit-1', declared: 0, undeclared: 1, flags: { 'declaration-used': 1, 'plate-swap': 1 } },
      ],
    };
    const lines = renderMetrics({ ...input, postcheck }).split('\n');
    const family = (name: string) => lines.filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
    expect(lines).toContain('# TYPE smartgate_postcheck_passages_total counter');
    expect(family('smartgate_postcheck_passages_total')).toEqual([
      'smartgate_postcheck_passages_total{lane="entry-1",status="declared"} 40',
      'smartgate_postcheck_passages_total{lane="entry-1",status="undeclared"} 3',
      'smartgate_postcheck_passages_total{lane="exit-1",status="declared"} 0',
      'smartgate_postcheck_passages_total{lane="exit-1",status="undeclared"} 1',
    ]);
    expect(lines).toContain('# TYPE smartgate_postcheck_flagged_total counter');
    expect(family('smartgate_postcheck_flagged_total')).toEqual([
      'smartgate_postcheck_flagged_total{lane="entry-1",kind="undeclared"} 2',
      'smartgate_postcheck_flagged_total{lane="entry-1",kind="declaration-used"} 0',
      'smartgate_postcheck_flagged_total{lane="entry-1",kind="class-mismatch"} 1',
      'smartgate_postcheck_flagged_total{lane="entry-1",kind="country-mismatch"} 0',
      'smartgate_postcheck_flagged_total{lane="entry-1",kind="plate-swap"} 0',
      'smartgate_postcheck_flagged_total{lane="exit-1",kind="undeclared"} 0',
      'smartgate_postcheck_flagged_total{lane="exit-1",kind="declaration-used"} 1',
      'smartgate_postcheck_flagged_total{lane="exit-1",kind="class-mismatch"} 0',
      'smartgate_postcheck_flagged_total{lane="exit-1",kind="country-mismatch"} 0',
      'smartgate_postcheck_flagged_total{lane="exit-1",kind="plate-swap"} 1',
    ]);
    expect(family('smartgate_postcheck_not_recorded_total')).toEqual(['smartgate_postcheck_not_recorded_total 1']);
    // None on a gate without a lane on declarations.
    expect(renderMetrics({ ...input, postcheck: null })).not.toContain('smartgate_postcheck_');
    expect(text).not.toContain('smartgate_postcheck_');
  });

  it('escapes label values', () => {
    const odd = renderMetrics({ ...input, snapshot: { ...input.snapshot, lanes: [lane('a"b\\c')] }, controllers: [] });
    expect(odd).toContain('smartgate_up 1');
    expect(odd).toContain('smartgate_votes_total{lane="a\\"b\\\\c"} 2');
  });
});
