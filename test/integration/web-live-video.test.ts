import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { systemClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/log.js';
import { liveStreams } from '../../src/camera/live-stream.js';
import { LiveVideoServer } from '../../src/web/live-video.js';
import { demoClip } from '../helpers/demo-clip.js';
import { ffmpegChildrenOf, inGroups, waitFor } from '../helpers/processes.js';

const TS_PACKET = 188;
/** MPEG-1/2 video sequence header start code. */
const SEQUENCE_HEADER = Buffer.from([0x00, 0x00, 0x01, 0xb3]);

describe('live video from a real ffmpeg over a real WebSocket', () => {
  let live: LiveVideoServer;
  let server: Server;
  let port: number;

  beforeAll(async () => {
    const clip = await demoClip();
    const deps = { clock: systemClock, log: silentLogger };
    live = new LiveVideoServer(
      liveStreams(
        [{ laneId: 'lane-1', url: pathToFileURL(clip.path).href, width: 1280, height: 720, loop: true }],
        deps,
      ),
      deps,
    );
    server = createServer();
    server.on('upgrade', (req, socket, head) => live.handleUpgrade(req, socket, head, 'lane-1', 'session-1'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    await live?.stop();
    server?.closeAllConnections();
    await new Promise<void>((resolve) => server?.close(() => resolve()));
  });

  it('streams MPEG-TS packets of MPEG-1 video, and ends ffmpeg when the viewer leaves', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/api/lanes/lane-1/video`);
    const messages: Buffer[] = [];
    ws.on('message', (data) => messages.push(data as Buffer));
    await new Promise<void>((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });

    const received = () => Buffer.concat(messages);
    // A second of video at 1000 kbit/s is well over 20 kB; a sequence header comes with each GOP.
    await waitFor(() => received().length >= 20_000 && received().includes(SEQUENCE_HEADER), 20_000, 'MPEG-TS bytes');
    const ffmpegPids = ffmpegChildrenOf(process.pid).map((p) => p.pid);
    expect(ffmpegPids).toHaveLength(1);
    expect(live.stats().lanes[0]).toMatchObject({ viewers: 1, ffmpegRunning: true, restarts: 0 });

    const bytes = received();
    expect(bytes.length % TS_PACKET).toBe(0);
    for (const message of messages) expect(message[0]).toBe(0x47);
    for (let offset = 0; offset < bytes.length; offset += TS_PACKET) {
      if (bytes[offset] !== 0x47) throw new Error(`no sync byte at ${offset}`);
    }

    ws.close();
    await waitFor(() => inGroups(ffmpegPids).length === 0, 5_000, 'ffmpeg gone');
    expect(ffmpegChildrenOf(process.pid)).toEqual([]);
    expect(live.stats().lanes[0]).toMatchObject({ viewers: 0, ffmpegRunning: false });
  });
});
