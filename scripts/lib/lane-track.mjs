// The lane test track run through the real lane (npm run bench:lane, and its integration test):
// the gate as the daemon composes it (buildGate), one lane whose camera is the track clip
// (file: URL, ffmpeg at the clip's fps in real time), its motion gate, voting, decider and
// controller, the simulated barrier board, and the demo's traffic on its loop (a vehicle drives
// on once decided, off once the barrier opened, turns back when held), so the lane goes through
// its phases as at a gate. Nothing of the lane is re-done here: this file builds the lists the
// vehicles are decided against, watches what the lane decides, and scores it against the clip's
// sidecar.
//
// Needs dist/ (npm run build).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const dist = new URL('../../dist/', import.meta.url);
const load = (path) => import(new URL(path, dist).href);

/** The demo lane's region of interest (src/cli/demo.ts): where the clips' vehicles stop. */
const ROI = { x: 240, y: 280, w: 800, h: 440 };
const LANE = 'track';
const DAY_MS = 86_400_000;

/**
 * What each vehicle's lists are, by its index: most allowed (a permit), every fifth not listed
 * (held `unknown-plate`) and a few on the watch list (denied). Fixed by index, so a short track
 * starts with allowed vehicles and each role meets several conditions.
 */
export function roleOf(index) {
  if (index % 5 === 4) return 'unlisted';
  if (index % 11 === 6) return 'watch';
  return 'allow';
}

export const EXPECTED_ACTION = { allow: 'open', unlisted: 'hold', watch: 'deny' };

/** The plate texts of a sidecar vehicle: its plate and, for the cross-border truck, its second. */
export const platesOf = (v) => [v.plate, v.secondPlate].filter(Boolean).map((p) => p.text);

/**
 * The lists, as central would push them: an allowed truck with two plates is listed as the demo
 * lists one, under its Vietnamese temporary plate paired with its Chinese plate.
 */
export function trackLists(vehicles, now) {
  const allow = [],
    watch = [];
  for (const v of vehicles) {
    const role = roleOf(v.index);
    if (role === 'allow') {
      allow.push(
        v.secondPlate
          ? { key: v.secondPlate.text, reason: 'permit', pairedPlate: v.plate.text, validFrom: now - DAY_MS }
          : { key: v.plate.text, reason: 'permit', validFrom: now - DAY_MS },
      );
    } else if (role === 'watch') {
      watch.push({ key: v.plate.text, reason: 'track: customs inspection', source: 'customs' });
    }
  }
  return { allow, watch, deny: [], declarations: [] };
}

/**
 * One vehicle's outcome from the lane's decisions (in the order made, clip times in seconds):
 * its first decision counts, as it is the one the barrier acted on. `right`: the vehicle's plate
 * and the expected action; `wrong`: another action, or a plate not the vehicle's (a misread
 * decided in its time slot); `missed`: no decision. `msFromReadable`: from the frame its plates
 * became readable to that decision.
 */
export function scoreTrack(sidecar, decisions) {
  const slotOf = (t) => sidecar.vehicles.find((v) => t >= v.window.start && t < v.window.end);
  const owner = (d) => {
    const texts = [d.plate, ...d.otherPlates];
    return sidecar.vehicles.find((v) => platesOf(v).some((p) => texts.includes(p))) ?? slotOf(d.firstSeenClipS);
  };
  const byVehicle = new Map(sidecar.vehicles.map((v) => [v.index, []]));
  const unattributed = [];
  for (const d of decisions) {
    const v = owner(d);
    if (v) byVehicle.get(v.index).push(d);
    else unattributed.push(d);
  }
  const vehicles = sidecar.vehicles.map((v) => {
    const role = roleOf(v.index);
    const expected = EXPECTED_ACTION[role];
    const mine = byVehicle.get(v.index);
    const first = mine[0];
    const base = {
      index: v.index,
      condition: v.condition ?? 'clean',
      plates: [v.plate, v.secondPlate].filter(Boolean).map((p) => p.display),
      role,
      expected,
      readableFromS: v.readable?.start ?? null,
      extraDecisions: Math.max(0, mine.length - 1),
    };
    if (!first) return { ...base, outcome: 'missed', decided: null, msFromReadable: null };
    const plateRight = platesOf(v).includes(first.plate);
    const outcome = plateRight && first.action === expected ? 'right' : 'wrong';
    const readableAt = v.readable ? v.readable.start * 1000 : null;
    return {
      ...base,
      outcome,
      decided: {
        action: first.action,
        reason: first.reason,
        plate: first.display,
        plateRight,
        votes: first.votes,
        confidence: Number(first.confidence.toFixed(3)),
        trigger: first.trigger,
        atClipS: Number((first.atClipMs / 1000).toFixed(2)),
      },
      msFromReadable: readableAt === null ? null : Math.round(first.atClipMs - readableAt),
    };
  });
  return { vehicles, unattributed, totals: totalsOf(vehicles), byCondition: byCondition(vehicles) };
}

