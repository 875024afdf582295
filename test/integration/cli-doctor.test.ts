import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { createServer, type AddressInfo } from 'node:net';
import { SerialPort } from 'serialport';
import { cameraCheck } from '../../src/doctor/checks/camera.js';
import { configSchema } from '../../src/config/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/core/clock.js';
import { judgeRuntime } from '../../src/doctor/checks/runtime.js';
import { silentLogger } from '../../src/core/log.js';
import { ModbusRelaySimulator } from '../../src/barrier/modbus-simulator.js';
import { runCommand, type CliRun } from '../helpers/cli-run.js';
import { builtCli, demoClip } from '../helpers/demo-clip.js';
import { ModbusSimulatorPort } from '../helpers/modbus-simulator-port.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { PtyPair } from '../helpers/pty-pair.js';
import { startRtspServer, type RtspServer } from '../helpers/rtsp-server.js';
import { makeCa, makeTestPki, type TestPki } from '../helpers/test-pki.js';
import { freeLoopbackPort } from '../../src/core/loopback.js';

// Issue 26, item 2: `smartgate doctor` against real parts: a GStreamer RTSP server playing the
// demo clip, a Mosquitto with TLS and passwords, a Modbus board simulator and an LCUS device
// on socat PTYs. The clock's NTP state comes from a timedatectl put first on PATH: the test
// machine's own sync is not the test's to decide.

const PASSWORD = 'gate-secret';
let dir: string;
let bin: string;
let pki: TestPki;
let broker: Mosquitto;
let rtsp: RtspServer;
let modbusPty: PtyPair;
let lcusPty: PtyPair;
let simPort: ModbusSimulatorPort;

function doctor(args: string[], ntp = 'yes'): Promise<CliRun> {
  // Through dist/cli/main.js's #! line, as the installed command starts it (its malloc is jemalloc),
  // on the Node.js running the tests.
  return runCommand(builtCli(), ['doctor', ...args], {
    // TMPDIR: the snapshot folder doctor makes without --snapshots goes in the test's own dir.
    env: { PATH: `${bin}:${dirname(process.execPath)}:${process.env.PATH}`, FAKE_NTP: ntp, TMPDIR: dir },
    timeoutMs: 90_000,
  });
}

interface Overrides {
  password?: string;
  brokerUrl?: string;
  ca?: string;
  cameraUrl?: string;
  modbusDevice?: string;
}

/** Writes a config of two lanes (Modbus and LCUS boards) and returns its path. */
async function config(name: string, o: Overrides = {}): Promise<string> {
  const lane = (id: string, barrier: object) => ({
    id,
    name: id,
    direction: id === 'lane-1' ? 'entry' : 'exit',
    camera: { url: id === 'lane-1' ? (o.cameraUrl ?? rtsp.url) : rtsp.url },
    roi: { x: 0, y: 0, w: 100, h: 100 },
    barrier,
  });
  const doc = {
    site: { id: 'site-a', name: 'Site A' },
    dataDir: join(dir, 'data'),
    store: { quotaMb: 50 },
    mqtt: {
      url: o.brokerUrl ?? `mqtts://127.0.0.1:${broker.port}`,
      username: 'site-a',
      password: o.password ?? PASSWORD,
      tls: { ca: o.ca ?? pki.ca.cert },
      central: {
        keys: [{ id: 'central-1', publicKey: 'MCowBQYDK2VwAyEAKrvoXa1rdPDwCmZuL0CjZcrTWM/1WB4HCPA3CsunShY=' }],
      },
    },
    lanes: [
      lane('lane-1', { driver: 'modbus', device: o.modbusDevice ?? modbusPty.a, address: 1 }),
      lane('lane-2', { driver: 'lcus', device: lcusPty.a }),
    ],
  };
  const path = join(dir, `${name}.yaml`);
  await writeFile(path, JSON.stringify(doc, null, 2)); // JSON is YAML
  return path;
}

const CHECKS = [
  'config',
  'runtime',
  'allocator',
  'models',
  'camera lane-1',
  'camera lane-2',
  'serial lane-1',
  'serial lane-2',
  'broker',
  'clock',
  'disk',
  'outbox',
];

