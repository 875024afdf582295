import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, chown, cp, mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { runCommand, type CliRun } from './cli-run.js';

// A machine booted by the real systemd, for the installed unit: systemd-nspawn boots this
// computer's own /usr (read-only) under a root of the test's making, holding the installed
// release, a copy of this computer's /etc with no services enabled but smartgate, and its own
// network namespace (loopback only). Needs root and systemd-nspawn (systemd-container); PID 1 of
// the host need not be systemd.

/** Why a container cannot be booted here, or undefined when it can. */
export function whyNoContainer(): string | undefined {
  if (process.getuid?.() !== 0) return 'booting a container needs root';
  if (!existsSync('/usr/bin/systemd-nspawn')) return 'no systemd-nspawn (apt-get install systemd-container)';
  if (!existsSync('/usr/lib/systemd/systemd')) return 'no systemd';
  return undefined;
}

export interface BootOptions {
  /** An install root made by scripts/install.sh --root: its opt/ and etc/ are laid over the machine's. */
  installed: string;
  /** Where the machine's root is made (removed by dispose). */
  dir: string;
  /** Host directories mounted read-only in the machine: host path → path inside. */
  bindReadOnly?: Record<string, string>;
  /** Files written in the machine's root before it boots: path inside → content. */
  files?: Record<string, string>;
}

export class SystemdContainer {
  private nspawn: ChildProcess | undefined;
  private console = '';

  private constructor(
    private readonly root: string,
    private readonly name: string,
  ) {}

