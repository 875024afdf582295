import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { GroupProcess, ProcessEnd } from '../../src/camera/process-group.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { silentLogger } from '../../src/core/log.js';
import {
  liveStreams,
  liveVideoArgs,
  liveVideoSize,
  type LiveStreamCamera,
  type LiveStreamOptions,
} from '../../src/camera/live-stream.js';
import { LiveVideoServer, type LiveVideoOptions } from '../../src/web/live-video.js';
import { waitFor } from '../helpers/processes.js';

/** Stands in for ffmpeg: records signals, and ends on SIGTERM unless told to ignore it. */
class FakeFfmpeg implements GroupProcess {
  static nextPid = 1000;
  readonly pid = FakeFfmpeg.nextPid++;
  readonly signals: string[] = [];
  ignoreSigterm = false;
  ended = false;
  private stdout: ((chunk: Buffer) => void) | null = null;
  private endFn: ((end: ProcessEnd) => void) | null = null;

  constructor(readonly args: readonly string[]) {}

  onStdout(fn: (chunk: Buffer) => void): void {
    this.stdout = fn;
  }
  onStderr(): void {}
  onEnd(fn: (end: ProcessEnd) => void): void {
    this.endFn = fn;
  }
  signalGroup(signal: 'SIGTERM' | 'SIGKILL'): void {
    this.signals.push(signal);
    if (signal === 'SIGKILL' || !this.ignoreSigterm) queueMicrotask(() => this.end({ code: null, signal }));
  }
  write(chunk: Buffer): void {
    this.stdout?.(chunk);
  }
  end(end: ProcessEnd): void {
    if (this.ended) return;
    this.ended = true;
    this.endFn?.(end);
  }
}

/** `count` MPEG-TS packets: sync byte, then the packet's index as filler. */
function tsPackets(count: number, first = 0): Buffer {
  const buf = Buffer.alloc(188 * count);
  for (let i = 0; i < count; i++) {
    buf.fill(first + i, i * 188, (i + 1) * 188);
    buf[i * 188] = 0x47;
  }
  return buf;
}

const CAMERA: LiveStreamCamera = {
  laneId: 'lane-1',
  url: 'rtsp://admin:secret@192.168.10.21:554/stream1',
  width: 1280,
  height: 720,
  loop: true,
  backoff: { initialMs: 1_000, maxMs: 8_000 },
};

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
});

