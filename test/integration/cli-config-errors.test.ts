import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtCli } from '../helpers/demo-clip.js';

// Issue 20, item 13, as an operator meets it: `check-config` and `run` on a config with a
// mistyped password, and on an alias bomb, exit 2 with one line per problem and no stack trace.

const BASE = `site: { id: mlt-kth, name: Gate }
lanes:
  - id: entry-1
    direction: entry
    camera: { url: rtsp://192.168.10.21:554/1 }
`;
const BOMB = [
  'a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]',
  ...'bcdefghi'.split('').map((n, i) => `${n}: &${n} [${Array(9).fill(`*${'abcdefghi'[i]}`).join(', ')}]`),
].join('\n');

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'smartgate-config-errors-'));
  await writeFile(join(dir, 'password.yaml'), `${BASE}mqtt: { url: mqtt://127.0.0.1:1883, password: 12345678901 }\n`);
  await writeFile(join(dir, 'bomb.yaml'), `${BASE}${BOMB}\n`);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [builtCli(), ...args], { timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (err as { code?: number }).code : 0;
      resolve({ code: typeof code === 'number' ? code : null, stdout, stderr });
    });
  });
}

describe.each([
  ['check-config', (file: string) => ['check-config', file]],
  ['run', (file: string) => ['run', '--config', file]],
])('smartgate %s on a bad config', (_name, args) => {
  it('names the password field and its type, never its value', async () => {
    const run = await runCli(args(join(dir, 'password.yaml')));
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('mqtt.password: expected a string, got a number');
    expect(run.stderr + run.stdout).not.toContain('12345678901');
  });

  it('refuses an alias bomb as a config error, exit 2, without a stack trace', async () => {
    const run = await runCli(args(join(dir, 'bomb.yaml')));
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/bomb\.yaml: YAML cannot be read: its aliases \(\*name\) expand to too much data/);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});