  /** Makes the machine's root and boots it; resolves once its systemd answers. */
  static async boot(options: BootOptions): Promise<SystemdContainer> {
    const root = join(options.dir, 'machine');
    await mkdir(root, { recursive: true });
    // Debian 12 merges /usr: /bin, /sbin and /lib are links into it.
    for (const [link, target] of [
      ['bin', 'usr/bin'],
      ['sbin', 'usr/sbin'],
      ['lib', 'usr/lib'],
      ['lib64', 'usr/lib64'],
    ] as const) {
      await symlink(target, join(root, link));
    }
    for (const d of ['usr', 'var/lib', 'var/log', 'var/tmp', 'tmp', 'run', 'root', 'srv', 'proc', 'sys', 'dev']) {
      await mkdir(join(root, d), { recursive: true });
    }
    await cp('/etc', join(root, 'etc'), { recursive: true, verbatimSymlinks: true });
    // nspawn looks for an OS before it mounts /usr: /etc/os-release links to usr/lib/os-release.
    await mkdir(join(root, 'usr/lib'), { recursive: true });
    await cp('/usr/lib/os-release', join(root, 'usr/lib/os-release'));
    // No service of this computer's starts in the machine: smartgate alone, as `systemctl enable` would.
    const wants = join(root, 'etc/systemd/system/multi-user.target.wants');
    await rm(wants, { recursive: true, force: true });
    await mkdir(wants);
    await symlink('/etc/systemd/system/smartgate.service', join(wants, 'smartgate.service'));
    // Nor do its SysV init scripts, which systemd would otherwise start in their runlevels.
    for (const runlevel of ['0', '1', '2', '3', '4', '5', '6', 'S']) {
      await rm(join(root, `etc/rc${runlevel}.d`), { recursive: true, force: true });
    }
    // A machine id of its own. Not none: a machine without one is booting for the first time, and
    // systemd would then enable every installed service by its presets.
    await writeFile(join(root, 'etc/machine-id'), `${randomBytes(16).toString('hex')}\n`);
    await cp(join(options.installed, 'opt'), join(root, 'opt'), { recursive: true, verbatimSymlinks: true });
    await cp(join(options.installed, 'etc/smartgate'), join(root, 'etc/smartgate'), { recursive: true });
    await cp(
      join(options.installed, 'etc/systemd/system/smartgate.service'),
      join(root, 'etc/systemd/system/smartgate.service'),
    );
    for (const [path, content] of Object.entries(options.files ?? {})) {
      await mkdir(dirname(join(root, path)), { recursive: true });
      await writeFile(join(root, path), content);
    }
    // The system user, as install.sh makes it on a real root.
    const user = await runCommand('useradd', [
      '--root',
      root,
      '--system',
      '--user-group',
      '--home-dir',
      '/var/lib/smartgate',
      '--no-create-home',
      '--shell',
      '/usr/sbin/nologin',
      'smartgate',
    ]);
    if (user.code !== 0) throw new Error(`useradd: ${user.stderr}`);
    // The daemon reads its config through its group, as install.sh sets it.
    const group = /^smartgate:[^:]*:(\d+):/m.exec(await readFile(join(root, 'etc/group'), 'utf8'));
    if (!group) throw new Error('useradd made no smartgate group');
    await chown(join(root, 'etc/smartgate/gate.yaml'), 0, Number(group[1]));
    await chmod(join(root, 'etc/smartgate/gate.yaml'), 0o640);

    const name = `sgtest-${process.pid}`;
    const machine = new SystemdContainer(root, name);
    const binds = Object.entries(options.bindReadOnly ?? {}).map(([from, to]) => `--bind-ro=${from}:${to}`);
    machine.nspawn = spawn(
      'systemd-nspawn',
      [
        '--quiet',
        '--directory',
        root,
        '--machine',
        name,
        '--register=no',
        '--keep-unit',
        '--private-network',
        '--bind-ro=/usr',
        ...binds,
        '--boot',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    machine.nspawn.stdout!.on('data', (chunk: Buffer) => (machine.console += chunk.toString()));
    machine.nspawn.stderr!.on('data', (chunk: Buffer) => (machine.console += chunk.toString()));
    await machine.waitFor(
      async () => (await machine.exec(['systemctl', 'is-system-running'])).stdout.trim() !== '',
      60_000,
    );
    return machine;
  }

  /** What the machine printed on its console (systemd's boot messages), for a failure's message. */
  get consoleOutput(): string {
    return this.console;
  }

  /** The machine's PID 1, as the host sees it: nspawn's child. */
  private async pid1(): Promise<number> {
    const nspawnPid = this.nspawn?.pid;
    if (!nspawnPid) throw new Error('the machine is not running');
    const children = (await readFile(`/proc/${nspawnPid}/task/${nspawnPid}/children`, 'utf8')).trim().split(/\s+/);
    const pid = Number(children[0]);
    if (!pid) throw new Error('the machine has no PID 1 yet');
    return pid;
  }

  /** Runs a command inside the machine (its namespaces, its root), as root. */
  async exec(command: string[], input?: string): Promise<CliRun> {
    let pid: number;
    try {
      pid = await this.pid1();
    } catch (err) {
      return { code: -1, stdout: '', stderr: (err as Error).message };
    }
    return runCommand('nsenter', ['--target', String(pid), '--all', '--', ...command], { input });
  }

  /** A unit's properties, as `systemctl show` gives them. */
  async show(unit: string, properties: string[]): Promise<Record<string, string>> {
    const shown = await this.exec(['systemctl', 'show', unit, ...properties.map((p) => `--property=${p}`)]);
    return Object.fromEntries(
      shown.stdout
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    );
  }

  /** The unit's journal, message text only. */
  async journal(unit: string): Promise<string> {
    return (await this.exec(['journalctl', '--unit', unit, '--no-pager', '--output', 'cat'])).stdout;
  }

  /** Polls until `done` holds, every 250 ms; throws with the console after `timeoutMs`. */
  async waitFor(done: () => Promise<boolean>, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (await done()) return;
      const exited = this.nspawn?.exitCode;
      if (Date.now() > deadline || (exited !== null && exited !== undefined)) {
        const what = exited === null || exited === undefined ? `within ${timeoutMs} ms` : `: nspawn exited (${exited})`;
        throw new Error(`the machine did not get there ${what}; its console:\n${this.console.slice(-4000)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  /** Shuts the machine down (SIGTERM to nspawn: a clean poweroff), then removes its root. */
  async dispose(): Promise<void> {
    const nspawn = this.nspawn;
    if (nspawn && nspawn.exitCode === null) {
      const exited = new Promise((resolve) => nspawn.once('exit', resolve));
      nspawn.kill('SIGTERM');
      const timer = setTimeout(() => nspawn.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
    }
    await rm(this.root, { recursive: true, force: true });
  }
}