async function setup(options: LiveVideoOptions & LiveStreamOptions = {}) {
  const clock = new FakeClock();
  const spawned: FakeFfmpeg[] = [];
  const streams = liveStreams(
    [CAMERA],
    {
      clock,
      log: silentLogger,
      spawn: (command, args) => {
        expect(command).toBe('/usr/bin/ffmpeg');
        const proc = new FakeFfmpeg(args);
        spawned.push(proc);
        return proc;
      },
    },
    options,
  );
  const live = new LiveVideoServer(streams, { clock, log: silentLogger }, options);
  // The page's server: authentication is its job; here every upgrade is let through.
  const server: Server = createServer();
  server.on('upgrade', (req, socket, head) => {
    const [, laneId = '', session = 'session-1'] =
      /^\/api\/lanes\/([^/?]+)\/video(?:\?session=(.+))?$/.exec(req.url ?? '') ?? [];
    live.handleUpgrade(req, socket, head, laneId, session);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const clients: WebSocket[] = [];
  cleanup.push(async () => {
    for (const c of clients) c.terminate();
    await live.stop();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  /** A viewer: resolves once connected, with everything it receives. */
  /** `session` stands for the login the page's server found for the upgrade. */
  const connect = (laneId = 'lane-1', session = 'session-1') =>
    new Promise<{ ws: WebSocket; received: Buffer[]; closed: Promise<number> }>((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/api/lanes/${laneId}/video?session=${session}`);
      clients.push(ws);
      const received: Buffer[] = [];
      const closed = new Promise<number>((r) => ws.on('close', (code) => r(code)));
      ws.on('message', (data) => received.push(data as Buffer));
      ws.on('open', () => resolve({ ws, received, closed }));
      ws.on('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
      ws.on('error', reject);
    });
  const viewersOf = () => live.stats().lanes[0]!.viewers;
  return { clock, spawned, live, connect, viewersOf };
}

describe('LiveVideoServer', () => {
  it('shares one ffmpeg between two viewers and sends both whole TS packets', async () => {
    const { spawned, connect, live } = await setup();
    const a = await connect();
    const b = await connect();
    await waitFor(() => live.stats().lanes[0]!.viewers === 2, 2_000, 'two viewers');
    expect(spawned).toHaveLength(1);
    expect(live.stats().lanes[0]).toMatchObject({ laneId: 'lane-1', viewers: 2, ffmpegRunning: true, restarts: 0 });

    // Split mid-packet, as a pipe may: viewers still get whole packets only.
    const packets = tsPackets(3);
    spawned[0]!.write(packets.subarray(0, 300));
    spawned[0]!.write(packets.subarray(300));
    await waitFor(
      () => Buffer.concat(a.received).length === 3 * 188 && Buffer.concat(b.received).length === 3 * 188,
      2_000,
      'packets',
    );
    for (const viewer of [a, b]) {
      expect(Buffer.concat(viewer.received).equals(packets)).toBe(true);
      for (const message of viewer.received) expect(message.length % 188).toBe(0);
    }
  });

  it('ends ffmpeg when the last viewer leaves, with SIGKILL if SIGTERM is ignored', async () => {
    const { spawned, connect, live, clock, viewersOf } = await setup();
    const a = await connect();
    const b = await connect();
    await waitFor(() => viewersOf() === 2, 2_000, 'two viewers');
    const ffmpeg = spawned[0]!;
    ffmpeg.ignoreSigterm = true;

    a.ws.close();
    await waitFor(() => viewersOf() === 1, 2_000, 'one viewer left');
    expect(ffmpeg.signals).toEqual([]);

    b.ws.close();
    await waitFor(() => viewersOf() === 0, 2_000, 'no viewer left');
    expect(ffmpeg.signals).toEqual(['SIGTERM']);
    clock.advance(1_999);
    expect(ffmpeg.signals).toEqual(['SIGTERM']);
    clock.advance(1);
    expect(ffmpeg.signals).toEqual(['SIGTERM', 'SIGKILL']);
    await waitFor(() => !live.stats().lanes[0]!.ffmpegRunning, 2_000, 'ffmpeg ended');

    // The next viewer starts a fresh ffmpeg.
    await connect();
    await waitFor(() => spawned.length === 2, 2_000, 'second ffmpeg');
  });

  it('closes the viewers of a session that ended (1008), and only them; they get no more video', async () => {
    const { spawned, connect, live, viewersOf } = await setup();
    const a = await connect('lane-1', 'session-a');
    const b = await connect('lane-1', 'session-b');
    await waitFor(() => viewersOf() === 2, 2_000, 'two viewers');
    live.closeSession('session-a');
    expect(await a.closed).toBe(1008);
    await waitFor(() => viewersOf() === 1, 2_000, 'one viewer left');
    spawned[0]!.write(tsPackets(2));
    await waitFor(() => Buffer.concat(b.received).length === 2 * 188, 2_000, 'packets to the other viewer');
    expect(a.received).toEqual([]);
    expect(b.ws.readyState).toBe(WebSocket.OPEN);
  });

  it('refuses viewers over the cap, and unknown lanes', async () => {
    const { spawned, connect, viewersOf } = await setup({ maxViewersPerLane: 2 });
    await connect();
    await connect();
    await waitFor(() => viewersOf() === 2, 2_000, 'two viewers');
    await expect(connect()).rejects.toThrow('HTTP 503');
    await expect(connect('lane-9')).rejects.toThrow('HTTP 404');
    expect(viewersOf()).toBe(2);
    expect(spawned).toHaveLength(1);
  });

  it('restarts ffmpeg with back-off when it dies while viewers remain', async () => {
    const { spawned, connect, live, clock, viewersOf } = await setup();
    await connect();
    await waitFor(() => viewersOf() === 1, 2_000, 'a viewer');
    spawned[0]!.end({ code: 1, signal: null });
    expect(live.stats().lanes[0]!.ffmpegRunning).toBe(false);
    clock.advance(999);
    expect(spawned).toHaveLength(1);
    clock.advance(1);
    expect(spawned).toHaveLength(2);
    // Second failure in a row: twice the wait.
    spawned[1]!.end({ code: 1, signal: null });
    clock.advance(1_999);
    expect(spawned).toHaveLength(2);
    clock.advance(1);
    expect(spawned).toHaveLength(3);
    expect(live.stats().lanes[0]).toMatchObject({ viewers: 1, ffmpegRunning: true, restarts: 2 });
  });

  it('kills a stalled ffmpeg and starts another', async () => {
    const { spawned, connect, clock, viewersOf } = await setup();
    await connect();
    await waitFor(() => viewersOf() === 1, 2_000, 'a viewer');
    spawned[0]!.write(tsPackets(1));
    clock.advance(9_999);
    expect(spawned[0]!.signals).toEqual([]);
    clock.advance(1);
    expect(spawned[0]!.signals).toEqual(['SIGTERM']);
    await waitFor(() => spawned[0]!.ended, 2_000, 'stalled ffmpeg ended');
    clock.advance(1_000);
    expect(spawned).toHaveLength(2);
  });

  it('drops video for a viewer that does not keep up instead of buffering it', async () => {
    const { spawned, connect, viewersOf } = await setup({ maxBufferedBytes: 256 * 1024 });
    const slow = await connect();
    await waitFor(() => viewersOf() === 1, 2_000, 'a viewer');
    slow.ws.pause();
    const chunk = tsPackets(1_000);
    const chunks = 200; // ~37 MB: more than the loopback socket buffers hold
    for (let i = 0; i < chunks; i++) spawned[0]!.write(chunk);
    slow.ws.resume();
    let last = -1;
    const receivedBytes = () => slow.received.reduce((sum, m) => sum + m.length, 0);
    await waitFor(
      () => {
        const now = receivedBytes();
        const settled = now === last && now > 0;
        last = now;
        return settled;
      },
      10_000,
      'the slow viewer caught up',
    );
    expect(receivedBytes()).toBeLessThan(chunks * chunk.length);
    expect(receivedBytes() % chunk.length).toBe(0);
  });

  it('stop() closes every viewer and kills ffmpeg', async () => {
    const { spawned, connect, live } = await setup();
    const a = await connect();
    const b = await connect();
    await waitFor(() => live.stats().lanes[0]!.viewers === 2, 2_000, 'two viewers');
    await live.stop();
    expect(spawned[0]!.signals).toEqual(['SIGTERM']);
    expect(spawned[0]!.ended).toBe(true);
    expect(await a.closed).toBe(1001);
    expect(await b.closed).toBe(1001);
    expect(live.stats().lanes[0]).toMatchObject({ viewers: 0, ffmpegRunning: false });
    await expect(connect()).rejects.toThrow('HTTP 503');
    expect(spawned).toHaveLength(1);
  });
});

describe('liveVideoArgs', () => {
  it('reads RTSP over TCP like the camera and writes MPEG-1 in MPEG-TS to stdout', () => {
    const args = liveVideoArgs({ kind: 'rtsp', url: 'rtsp://cam/1' }, liveVideoSize(1280, 720, 960));
    const input = args.indexOf('-i');
    expect(args.slice(input - 2, input + 2)).toEqual(['-rtsp_transport', 'tcp', '-i', 'rtsp://cam/1']);
    expect(args).toContain('-nostdin');
    expect(args.slice(input + 2)).toEqual([
      '-f',
      'mpegts',
      '-codec:v',
      'mpeg1video',
      '-b:v',
      '1000k',
      '-bf',
      '0',
      '-r',
      '25',
      '-s',
      '960x540',
      '-an',
      '-',
    ]);
  });

  it('plays a clip at real time, looping when asked', () => {
    const looped = liveVideoArgs({ kind: 'clip', path: '/c.mp4', loop: true }, { width: 640, height: 360 });
    expect(looped.slice(looped.indexOf('-re'), looped.indexOf('-i') + 2)).toEqual([
      '-re',
      '-stream_loop',
      '-1',
      '-i',
      '/c.mp4',
    ]);
    const once = liveVideoArgs({ kind: 'clip', path: '/c.mp4', loop: false }, { width: 640, height: 360 });
    expect(once).not.toContain('-stream_loop');
  });

  it('keeps the aspect, at most the maximum width, in even pixels', () => {
    expect(liveVideoSize(1280, 720, 960)).toEqual({ width: 960, height: 540 });
    expect(liveVideoSize(640, 480, 960)).toEqual({ width: 640, height: 480 });
    expect(liveVideoSize(1920, 1081, 960)).toEqual({ width: 960, height: 540 });
    expect(liveVideoSize(333, 250, 960)).toEqual({ width: 332, height: 250 });
  });
});
