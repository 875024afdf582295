import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemdNotify } from '../../src/cli/service-notify.js';
import { builtCli } from '../helpers/demo-clip.js';
import { waitFor } from '../helpers/processes.js';

// The daemon's notifications through the real systemd-notify, to a stand-in for systemd's socket
// (PID 1 here is not systemd): the messages arrive, and systemd-notify's wait for systemd to have
// read them (its BARRIER=1) completes.
const LISTENER = fileURLToPath(new URL('../helpers/notify-socket.py', import.meta.url));

let dir: string;
let listener: ChildProcessWithoutNullStreams;
let lines: string[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'smartgate-notify-'));
  listener = spawn('python3', [LISTENER, join(dir, 'notify')]);
  listener.stdout.setEncoding('utf8').on('data', (chunk: string) => lines.push(...chunk.split('\n').filter(Boolean)));
  await waitFor(() => lines.includes('listening'), 10_000, 'the socket listening');
});

afterAll(async () => {
  listener?.stdin.end();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('notifications to systemd, through systemd-notify', () => {
  it('sends READY=1, then WATCHDOG=1, each confirmed by a barrier', async () => {
    lines = [];
    const notify = systemdNotify({ ...process.env, NOTIFY_SOCKET: join(dir, 'notify') });
    await notify('READY=1');
    await notify('WATCHDOG=1');
    await waitFor(() => lines.length >= 4, 10_000, 'four messages');
    expect(lines).toEqual(['READY=1', 'BARRIER=1', 'WATCHDOG=1', 'BARRIER=1']);
  });

  it('fails, saying why, when nothing listens on the socket', async () => {
    const notify = systemdNotify({ ...process.env, NOTIFY_SOCKET: join(dir, 'nobody') });
    await expect(notify('WATCHDOG=1')).rejects.toThrow(/systemd-notify WATCHDOG=1: exit 1/);
  });

  it('the daemon says READY=1 once up and then pings, until SIGTERM stops it cleanly', async () => {
    lines = [];
    const config = join(dir, 'gate.yaml');
    await writeFile(
      config,
      `site: { id: notify-test, name: Notify test }
dataDir: ${join(dir, 'data')}
http: { enabled: false }
lanes:
  - id: entry-1
    direction: entry
    camera: { url: "rtsp://127.0.0.1:9/none" }
    barrier: { driver: simulator }
`,
    );
    // As systemd starts it with WatchdogSec=1.5s: a ping every 0.5 s.
    const env = { ...process.env, NOTIFY_SOCKET: join(dir, 'notify'), WATCHDOG_USEC: '1500000' };
    const daemon = spawn(process.execPath, [builtCli(), 'run', '--config', config], { env, stdio: 'ignore' });
    const exited = new Promise<number | null>((resolve) => daemon.on('exit', (code) => resolve(code)));
    try {
      await waitFor(() => lines.filter((l) => l === 'WATCHDOG=1').length >= 2, 60_000, 'two watchdog pings');
      expect(lines.slice(0, 2)).toEqual(['READY=1', 'BARRIER=1']);
    } finally {
      daemon.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });
});
