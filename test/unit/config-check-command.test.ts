import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { checkConfigCommand } from '../../src/cli/check-config.js';

const EXAMPLE = new URL('../../config/gate.example.yaml', import.meta.url).pathname;

/** Runs the command and captures what it writes. */
async function run(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (out.push(String(chunk)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => (err.push(String(chunk)), true));
  const code = await checkConfigCommand(args);
  vi.restoreAllMocks();
  return { code, stdout: out.join(''), stderr: err.join('') };
}

describe('smartgate check-config', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'smartgate-check-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('prints a one-line summary of a valid file and returns 0', async () => {
    const result = await run([EXAMPLE]);
    expect(result).toEqual({
      code: 0,
      stdout: `${EXAMPLE}: ok, site mlt-kth (Ma Lù Thàng – Kim Thủy Hà), 2 lanes: entry-1 entry, exit-1 exit\n`,
      stderr: '',
    });
  });

  it('prints every problem, one per line on stderr, and returns 2', async () => {
    const path = join(dir, 'bad.yaml');
    await writeFile(
      path,
      `site: { id: s, name: S }
lanes:
  - { id: a, direction: entry, camera: { url: "rtsp://10.0.0.1/1", fsp: 5 } }
  - { id: a, direction: exit, camera: { url: "http://10.0.0.2/1" } }
`,
    );
    const result = await run([path]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr.split('\n')).toEqual([
      'lanes[0].camera: unknown key "fsp"',
      'lanes[1].camera.url: expected rtsp://, rtsps:// or file:',
      'lanes[1].id: duplicate lane id "a" (also used by lanes[0])',
      '',
    ]);
  });

  it('prints warnings for valid but unsafe settings on stderr, and still returns 0', async () => {
    const path = join(dir, 'unsafe.yaml');
    await writeFile(
      path,
      `site: { id: s, name: S }
http: { host: 0.0.0.0 }
mqtt: { url: "mqtt://central.example.vn:1883", tls: { rejectUnauthorized: false } }
lanes: [{ id: a, direction: entry, camera: { url: "rtsp://10.0.0.1/1" } }]
`,
    );
    const result = await run([path]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`${path}: ok, site s (S), 1 lane: a entry\n`);
    expect(result.stderr.split('\n').map((line) => line.split(':').slice(0, 2).join(':'))).toEqual([
      'warning: http.host',
      'warning: mqtt.url',
      'warning: mqtt.tls.rejectUnauthorized',
      'warning: mqtt.central.keys',
      '',
    ]);
  });

  it('reports a missing file', async () => {
    const path = join(dir, 'nope.yaml');
    expect(await run([path])).toEqual({ code: 2, stdout: '', stderr: `${path}: file not found\n` });
  });

  it.each([[[]], [['a.yaml', 'b.yaml']], [['--strict']]])('prints usage for %j and returns 2', async (args) => {
    expect(await run(args)).toEqual({ code: 2, stdout: '', stderr: 'usage: smartgate check-config FILE\n' });
  });

  it('prints usage on --help and returns 0', async () => {
    expect(await run(['--help'])).toEqual({ code: 0, stdout: 'usage: smartgate check-config FILE\n', stderr: '' });
  });
});
