import { POSTCHECK_FLAGS } from '../domain/declarations.js';
import { DECISION_ACTIONS, type DecisionAction } from '../domain/decisions.js';
import type { GateSnapshot, LaneState } from '../uplink/contract.js';
import type { WebMetrics } from './web-counters.js';

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

const BARRIER_STATES: readonly NonNullable<LaneState['barrier']>['state'][] = [
  'closed',
  'opening',
  'open',
  'unknown',
  'fault',
];

/** What a lane controller counts (LaneController.stats()), as far as the metrics need it. */
export interface ControllerCounters {
  lane: string;
  actuations: number;
  alarms: number;
  decisions: Record<DecisionAction, number>;
}

/** What the yards count and hold (YardService.stats()), as far as the metrics need it. */
export interface YardMetrics {
  dwellBucketsS: readonly number[];
  yards: readonly {
    yardId: string;
    capacity: number;
    occupancy: number;
    reserved: number;
    classes: readonly { id: string; capacity: number; occupancy: number }[];
    entered: number;
    left: number;
    exitsWithoutEntry: number;
    overstays: number;
    /** Dwell of the vehicles that left: cumulative counts per bound of dwellBucketsS, their sum and count. */
    dwell: { count: number; sumS: number; buckets: readonly number[] };
  }[];
}

/** What the post-check counts (PostcheckService.stats()), as far as the metrics need it. */
export interface PostcheckMetrics {
  /** Passages that could not be written to the ledger (the store failed). */
  notRecorded: number;
  /** Every lane deciding on fee declarations, with its passages since start. */
  lanes: readonly {
    laneId: string;
    declared: number;
    undeclared: number;
    /** Flagged passages by flag kind (a passage may have two). */
    flags: Readonly<Record<string, number>>;
  }[];
}

export interface MetricsInput {
  snapshot: GateSnapshot;
  controllers: readonly ControllerCounters[];
  /** False without a broker. */
  uplinkConnected: boolean;
  /** The page's own counters (logins, auth events, connections); absent: not served by a page. */
  web?: WebMetrics;
  /** The yards' occupancy and counters; absent or null: the gate has no yards. */
  yards?: YardMetrics | null;
  /** The post-check's counters; absent or null: no lane decides on fee declarations. */
  postcheck?: PostcheckMetrics | null;
}

type Labels = Record<string, string>;
interface Family {
  name: string;
  type: 'gauge' | 'counter' | 'histogram';
  help: string;
  /** `suffix`: a histogram's `_bucket`, `_sum` or `_count`. */
  samples: { labels: Labels; value: number; suffix?: string }[];
}

