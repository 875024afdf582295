import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/log.js';
import { configSchema, type Config } from '../../src/config/index.js';
import { buildGate } from '../../src/gate/build-gate.js';
import type { VotedPlateRead } from '../../src/plates/voter.js';
import { openStore } from '../../src/store/store.js';
import { createEngine, type RecognitionEngine } from '../../src/vision/engines.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { demoClip, type DemoVehicle } from '../helpers/demo-clip.js';
import { ffmpegChildrenOf, inGroups, waitFor } from '../helpers/processes.js';
import { startRtspServer, type RtspServer } from '../helpers/rtsp-server.js';

// The whole reading path on real parts: GStreamer's RTSP server plays the demo clip, the
// daemon's lane pulls it with ffmpeg, the PP-OCRv4 engine reads it, the voter decides.

interface Voted {
  at: number;
  read: VotedPlateRead;
}

function laneConfig(url: string, voting: Record<string, number> = {}): Config {
  return configSchema.parse({
    site: { id: 'test', name: 'test gate' },
    http: { enabled: false },
    lanes: [
      {
        id: 'lane-1',
        direction: 'entry',
        camera: { url, fps: 5, stallTimeoutMs: 5000, backoff: { initialMs: 250, maxMs: 2000 } },
        roi: { x: 240, y: 280, w: 800, h: 440 }, // where the demo clip's vehicles stop
        voting,
      },
    ],
  });
}