/** Each report line's severity by check name. */
function severities(stdout: string): Record<string, string> {
  return Object.fromEntries([...stdout.matchAll(/^(ok|warn|fail) +([a-z][^:]*):/gm)].map((m) => [m[2]!, m[1]!]));
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'smartgate-doctor-'));
  bin = join(dir, 'bin');
  await mkdir(bin);
  await writeFile(join(bin, 'timedatectl'), '#!/bin/sh\necho "$FAKE_NTP"\n');
  await chmod(join(bin, 'timedatectl'), 0o755);
  pki = await makeTestPki(dir, []);
  const passwd = join(dir, 'passwd');
  await writeFile(passwd, '');
  await promisify(execFile)('mosquitto_passwd', ['-b', passwd, 'site-a', PASSWORD]);
  broker = await startMosquitto({
    extraConfig: [
      `cafile ${pki.ca.cert}`,
      `certfile ${pki.server.cert}`,
      `keyfile ${pki.server.key}`,
      'allow_anonymous false',
      `password_file ${passwd}`,
    ],
  });
  rtsp = await startRtspServer((await demoClip()).path);
  await mkdir(join(dir, 'modbus'));
  await mkdir(join(dir, 'lcus'));
  modbusPty = new PtyPair(join(dir, 'modbus'));
  await modbusPty.start();
  lcusPty = new PtyPair(join(dir, 'lcus'));
  await lcusPty.start();
  simPort = new ModbusSimulatorPort(modbusPty.b, new ModbusRelaySimulator({ clock: systemClock }), silentLogger);
  await simPort.start();
}, 60_000);

afterAll(async () => {
  await simPort?.stop();
  await modbusPty?.stop();
  await lcusPty?.stop();
  await rtsp?.stop();
  await broker?.dispose();
  await rm(dir, { recursive: true, force: true });
});

