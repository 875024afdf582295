import { createServer, type AddressInfo } from 'node:net';
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtCli, demoClip, type DemoVehicle } from '../helpers/demo-clip.js';
import { ffmpegChildrenOf, inGroups, waitFor } from '../helpers/processes.js';

// The commands as a user runs them: the built CLI in a child process, on the demo clip.
const execFileP = promisify(execFile);

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runCli(args: string[], timeoutMs = 120_000): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [builtCli(), ...args], { timeout: timeoutMs }, (err, stdout, stderr) => {
      const code = err ? ((err as { code?: number }).code ?? null) : 0;
      resolve({ code: typeof code === 'number' ? code : null, stdout, stderr });
    });
  });
}

let dir: string;
let clip: string;
let vehicles: DemoVehicle[];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'smartgate-cli-'));
  ({ path: clip, vehicles } = await demoClip());
  await demoClip('exit'); // the demo's lane-2
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A still of the demo clip at `seconds` (PNG), optionally cropped to `box`. */
async function still(
  name: string,
  seconds: number,
  box?: { x: number; y: number; w: number; h: number },
): Promise<string> {
  const out = join(dir, name);
  const crop = box ? ['-vf', `crop=${box.w}:${box.h}:${box.x}:${box.y}`] : [];
  await execFileP('/usr/bin/ffmpeg', [
    '-hide_banner',
    '-loglevel',
    'error',
    '-ss',
    String(seconds),
    '-i',
    clip,
    '-frames:v',
    '1',
    ...crop,
    '-y',
    out,
  ]);
  return out;
}

describe('smartgate recognize', () => {
  it('prints one JSON line per image, in order, in the form the scorer reads', async () => {
    const first = vehicles[0]!; // a Vietnamese one-row plate
    const second = vehicles[1]!; // a Vietnamese two-row motorbike plate
    const a = await still('a.png', 3);
    const b = await still('b.png', 6.5);
    const missing = join(dir, 'missing.png');
    const { code, stdout } = await runCli(['recognize', '--jsonl', a, missing, b]);
    expect(code).toBe(1); // one image failed
    const lines = stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.image)).toEqual([a, missing, b]);
    expect(lines[0].plates[0]).toMatchObject({
      text: first.plate!.text,
      display: first.plate!.display,
      country: 'VN',
      kind: 'car',
    });
    expect(lines[0].plates[0].box).toHaveLength(4);
    expect(lines[0].plates[0].confidence).toBeGreaterThan(0.6);
    expect(typeof lines[0].ms).toBe('number');
    expect(lines[1]).toMatchObject({ plates: [], error: expect.stringMatching(/missing|exist/i) });
    expect(lines[2].plates[0]).toMatchObject({ text: second.plate!.text, display: '59-P1 664.80', kind: 'motorbike' });
  });

  it('reads a plate crop with --plate-crops', async () => {
    const vehicle = vehicles[2]!; // a Chinese one-row plate
    const crop = await still('crop.png', 13, { x: 517, y: 542, w: 250, h: 69 });
    const { code, stdout } = await runCli(['recognize', '--jsonl', '--plate-crops', crop]);
    expect(code).toBe(0);
    expect(JSON.parse(stdout).plates[0]).toMatchObject({
      text: vehicle.plate!.text,
      display: '云A·12345',
      country: 'CN',
    });
  });

  it('refuses bad options with the option named and exit 2', async () => {
    const { code, stderr } = await runCli(['recognize', '--countries', 'VN,US', 'x.png']);
    expect(code).toBe(2);
    expect(stderr).toContain('--countries: unknown country US');
  });
});

