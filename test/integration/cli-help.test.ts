import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { builtCli } from '../helpers/demo-clip.js';

// Issue 20, item 18: every command answers --help and -h with its usage on stdout, exit 0;
// an unknown option still gets the usage on stderr, exit 2. The commands are read from
// `smartgate --help`, so a new command is covered without editing this file.

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runCli(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [builtCli(), ...args], { timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (err as { code?: number }).code : 0;
      resolve({ code: typeof code === 'number' ? code : null, stdout, stderr });
    });
  });
}

async function commandNames(): Promise<string[]> {
  const { stdout } = await runCli(['--help']);
  const names = [...stdout.matchAll(/^ {2}([a-z-]+) /gm)].map((m) => m[1]!);
  expect(names).toEqual(
    expect.arrayContaining(['run', 'demo', 'recognize', 'tail', 'barrier', 'user', 'check-config']),
  );
  return names;
}

describe('smartgate COMMAND --help', () => {
  it.each(['--help', '-h'])(
    "prints each command's usage on stdout with %s, exit 0",
    async (flag) => {
      for (const name of await commandNames()) {
        const run = await runCli([name, flag]);
        expect({ name, ...run }).toMatchObject({
          name,
          code: 0,
          stderr: '',
          stdout: expect.stringMatching(new RegExp(`^usage: smartgate ${name}\\b`)),
        });
      }
    },
    120_000,
  );

  it('prints the usage for --help after other options too', async () => {
    const run = await runCli(['tail', '--mqtt-url', 'mqtt://127.0.0.1:1', '--help']);
    expect(run).toMatchObject({ code: 0, stdout: expect.stringMatching(/^usage: smartgate tail /) });
  });

  it('refuses an unknown option with the usage on stderr, exit 2', async () => {
    for (const name of await commandNames()) {
      const run = await runCli([name, '--no-such-option']);
      expect({ name, ...run }).toMatchObject({
        name,
        code: 2,
        stdout: '',
        stderr: expect.stringContaining(`usage: smartgate ${name}`),
      });
    }
  }, 120_000);

  it('prints the command list on stderr, exit 2, when no command is given', async () => {
    expect(await runCli([])).toMatchObject({
      code: 2,
      stdout: '',
      stderr: expect.stringContaining('usage: smartgate COMMAND'),
    });
  });

  // Issue 26, item 5: the version a technician reads is package.json's, the one MQTT and the
  // page show (test/integration/web-page.test.ts compares the three on a running demo).
  it('prints the version from package.json for --version and version, exit 0', async () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    for (const args of [['--version'], ['version']])
      expect({ args, ...(await runCli(args)) }).toEqual({ args, code: 0, stdout: `${pkg.version}\n`, stderr: '' });
    expect((await runCli(['--help'])).stdout).toContain('smartgate --version');
  });

  it('tail refuses both --password and --password-file, or a password file it cannot read, naming the option', async () => {
    const both = await runCli([
      'tail',
      '--mqtt-url',
      'mqtt://127.0.0.1:1',
      '--username',
      'central',
      '--password',
      'p',
      '--password-file',
      '/etc/hostname',
    ]);
    expect(both).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--password and --password-file: give one of them'),
    });
    const missing = await runCli([
      'tail',
      '--mqtt-url',
      'mqtt://127.0.0.1:1',
      '--username',
      'central',
      '--password-file',
      '/no/such/file',
    ]);
    expect(missing).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--password-file: cannot read /no/such/file: ENOENT'),
    });
  });
});