describe('smartgate doctor', () => {
  it('reports every check ok on a working site, with a snapshot of each camera, exit 0', async () => {
    const snapshots = join(dir, 'snapshots');
    const run = await doctor(['--config', await config('good'), '--snapshots', snapshots]);
    expect(run.stderr).toBe('');
    // The runtime is the Node.js running these tests: ok on a maintained LTS, a warning on Node.js
    // 20 (past its end of life, still run by npm test on a machine that has it); table-tested in
    // doctor-runtime.test.ts.
    const runtime = judgeRuntime('runtime', { version: process.version, lts: process.release.lts }, new Date());
    expect(run.stdout).toContain(`${runtime.severity.padEnd(5)}runtime: ${runtime.detail}\n`);
    expect(severities(run.stdout)).toEqual(
      Object.fromEntries(CHECKS.map((c) => [c, c === 'runtime' ? runtime.severity : 'ok'])),
    );
    expect(run.stdout).toMatch(/^ok {3}camera lane-1: \d+x\d+ frame.* in [\d.]+ s, snapshot .*lane-1\.jpg$/m);
    expect(run.stdout).toMatch(/^ok {3}serial lane-1: .* the Modbus board at address 1 answers$/m);
    expect(run.stdout).toMatch(/^ok {3}broker: mqtts:\/\/127\.0\.0\.1:\d+: logged in as site-a/m);
    const warned = runtime.severity === 'warn' ? 1 : 0;
    expect(run.stdout).toContain(`12 checks: ${12 - warned} ok, ${warned} warn, 0 fail`);
    expect(existsSync(join(snapshots, 'lane-1.jpg'))).toBe(true);
    expect(existsSync(join(snapshots, 'lane-2.jpg'))).toBe(true);
    expect(run.code).toBe(warned ? 1 : 0);
  }, 120_000);

  it('fails the broker on a wrong password, saying what to correct, exit 3', async () => {
    const run = await doctor(['--config', await config('bad-password', { password: 'wrong' })]);
    expect(severities(run.stdout).broker).toBe('fail');
    expect(run.stdout).toMatch(
      /^fail broker: mqtts:\/\/127\.0\.0\.1:\d+: the broker refused the login as site-a: not authorized$/m,
    );
    expect(run.stdout).toContain('fix: correct mqtt.username and mqtt.password');
    expect(run.code).toBe(3);
  }, 120_000);

  it('fails the broker on a certificate its CA does not sign, and on a port nothing serves, saying what to correct', async () => {
    const other = await makeCa(dir, 'other-ca');
    const wrongCa = await doctor(['--config', await config('wrong-ca', { ca: other.cert }), '--json']);
    const tls = (JSON.parse(wrongCa.stdout) as { checks: { name: string }[] }).checks.find((c) => c.name === 'broker');
    expect(tls).toMatchObject({
      severity: 'fail',
      detail: expect.stringMatching(/^mqtts:\/\/127\.0\.0\.1:\d+: TLS: /),
      fix: expect.stringContaining('mqtt.tls.ca'),
    });
    const closed = `mqtts://127.0.0.1:${await freeLoopbackPort()}`;
    const refused = await doctor(['--config', await config('refused', { brokerUrl: closed })]);
    expect(refused.stdout).toContain(
      `fail broker: ${closed}: connection refused\n     fix: check the host and port in mqtt.url`,
    );
    expect(refused.code).toBe(3);
  }, 120_000);

  it('fails a camera nothing serves and a serial device that is not there; the rest still ok', async () => {
    const nothing = `rtsp://127.0.0.1:${await freeLoopbackPort()}/lane`;
    const run = await doctor([
      '--config',
      await config('broken', { cameraUrl: nothing, modbusDevice: join(dir, 'no-such-device') }),
      '--json',
    ]);
    const report = JSON.parse(run.stdout) as {
      exitCode: number;
      checks: { name: string; severity: string; detail: string; fix: string }[];
    };
    const byName = Object.fromEntries(report.checks.map((c) => [c.name, c]));
    expect(report.checks.map((c) => c.name)).toEqual(CHECKS);
    expect(byName['camera lane-1']).toMatchObject({ severity: 'fail', detail: expect.stringContaining(nothing) });
    expect(byName['camera lane-1']!.fix).toMatch(/camera\.url/);
    expect(byName['serial lane-1']).toMatchObject({
      severity: 'fail',
      detail: `${join(dir, 'no-such-device')}: no such device`,
      fix: expect.stringContaining('lanes[lane-1].barrier.device'),
    });
    expect(byName['camera lane-2']!.severity).toBe('ok');
    expect(byName['broker']!.severity).toBe('ok');
    expect(report.exitCode).toBe(3);
    expect(run.code).toBe(3);
  }, 120_000);

  it('fails a Modbus board that does not answer, and warns of a port another program holds', async () => {
    const silent = new PtyPair(join(dir, 'silent'));
    await mkdir(silent.dir);
    await silent.start();
    // What a running daemon does to its board's port: holds it, locked.
    const holder = new SerialPort({ path: lcusPty.a, baudRate: 9600, autoOpen: false });
    await new Promise<void>((resolve, reject) => holder.open((err) => (err ? reject(err) : resolve())));
    try {
      const run = await doctor(['--config', await config('silent', { modbusDevice: silent.a })]);
      expect(run.stdout).toMatch(/^fail serial lane-1: .* no answer from Modbus address 1 at 9600 baud/m);
      expect(run.stdout).toContain("fix: check the board's power, the A/B wires");
      expect(run.stdout).toMatch(/^warn serial lane-2: .*in use by another program$/m);
      expect(run.code).toBe(3);
    } finally {
      await new Promise<void>((resolve) => holder.close(() => resolve()));
      await silent.stop();
    }
  }, 120_000);

  it('fails a camera that accepts the connection and never answers, within its own limit', async () => {
    const server = createServer(() => {}); // holds every connection, says nothing
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    try {
      const config = configSchema.parse({
        site: { id: 'site-a', name: 'A' },
        lanes: [
          {
            id: 'lane-9',
            name: 'L',
            direction: 'entry',
            camera: { url: `rtsp://127.0.0.1:${port}/lane` },
            roi: { x: 0, y: 0, w: 10, h: 10 },
          },
        ],
      });
      const check = cameraCheck(config.lanes[0]!);
      const result = await check.run({
        config,
        configPath: 'gate.yaml',
        snapshotDir: dir,
        signal: new AbortController().signal,
      });
      expect(result).toMatchObject({
        name: 'camera lane-9',
        severity: 'fail',
        detail: `rtsp://127.0.0.1:${port}/lane: no frame: no frame within 15 s`,
        fix: expect.stringContaining('nothing answered'),
      });
    } finally {
      server.close();
    }
  }, 60_000);

  it('fails the clock when it is not synchronised', async () => {
    const run = await doctor(['--config', await config('no-ntp')], 'no');
    expect(run.stdout).toMatch(/^fail clock: not synchronised by NTP/m);
    expect(run.code).toBe(3);
  }, 120_000);

  it('refuses bad options with the usage, exit 2, apart from any verdict', async () => {
    expect(await doctor([])).toMatchObject({
      code: 2,
      stdout: '',
      stderr: expect.stringContaining('--config is required'),
    });
    expect(await doctor(['--config', 'x', '--nope'])).toMatchObject({ code: 2, stdout: '' });
  });

  it('runs on the example config, reporting each check within its time limits; its devices are not here, exit 3', async () => {
    const run = await doctor(['--config', 'config/gate.example.yaml']);
    const found = severities(run.stdout);
    expect(Object.keys(found)).toEqual([
      'config',
      'runtime',
      'allocator',
      'models',
      'camera entry-1',
      'camera exit-1',
      'serial entry-1',
      'serial exit-1',
      'broker',
      'clock',
      'disk',
      'outbox',
    ]);
    expect(found).toMatchObject({ config: 'ok', models: 'ok', 'serial entry-1': 'fail', broker: 'fail' });
    expect(run.code).toBe(3);
  }, 120_000);
});
