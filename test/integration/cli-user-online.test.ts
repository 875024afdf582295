import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freeLoopbackPort } from '../../src/core/loopback.js';
import { parseWireEvent, type WireEvent } from '../../src/uplink/contract.js';
import { builtCli, demoClip } from '../helpers/demo-clip.js';
import { waitFor } from '../helpers/processes.js';

// Issue 26: "`smartgate user add` succeeds while `npm run demo` is running on the same data
// directory". A real `smartgate demo` (its page and embedded broker, central subscribed), and
// the built CLI beside it: the page takes each change at once, and the chain stays whole.

const USER = 'tran.thi.b';
const FIRST = 'a long passphrase';
const SECOND = 'another long passphrase';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[], stdin = ''): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [builtCli(), ...args], { timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? ((err as { code?: number }).code ?? null) : 0;
      resolve({ code: typeof code === 'number' ? code : null, stdout, stderr });
    });
    child.stdin!.end(stdin);
  });
}

let dir: string;
let dataDir: string;
let demo: ChildProcess;
let demoExited: Promise<number | null>;
const stdoutLines: string[] = [];
const stderrTail: string[] = [];
let pageUrl: string;
let central: MqttClient;
const published: WireEvent[] = [];

beforeAll(async () => {
  await demoClip();
  dir = mkdtempSync(join(tmpdir(), 'smartgate-user-online-'));
  dataDir = join(dir, 'data');
  const port = await freeLoopbackPort();
  demo = spawn(
    process.execPath,
    [builtCli(), 'demo', '--data-dir', dataDir, '--http-port', String(port), '--seconds', '240'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  demoExited = new Promise((resolve) => demo.once('exit', (code) => resolve(code)));
  let buffered = '';
  demo.stdout!.on('data', (d: Buffer) => {
    buffered += d.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    stdoutLines.push(...lines);
  });
  demo.stderr!.on('data', (d: Buffer) => {
    stderrTail.push(d.toString());
    if (stderrTail.length > 20) stderrTail.shift();
  });
  await waitFor(
    () => stdoutLines.some((l) => l.startsWith('status page: ')) || demo.exitCode !== null,
    60_000,
    'the demo to serve its page',
  );
  if (demo.exitCode !== null) throw new Error(`the demo exited: ${stderrTail.join('')}`);
  pageUrl = stdoutLines
    .find((l) => l.startsWith('status page: '))!
    .slice('status page: '.length)
    .replace(/\/$/, '');
  const brokerUrl = /(mqtt:\/\/127\.0\.0\.1:\d+)/.exec(stdoutLines.find((l) => l.startsWith("central's broker"))!)![1]!;
  central = await mqtt.connectAsync(brokerUrl, {
    protocolVersion: 5,
    reconnectPeriod: 0,
    username: 'central',
    password: readFileSync(join(dataDir, 'broker', 'central.password'), 'utf8').trim(),
  });
  central.on('message', (_topic, payload) => {
    const parsed = parseWireEvent(payload);
    if ('event' in parsed) published.push(parsed.event);
  });
  await central.subscribeAsync('smartgate/v1/demo/+/events', { qos: 1 });
  // The daemon has recorded events (the site of the CLI's is known) and its uplink sends them.
  await waitFor(() => published.length > 0, 60_000, "the daemon's first event at central");
}, 120_000);

afterAll(async () => {
  await central?.endAsync();
  if (demo && demo.exitCode === null) {
    demo.kill('SIGTERM');
    await demoExited;
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Login {
  status: number;
  cookie?: string;
}

async function login(password: string): Promise<Login> {
  const res = await fetch(`${pageUrl}/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: USER, password }),
  });
  await res.body?.cancel();
  const cookie = res.headers.get('set-cookie')?.split(';')[0];
  return { status: res.status, ...(cookie && { cookie }) };
}

async function sessionStatus(cookie: string): Promise<number> {
  const res = await fetch(`${pageUrl}/api/session`, { headers: { cookie } });
  await res.body?.cancel();
  return res.status;
}

const authAtCentral = (action: string) =>
  published.find((e) => e.type === 'auth' && e.payload.action === action && e.payload.source === 'cli');

describe('smartgate user while the daemon runs', () => {
  it('adds an account the page logs in with at once, and central gets the auth event', async () => {
    const add = await cli(
      ['user', 'add', '--data-dir', dataDir, '--username', USER, '--role', 'operator', '--password-stdin'],
      `${FIRST}\n`,
    );
    expect(add).toMatchObject({ code: 0, stderr: '' });
    expect(add.stdout).toBe(`added ${USER} (operator): the page takes it at once\n`);
    const first = await login(FIRST);
    expect(first.status).toBe(200);
    expect(await sessionStatus(first.cookie!)).toBe(200);
    // Recorded by the CLI, forwarded by the daemon's uplink (at the latest at its next safety wake-up).
    await waitFor(() => authAtCentral('user-added') !== undefined, 30_000, 'the user-added event at central');
    expect(authAtCentral('user-added')).toMatchObject({
      siteId: 'demo',
      laneId: 'gate',
      payload: { action: 'user-added', username: USER, role: 'operator', source: 'cli' },
    });
  });

  it('passwd ends the sessions of the old password; remove ends the account and its sessions', async () => {
    const before = await login(FIRST);
    expect(before.status).toBe(200);
    const passwd = await cli(
      ['user', 'passwd', '--data-dir', dataDir, '--username', USER, '--password-stdin'],
      `${SECOND}\n`,
    );
    expect(passwd.code).toBe(0);
    expect(passwd.stdout).toContain(`The running daemon ends the page sessions of ${USER}`);
    expect(await sessionStatus(before.cookie!)).toBe(401);
    expect((await login(FIRST)).status).toBe(401);
    const after = await login(SECOND);
    expect(after.status).toBe(200);
    expect(await sessionStatus(after.cookie!)).toBe(200);

    const remove = await cli(['user', 'remove', '--data-dir', dataDir, '--username', USER]);
    expect(remove.code).toBe(0);
    expect(await sessionStatus(after.cookie!)).toBe(401);
    expect((await login(SECOND)).status).toBe(401);
    const list = await cli(['user', 'list', '--data-dir', dataDir]);
    expect(list.stdout).toBe('no users yet: create one with smartgate user add\n');
    await waitFor(() => authAtCentral('user-removed') !== undefined, 30_000, 'the user-removed event at central');
  });

  it('refuses a store whose schema is not this smartgate version, while the daemon holds it', async () => {
    // As if the running daemon were of a newer smartgate.
    const db = new BetterSqlite3(join(dataDir, 'smartgate.db'), { timeout: 5000 });
    const insert = () =>
      db
        .prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (1000, 'a newer smartgate', 0)")
        .run();
    try {
      insert();
      const add = await cli(
        ['user', 'add', '--data-dir', dataDir, '--username', 'le.van.c', '--role', 'viewer', '--password-stdin'],
        `${FIRST}\n`,
      );
      expect(add.code).toBe(1);
      expect(add.stderr).toContain('has schema version 1000, but this smartgate writes version');
      expect(add.stderr).toContain('nothing was changed');
    } finally {
      db.prepare('DELETE FROM schema_migrations WHERE version = 1000').run();
      db.close();
    }
    expect((await cli(['user', 'list', '--data-dir', dataDir])).stdout).not.toContain('le.van.c');
  });

  it('leaves a chain that verifies, while the daemon runs and after it stopped', async () => {
    const running = await cli(['verify', '--data-dir', dataDir]);
    expect(running.code, running.stdout + running.stderr).toBe(0);
    demo.kill('SIGTERM');
    expect(await demoExited).toBe(0);
    const stopped = await cli(['verify', '--data-dir', dataDir]);
    expect(stopped.code, stopped.stdout + stopped.stderr).toBe(0);
    const db = new BetterSqlite3(join(dataDir, 'smartgate.db'), { readonly: true });
    try {
      const auth = db
        .prepare("SELECT json_extract(payload, '$.action') AS action FROM events WHERE type = 'auth' ORDER BY seq")
        .all() as { action: string }[];
      expect(auth.map((a) => a.action).filter((a) => a.startsWith('user-') || a === 'password-changed')).toEqual([
        'user-added',
        'password-changed',
        'user-removed',
      ]);
    } finally {
      db.close();
    }
  });
});