/** A daemon on `config` (with a fresh store) whose voted reads and ffmpeg children are recorded. */
async function startDaemon(config: Config, engine: RecognitionEngine) {
  const dataDir = mkdtempSync(join(tmpdir(), 'smartgate-lane-'));
  const store = openStore(
    { clock: systemClock, log: silentLogger },
    { dataDir, siteId: config.site.id, config: config.store },
  );
  const daemon = await buildGate(config, { clock: systemClock, log: silentLogger, store, engine });
  const voted: Voted[] = [];
  const ffmpegPids = new Set<number>();
  daemon.bus.on(voted, 'plate.read', ({ read }) => voted.push({ at: Date.now(), read }));
  const watch = setInterval(() => ffmpegChildrenOf(process.pid).forEach((p) => ffmpegPids.add(p.pid)), 250);
  return {
    daemon,
    store,
    voted,
    ffmpegPids,
    started: daemon.start(),
    async stop() {
      clearInterval(watch);
      await daemon.stop();
      daemon.bus.removeAll(voted);
    },
    close() {
      store.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

describe('lane on a real RTSP camera', () => {
  let vehicles: DemoVehicle[];
  let clipPath: string;
  let server: RtspServer;
  let engine: RecognitionEngine;

  beforeAll(async () => {
    ({ path: clipPath, vehicles } = await demoClip());
    server = await startRtspServer(clipPath);
    engine = await createEngine('ppocr');
  });

  afterAll(async () => {
    await server?.stop('SIGKILL');
    await engine?.close();
  });

  it('reads each readable vehicle of the clip exactly once, and nothing for the mud-covered one', async () => {
    // A vehicle is reported under one of its plates: the cross-border truck under whichever of
    // its two plates agreed first, with the other in otherPlates.
    const platesOf = (v: DemoVehicle) => [v.plate, v.secondPlate].flatMap((p) => (p ? [p] : []));
    const vehicleOf = (text: string) => vehicles.find((v) => platesOf(v).some((p) => p.text === text));
    const expected = vehicles.filter((v) => v.plate !== null).map((v) => v.index);
    expect(vehicles.some((v) => v.plate === null)).toBe(true); // the clip has an unreadable plate
    expect(vehicles.some((v) => v.secondPlate)).toBe(true); // and a truck with two plates
    const lane = await startDaemon(laneConfig(server.url), engine);
    try {
      await lane.started;
      const validTexts = () => lane.voted.filter((v) => v.read.plate.valid).map((v) => v.read.plate.text);
      const vehiclesRead = () => validTexts().map((t) => vehicleOf(t)?.index ?? -1);
      // Every vehicle once: the clip is 45 s; the last two are the car after the muddy one and the truck.
      const names = vehicles
        .filter((v) => v.plate)
        .map((v) =>
          platesOf(v)
            .map((p) => p.text)
            .join('+'),
        );
      await waitFor(
        () => expected.every((i) => vehiclesRead().includes(i)),
        150_000,
        `reads of ${names.join(', ')}`,
      ).catch((err: Error) => {
        throw new Error(`${err.message}; got ${JSON.stringify(lane.voted.map((v) => v.read.plate.raw))}`);
      });
      const seen = JSON.stringify(
        lane.voted.map(({ read }) => [read.plate.raw, read.plate.valid, read.votes, read.trigger]),
      );
      // No wrong read and no flagged read either: the muddy plate gives nothing.
      expect(lane.voted.map((v) => vehicleOf(v.read.plate.text)?.index ?? v.read.plate.raw).sort(), seen).toEqual(
        [...expected].sort(),
      );
      for (const { read } of lane.voted) {
        const plates = platesOf(vehicleOf(read.plate.text)!);
        const truth = plates.find((p) => p.text === read.plate.text)!;
        expect(read.plate).toMatchObject({
          display: truth.display,
          country: truth.country,
          kind: truth.kind,
          layout: truth.layout,
        });
        expect(
          (read.otherPlates ?? []).map((p) => p.text),
          seen,
        ).toEqual(plates.filter((p) => p !== truth).map((p) => p.text));
        expect(read.votes).toBeGreaterThanOrEqual(1);
        expect(read.crop?.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8])); // a JPEG of the plate
      }
    } finally {
      await lane.stop();
    }
    expect(inGroups([...lane.ffmpegPids])).toEqual([]);
    // Every voted read was recorded, with its crop, in order, waiting in the outbox for central.
    // Each read is followed by the lane's decision on it (no lists here: held, lists never received).
    const recorded = lane.store.events.pending(100);
    lane.close();
    const reads = recorded.filter((e) => e.event.type === 'plate.read');
    expect(reads.map((e) => [e.event.laneId, e.event.payload.text, e.event.hasCrop])).toEqual(
      lane.voted.map((v) => ['lane-1', v.read.plate.text, true]),
    );
    const laneRecords = recorded.filter((e) => e.event.type !== 'evidence.frame');
    expect(laneRecords.map((e) => [e.event.type, e.event.payload.action])).toEqual(
      lane.voted.flatMap(() => [
        ['plate.read', undefined],
        ['decision', 'hold'],
      ]),
    );
    // A decision's evidence frame enters the chain once its file is on disk, after the decision.
    const decisionIds = recorded.filter((e) => e.event.type === 'decision').map((e) => e.event.eventId);
    for (const frame of recorded.filter((e) => e.event.type === 'evidence.frame'))
      expect(decisionIds).toContain(frame.event.payload.eventId);
    expect(recorded.map((e) => e.event.seq)).toEqual(recorded.map((_, i) => i + 1));
  }, 180_000); // a 45 s clip, read on two cores shared with the other test files

  it('reads again within 30 s after the camera drops out and comes back, with one ffmpeg and no orphans', async () => {
    // No repeat window: a plate read before the outage counts again after it.
    const lane = await startDaemon(laneConfig(server.url, { repeatWindowMs: 0 }), engine);
    try {
      await lane.started;
      await waitFor(() => lane.voted.length > 0, 60_000, 'a first read');

      await server.stop('SIGKILL'); // the camera vanishes mid-stream
      const camera = lane.daemon.lanes[0]!.camera;
      await waitFor(() => camera.stats().restarts >= 1, 45_000, 'a camera restart').catch((err: Error) => {
        throw new Error(
          `${err.message}; camera ${JSON.stringify(camera.stats())}; ffmpeg ${JSON.stringify(ffmpegChildrenOf(process.pid))}`,
        );
      });
      server = await startRtspServer(clipPath, server.port);
      const back = Date.now();

      await waitFor(() => lane.voted.some((v) => v.at > back), 30_000, 'a read after the camera came back');
      const ours = ffmpegChildrenOf(process.pid);
      expect(ours).toHaveLength(1);
      expect(ours[0]!.pgid).toBe(ours[0]!.pid); // its own process group, killed as a whole
      expect(lane.ffmpegPids.size).toBeGreaterThanOrEqual(2);
      expect(inGroups([...lane.ffmpegPids])).toEqual(ours);
    } finally {
      await lane.stop();
      lane.close();
    }
    expect(inGroups([...lane.ffmpegPids])).toEqual([]);
  }, 180_000);
});