function totalsOf(vehicles) {
  const count = (o) => vehicles.filter((v) => v.outcome === o).length;
  const times = vehicles.flatMap((v) => (v.msFromReadable === null ? [] : [v.msFromReadable]));
  const rightTimes = vehicles.flatMap((v) => (v.outcome === 'right' ? [v.msFromReadable] : []));
  return {
    vehicles: vehicles.length,
    right: count('right'),
    wrong: count('wrong'),
    missed: count('missed'),
    // The reading apart from the flow: first decisions on the vehicle's own plate, whatever the action.
    plateRight: vehicles.filter((v) => v.decided?.plateRight).length,
    // Decisions after a vehicle's first: fragments or misreads of it, decided as vehicles of their own.
    extraDecisions: vehicles.reduce((n, v) => n + v.extraDecisions, 0),
    msFromReadable: spread(times),
    msFromReadableRight: spread(rightTimes),
  };
}

function byCondition(vehicles) {
  const out = {};
  for (const v of vehicles) {
    const c = (out[v.condition] ??= { vehicles: 0, right: 0, wrong: 0, missed: 0 });
    c.vehicles++;
    c[v.outcome]++;
  }
  return out;
}

/** Median and p95 (nearest rank) of a list of ms, or nulls for none. */
export function spread(values) {
  if (values.length === 0) return { n: 0, median: null, p95: null };
  const s = [...values].sort((a, b) => a - b);
  const rank = (q) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
  return { n: s.length, median: rank(0.5), p95: rank(0.95) };
}

/**
 * Plays the clip (`sidecar` is its JSON) once through a lane and returns the score and what the
 * lane counted. `recognition`: the lane's recognition settings (engine, modelsDir, secondRead, secondReader),
 * each the config's default when left out. Bounded: the clip's length
 * plus `graceMs`.
 */