describe('smartgate run', () => {
  it('refuses to start on a bad config, naming every problem, with exit 2', async () => {
    const file = join(dir, 'bad.yaml');
    await writeFile(
      file,
      'site: { id: t, name: T }\nlanes:\n  - { id: a, direction: entry, camera: { url: "http://cam/1" }, speed: 3 }\n',
    );
    const { code, stderr } = await runCli(['run', '--config', file]);
    expect(code).toBe(2);
    expect(stderr).toContain('lanes[0].camera.url: expected rtsp://, rtsps:// or file:');
    expect(stderr).toContain('lanes[0]: unknown key "speed"');
  });

  it("refuses to start when the page's port is taken, naming http.port, with exit 2 and no stack trace", async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as AddressInfo).port;
    const file = join(dir, 'port-taken.yaml');
    await writeFile(
      file,
      `site: { id: test, name: Test gate }\ndataDir: ${JSON.stringify(join(dir, 'data-port'))}\nhttp: { port: ${port} }\nlanes:\n  - { id: a, direction: entry, camera: { url: ${JSON.stringify(pathToFileURL(clip).href)} } }\n`,
    );
    try {
      const { code, stderr } = await runCli(['run', '--config', file]);
      expect(code).toBe(2);
      expect(stderr).toContain(`http.port: ${port} on 127.0.0.1 is in use`);
      expect(stderr).not.toContain('    at ');
    } finally {
      taken.close();
    }
  });

  it('runs a lane, logs voted reads as JSON, and on SIGTERM ends its ffmpeg and exits 0', async () => {
    const file = join(dir, 'gate.yaml');
    await writeFile(
      file,
      [
        'site: { id: test, name: Test gate }',
        `dataDir: ${JSON.stringify(join(dir, 'data'))}`,
        // A free port: another test's page may hold the default 8080.
        'http: { port: 0 }',
        'lanes:',
        `  - id: lane-1`,
        `    direction: entry`,
        `    camera: { url: ${JSON.stringify(pathToFileURL(clip).href)}, fps: 5 }`,
        `    roi: { x: 240, y: 280, w: 800, h: 440 }`,
      ].join('\n') + '\n',
    );
    const child = spawn(process.execPath, [builtCli(), 'run', '--config', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const ffmpegPids = new Set<number>();
    try {
      await waitFor(
        () => {
          ffmpegChildrenOf(child.pid!).forEach((p) => ffmpegPids.add(p.pid));
          return stderr.includes('"event":"plate.read"');
        },
        60_000,
        'a plate.read log line',
      );
      const line = JSON.parse(stderr.split('\n').find((l) => l.includes('"event":"plate.read"'))!);
      expect(line).toMatchObject({ app: 'smartgate', lane: 'lane-1', text: vehicles[0]!.plate!.text, valid: true });
      expect(ffmpegPids.size).toBe(1);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(stderr).toContain('"msg":"stopped"');
    expect(inGroups([...ffmpegPids])).toEqual([]); // nothing orphaned
  });
});

describe('smartgate demo', () => {
  it('prints voted reads of the demo clip and stops after --seconds', async () => {
    const { code, stdout } = await runCli([
      'demo',
      '--seconds',
      '12',
      '--data-dir',
      join(dir, 'demo'),
      '--http-port',
      '0',
    ]);
    expect(code).toBe(0);
    expect(stdout).toContain('lane-1  29C-123.45     VN car');
    expect(stdout).toContain('59-P1 664.80   VN motorbike');
    // Decided from the demo's lists (src/demo/demo-lists.ts): both are allowed.
    expect(stdout).toContain('→ OPEN allowed: 29C12345 is allowed (permit)');
    // The motorbike is allowed too; on a loaded machine its read can come while the car's boom
    // is still up, and the lane then holds it as lane-busy, saying the lists allow it.
    expect(stdout).toContain('59P166480 is allowed (local)');
    // The simulated barrier opens for them, and the simulated loop sees them pass.
    expect(stdout).toMatch(/barrier: open \(open limit after \d+\.\d s\)/);
    expect(stdout).toMatch(/29C12345: passed after \d+\.\d s/);
  });

  it('leaves records smartgate verify passes, and names an event whose payload was then changed', async () => {
    const data = join(dir, 'demo-evidence');
    const demo = await runCli(['demo', '--seconds', '12', '--data-dir', data, '--http-port', '0']);
    expect(demo.code, demo.stderr).toBe(0);
    const clean = await runCli(['verify', '--data-dir', data, '--json']);
    expect(clean.code, clean.stdout + clean.stderr).toBe(0);
    // Signed at start and at shutdown, at least; and the decisions' frames are in the chain.
    const counts = (JSON.parse(clean.stdout) as { counts: { events: number; checkpoints: number; frames: number } })
      .counts;
    expect(counts.checkpoints).toBeGreaterThanOrEqual(2);
    expect(counts.frames).toBeGreaterThanOrEqual(1);

    // Someone with the disk rewrites a decision's plate in SQLite.
    const db = new BetterSqlite3(join(data, 'smartgate.db'));
    const { event_id: changed } = db
      .prepare(`SELECT event_id FROM events WHERE type = 'decision' ORDER BY seq LIMIT 1`)
      .get() as { event_id: string };
    db.prepare(`UPDATE events SET payload = json_set(payload, '$.plate.text', '29C99999') WHERE event_id = ?`).run(
      changed,
    );
    db.close();
    const tampered = await runCli(['verify', '--data-dir', data]);
    expect(tampered.code).toBe(1);
    expect(tampered.stdout + tampered.stderr).toContain(changed);
  });

  it('refuses bad options, naming each', async () => {
    const { code, stderr } = await runCli([
      'demo',
      '--http-port',
      'eighty',
      '--mqtt-url',
      'http://x',
      '--exit-clip',
      join(dir, 'no-such-clip.mp4'),
    ]);
    expect(code).toBe(2);
    expect(stderr).toContain('--http-port: expected a port number');
    expect(stderr).toContain('--mqtt-url: expected mqtt://');
    expect(stderr).toContain(`--exit-clip: ${join(dir, 'no-such-clip.mp4')} not found`);
  });
});
