import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { acceptsLoopback, freeLoopbackPort as freePort } from '../../src/core/loopback.js';

const SCRIPT = fileURLToPath(new URL('./rtsp-server.py', import.meta.url));
// Debian's python has the GStreamer bindings (python3-gi); a pyenv `python3` on PATH may not.
const PYTHON = '/usr/bin/python3';

export interface RtspServer {
  url: string;
  port: number;
  pid: number;
  /** Ends the server (SIGKILL to simulate a camera dropping off the network) and waits for it. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/**
 * Serves `clipPath` (H.264 .mp4), looping, at rtsp://127.0.0.1:PORT/lane. Resolves once the port
 * accepts connections; rejects if the server dies first or is not up within `timeoutMs`.
 */
export async function startRtspServer(clipPath: string, port?: number, timeoutMs = 20_000): Promise<RtspServer> {
  const usePort = port ?? (await freePort());
  const child = spawn(PYTHON, [SCRIPT, clipPath, String(usePort)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4_000)));
  // The script prints its URL once it is listening: so a port someone else grabbed in the
  // meantime is not mistaken for ours.
  let stdout = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const server: RtspServer = {
    url: `rtsp://127.0.0.1:${usePort}/lane`,
    port: usePort,
    pid: child.pid ?? -1,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited(child);
    },
  };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`RTSP server exited (${child.exitCode ?? child.signalCode}): ${stderr.trim()}`);
    }
    if (stdout.includes(server.url) && (await acceptsLoopback(usePort))) return server;
    if (Date.now() > deadline) {
      await server.stop('SIGKILL');
      throw new Error(`RTSP server not listening on ${usePort} after ${timeoutMs} ms: ${stderr.trim()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