/** The gate's metrics in the Prometheus text format 0.0.4 (names as in docs/web.md). Pure. */
export function renderMetrics(input: MetricsInput): string {
  const { health, lanes } = input.snapshot;
  const counters = new Map(input.controllers.map((c) => [c.lane, c]));
  const families: Family[] = [];
  const family = (name: string, type: Family['type'], help: string, samples: Family['samples']) =>
    families.push({ name, type, help, samples });
  const perLane = (value: (lane: (typeof lanes)[number]) => number | null) =>
    lanes.flatMap((l) => {
      const v = value(l);
      return v === null ? [] : [{ labels: { lane: l.laneId }, value: v }];
    });

  family('smartgate_up', 'gauge', 'The daemon is running.', [{ labels: {}, value: 1 }]);
  family('smartgate_uptime_seconds', 'gauge', 'Seconds since the daemon started.', [
    { labels: {}, value: health.uptimeMs / 1000 },
  ]);
  family(
    'smartgate_camera_fps',
    'gauge',
    'Frames per second from the camera (in) and taken by the reader (processed).',
    lanes.flatMap((l) => [
      { labels: { lane: l.laneId, kind: 'in' }, value: l.camera.fpsIn },
      { labels: { lane: l.laneId, kind: 'processed' }, value: l.camera.fpsProcessed },
    ]),
  );
  // No sample before the first frame: an age of "none" is not a number.
  family(
    'smartgate_camera_last_frame_age_seconds',
    'gauge',
    'Age of the newest camera frame.',
    perLane((l) => (l.camera.lastFrameAgeMs === null ? null : l.camera.lastFrameAgeMs / 1000)),
  );
  family(
    'smartgate_camera_restarts_total',
    'counter',
    'Camera (ffmpeg) restarts.',
    perLane((l) => l.camera.restarts),
  );
  family(
    'smartgate_camera_frames_dropped_total',
    'counter',
    'Frames replaced by a newer one before they were read.',
    perLane((l) => l.camera.framesDropped),
  );
  family(
    'smartgate_camera_streaming',
    'gauge',
    '1 while the camera is streaming.',
    perLane((l) => (l.camera.state === 'streaming' ? 1 : 0)),
  );
  family(
    'smartgate_inference_seconds',
    'gauge',
    'Duration of the last find + read.',
    perLane((l) => (l.reader.lastInferenceMs === null ? null : l.reader.lastInferenceMs / 1000)),
  );
  family(
    'smartgate_inferences_total',
    'counter',
    'Plate find + read runs.',
    perLane((l) => l.reader.inferences),
  );
  family(
    'smartgate_votes_total',
    'counter',
    'Voted plate reads.',
    perLane((l) => l.reader.platesEmitted),
  );
  family(
    'smartgate_decisions_total',
    'counter',
    'Decisions by action.',
    lanes.flatMap((l) =>
      DECISION_ACTIONS.map((action) => ({
        labels: { lane: l.laneId, action },
        value: counters.get(l.laneId)?.decisions[action] ?? 0,
      })),
    ),
  );
  family(
    'smartgate_barrier_state',
    'gauge',
    'The barrier state: 1 for the current one (lanes without a barrier have none).',
    lanes.flatMap((l) =>
      l.barrier
        ? BARRIER_STATES.map((state) => ({
            labels: { lane: l.laneId, state },
            value: l.barrier!.state === state ? 1 : 0,
          }))
        : [],
    ),
  );
  family(
    'smartgate_barrier_actuations_total',
    'counter',
    'Barrier opens asked for.',
    perLane((l) => counters.get(l.laneId)?.actuations ?? 0),
  );
  family(
    'smartgate_alarms_total',
    'counter',
    'Lane alarms recorded.',
    perLane((l) => counters.get(l.laneId)?.alarms ?? 0),
  );
  family(
    'smartgate_holds_pending',
    'gauge',
    'Vehicles waiting for an operator.',
    perLane((l) => l.flow.holds.length),
  );
  family('smartgate_outbox_pending', 'gauge', 'Events not yet acknowledged by the broker.', [
    { labels: {}, value: health.outboxPending },
  ]);
  family('smartgate_uplink_connected', 'gauge', '1 while connected to the broker (0 without one).', [
    { labels: {}, value: input.uplinkConnected ? 1 : 0 },
  ]);
  family(
    'smartgate_store_used_bytes',
    'gauge',
    'Database and frame files on disk at the last retention run.',
    health.store.usedBytes === null ? [] : [{ labels: {}, value: health.store.usedBytes }],
  );
  family('smartgate_store_quota_bytes', 'gauge', 'The disk quota of the store.', [
    { labels: {}, value: health.store.quotaBytes },
  ]);

  const { web } = input;
  if (web) {
    const counts = (label: string, record: Record<string, number>) =>
      Object.entries(record).map(([value, n]) => ({ labels: { [label]: value }, value: n }));
    family(
      'smartgate_logins_total',
      'counter',
      'Logins on the page by result: success, failure (wrong username or password), rate-limited, busy.',
      counts('result', web.logins),
    );
    family(
      'smartgate_auth_events_total',
      'counter',
      'auth events recorded by the page since start, by action.',
      counts('action', web.authEvents),
    );
    family('smartgate_http_connections', 'gauge', 'Connections open to the page.', [
      { labels: {}, value: web.connections.open },
    ]);
    family(
      'smartgate_http_connections_refused_total',
      'counter',
      'Connections closed at once: too many open in total or from one address.',
      counts('reason', web.connections.refused),
    );
  }

  if (input.yards) yardFamilies(input.yards, family);
  if (input.postcheck) postcheckFamilies(input.postcheck, family);

  return families.map(renderFamily).join('');
}