export async function runLaneTrack({ clip, sidecar, recognition = {}, logLevel = 'error', graceMs = 60_000 }) {
  const { configSchema } = await load('config/index.js');
  const { buildGate } = await load('gate/build-gate.js');
  const { DemoTraffic } = await load('demo/demo-traffic.js');
  const { systemClock } = await load('core/clock.js');
  const { createLogger } = await load('core/log.js');
  const { secondReaderOf, secondReadOf } = await load('config/recognition.js');

  const dataDir = mkdtempSync(join(tmpdir(), 'smartgate-bench-lane-'));
  const config = configSchema.parse({
    site: { id: 'bench', name: 'lane test track' },
    dataDir,
    log: { level: logLevel },
    http: { enabled: false },
    lanes: [
      {
        id: LANE,
        direction: 'entry',
        camera: {
          url: pathToFileURL(clip).href,
          fps: sidecar.fps,
          width: sidecar.width,
          height: sidecar.height,
          loop: false,
        },
        roi: ROI,
        // The demo lanes' motion threshold: the clips' encoder flickers past the default 4 (docs/lanes.md).
        recognition: { ...recognition, motion: { threshold: 12 } },
        barrier: { driver: 'simulator' },
        // The demo lanes' flow: a vehicle every 5 s has passed or turned back before the next.
        flow: { waitAlarmMs: 30_000, passTimeoutMs: 4000, cooldownMs: 4000 },
      },
    ],
  });
  const lane = config.lanes[0];
  const gate = await buildGate(config, { clock: systemClock, log: createLogger(logLevel) });
  const parts = gate.lanes[0];
  const traffic = new DemoTraffic({ bus: gate.bus, clock: systemClock }, new Map([[LANE, parts.barrier.simulator]]));

  // The clip's frame n reaches the lane at t0 + n / fps (ffmpeg plays it in real time); t0 is
  // taken from every frame the reader takes, as the earliest it is consistent with.
  const msPerFrame = 1000 / sidecar.fps;
  let t0 = Infinity;
  const next = parts.camera.next.bind(parts.camera);
  parts.camera.next = async (signal) => {
    const frame = await next(signal);
    if (frame) t0 = Math.min(t0, frame.capturedAt - (frame.seq - 1) * msPerFrame);
    return frame;
  };
  const decided = [];
  const listener = {};
  gate.bus.on(listener, 'lane.decision', ({ read, decision }) =>
    decided.push({ at: Date.now(), read, action: decision.action, reason: decision.reason }),
  );

  const lists = trackLists(sidecar.vehicles, Date.now());
  for (const [name, entries] of Object.entries(lists)) gate.store.lists.applyFull(name, 1, entries);

  const started = Date.now();
  try {
    await traffic.start();
    await gate.start();
    const deadline = started + sidecar.durationSeconds * 1000 + graceMs;
    while (parts.camera.stats().state !== 'ended' && Date.now() < deadline) await sleep(250);
    // The last vehicle's votes close when no read came for vehicleGapMs (or at the reader's stop).
    await sleep(Math.min(lane.voting.vehicleGapMs + 1000, Math.max(0, deadline - Date.now())));
  } finally {
    await gate.stop();
    await traffic.stop();
    gate.bus.removeAll(listener);
    rmSync(dataDir, { recursive: true, force: true });
  }
  const decisions = decided.map(({ at, read, action, reason }) => ({
    plate: read.plate.text,
    display: read.plate.display,
    otherPlates: (read.otherPlates ?? []).map((p) => p.text),
    action,
    reason,
    votes: read.votes,
    confidence: read.confidence,
    trigger: read.trigger,
    atClipMs: at - t0,
    firstSeenClipS: (read.firstSeenAt - t0) / 1000,
  }));
  return {
    engine: lane.recognition.engine,
    // What the lane ran with, the engine's defaults filled in.
    recognition: {
      modelsDir: lane.recognition.modelsDir ?? null,
      secondRead: secondReadOf(lane.recognition),
      secondReader: secondReaderOf(lane.recognition),
    },
    clip: sidecar.clip,
    seconds: Number(((Date.now() - started) / 1000).toFixed(1)),
    ...scoreTrack(sidecar, decisions),
    lane: { camera: parts.camera.stats(), reader: parts.reader.stats() },
    decisions,
  };
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The per-vehicle table, then the totals, as Markdown. */
export function formatReport(report) {
  const rows = report.vehicles.map((v) => {
    const d = v.decided;
    const got = d ? `${d.action} ${d.reason}${d.plateRight ? '' : ` (read ${d.plate})`}` : '–';
    return `| ${v.index} | ${v.condition} | ${v.plates.join(' + ')} | ${v.expected} | ${got} | ${v.outcome} | ${v.msFromReadable ?? '–'} |`;
  });
  const t = report.totals;
  const ms = (s) => (s.n ? `${s.median} / ${s.p95} ms (n=${s.n})` : '–');
  const conditions = Object.entries(report.byCondition).map(
    ([c, n]) => `| ${c} | ${n.vehicles} | ${n.right} | ${n.wrong} | ${n.missed} |`,
  );
  return [
    `engine ${report.engine}, ${report.clip}, ${report.seconds} s`,
    '',
    '| # | condition | plate(s) | expected | decided | outcome | ms from readable |',
    '| ---: | --- | --- | --- | --- | --- | ---: |',
    ...rows,
    '',
    '| condition | vehicles | right | wrong | missed |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...conditions,
    `| all | ${t.vehicles} | ${t.right} | ${t.wrong} | ${t.missed} |`,
    '',
    `first readable frame → decision, median / p95: ${ms(t.msFromReadable)}; decided right only: ${ms(t.msFromReadableRight)}`,
    `first decisions on the vehicle's own plate: ${t.plateRight}; extra decisions (after a vehicle's first): ${t.extraDecisions}; decisions on no vehicle of the track: ${report.unattributed.length}; frames in ${report.lane.camera.framesIn}, dropped ${report.lane.camera.framesDropped}, read ${report.lane.reader.inferences}, skipped (no motion) ${report.lane.reader.framesSkippedNoMotion}`,
  ].join('\n');
}