/** The yards' families: occupancy and places per yard and per class, passages, anomalies, and the dwell of those that left. */
function yardFamilies(
  stats: YardMetrics,
  family: (name: string, type: Family['type'], help: string, samples: Family['samples']) => void,
): void {
  const perYard = (value: (yard: YardMetrics['yards'][number]) => number) =>
    stats.yards.map((y) => ({ labels: { yard: y.yardId }, value: value(y) }));
  const perClass = (value: (c: YardMetrics['yards'][number]['classes'][number]) => number) =>
    stats.yards.flatMap((y) => y.classes.map((c) => ({ labels: { yard: y.yardId, class: c.id }, value: value(c) })));
  family(
    'smartgate_yard_occupancy',
    'gauge',
    'Vehicles inside the yard.',
    perYard((y) => y.occupancy),
  );
  family(
    'smartgate_yard_capacity',
    'gauge',
    'Places in the yard, all classes together.',
    perYard((y) => y.capacity),
  );
  family(
    'smartgate_yard_reserved',
    'gauge',
    'Places promised to vehicles being let in (opened for, or offered to the operator).',
    perYard((y) => y.reserved),
  );
  // Per class in families of their own: summing a family over its samples must not count a vehicle twice.
  family(
    'smartgate_yard_class_occupancy',
    'gauge',
    'Vehicles inside the yard, per class.',
    perClass((c) => c.occupancy),
  );
  family(
    'smartgate_yard_class_capacity',
    'gauge',
    'Places in the yard for a class.',
    perClass((c) => c.capacity),
  );
  family(
    'smartgate_yard_entered_total',
    'counter',
    'Vehicles that entered the yard.',
    perYard((y) => y.entered),
  );
  family(
    'smartgate_yard_left_total',
    'counter',
    'Vehicles that left the yard.',
    perYard((y) => y.left),
  );
  family(
    'smartgate_yard_overstays_total',
    'counter',
    'Overstay thresholds reached.',
    perYard((y) => y.overstays),
  );
  family(
    'smartgate_yard_exits_without_entry_total',
    'counter',
    'Vehicles that left the yard with no entry of them on record.',
    perYard((y) => y.exitsWithoutEntry),
  );
  family(
    'smartgate_yard_dwell_seconds',
    'histogram',
    'How long the vehicles that left the yard were inside.',
    stats.yards.flatMap((y) => [
      ...stats.dwellBucketsS.map((bound, i) => ({
        suffix: '_bucket',
        labels: { yard: y.yardId, le: String(bound) },
        value: y.dwell.buckets[i] ?? 0,
      })),
      { suffix: '_bucket', labels: { yard: y.yardId, le: '+Inf' }, value: y.dwell.count },
      { suffix: '_sum', labels: { yard: y.yardId }, value: y.dwell.sumS },
      { suffix: '_count', labels: { yard: y.yardId }, value: y.dwell.count },
    ]),
  );
}

/** The post-check's families: passages by status and flags by kind, per lane, every kind present (0 until seen). */
function postcheckFamilies(
  stats: PostcheckMetrics,
  family: (name: string, type: Family['type'], help: string, samples: Family['samples']) => void,
): void {
  family(
    'smartgate_postcheck_passages_total',
    'counter',
    'Passages on lanes deciding on fee declarations, by status: declared (on a valid declaration) or undeclared.',
    stats.lanes.flatMap((l) => [
      { labels: { lane: l.laneId, status: 'declared' }, value: l.declared },
      { labels: { lane: l.laneId, status: 'undeclared' }, value: l.undeclared },
    ]),
  );
  const kinds = [...new Set([...POSTCHECK_FLAGS, ...stats.lanes.flatMap((l) => Object.keys(l.flags))])];
  family(
    'smartgate_postcheck_flagged_total',
    'counter',
    'Passages flagged for the post-check, by flag kind (a passage with two flags counts under both).',
    stats.lanes.flatMap((l) => kinds.map((kind) => ({ labels: { lane: l.laneId, kind }, value: l.flags[kind] ?? 0 }))),
  );
  family(
    'smartgate_postcheck_not_recorded_total',
    'counter',
    'Passages the post-check could not write to its ledger (the store failed): missing from the reconciliation.',
    [{ labels: {}, value: stats.notRecorded }],
  );
}

function renderFamily(f: Family): string {
  const lines = [
    `# HELP ${f.name} ${f.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`,
    `# TYPE ${f.name} ${f.type}`,
  ];
  for (const s of f.samples) lines.push(`${f.name}${s.suffix ?? ''}${renderLabels(s.labels)} ${renderValue(s.value)}`);
  return `${lines.join('\n')}\n`;
}

function renderLabels(labels: Labels): string {
  const pairs = Object.entries(labels);
  if (pairs.length === 0) return '';
  return `{${pairs.map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')}"`).join(',')}}`;
}

function renderValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}
