import { execFile } from 'node:child_process';
import { cp, lstat, mkdir, mkdtemp, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The documented install path (docs/operations.md, "Install as a service"): a release tarball from
// `npm pack`, scripts/install.sh into a scratch root, then the installed command and unit. This
// machine's PID 1 is not systemd, so the unit is checked with `systemd-analyze verify` instead of
// started.
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

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(file: string, args: string[], cwd: string): Promise<Run> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd, timeout: 8 * MINUTES, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      const code = err ? ((err as { code?: unknown }).code ?? -1) : 0;
      resolve({ code: typeof code === 'number' ? code : -1, stdout, stderr });
    });
  });
}

let dir: string;
let root: string;
let tarball: string;
let installed: Run;
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
  installed = await run('bash', [join(REPO, 'scripts/install.sh'), '--tarball', tarball, '--root', root], dir);
}, 12 * MINUTES);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('install.sh from an npm pack tarball, into a scratch root', () => {
  it('installs, and does not make a user outside the real root', () => {
    expect(installed.code, installed.stderr).toBe(0);
    expect(installed.stderr).toContain('not creating the smartgate user');
    expect(installed.stderr).toContain(`installed smartgate ${version}`);
  });

  it('lays out the package, the command, the config and the unit', async () => {
    for (const path of [
      'opt/smartgate/dist/cli/main.js',
      'opt/smartgate/models/plate-reader.onnx',
      'opt/smartgate/src/web/static/index.html',
      'opt/smartgate/node_modules/better-sqlite3/package.json',
      'etc/smartgate/gate.yaml',
      'etc/systemd/system/smartgate.service',
    ])
      expect((await lstat(join(root, path))).isFile(), path).toBe(true);
    expect(await readlink(join(root, 'usr/local/bin/smartgate'))).toBe('../../../opt/smartgate/dist/cli/main.js');
    // No dev dependencies, no tests in the release.
    await expect(lstat(join(root, 'opt/smartgate/node_modules/vitest'))).rejects.toThrow();
    await expect(lstat(join(root, 'opt/smartgate/test'))).rejects.toThrow();
    expect(await readFile(join(root, 'etc/systemd/system/smartgate.service'), 'utf8')).toBe(
      await readFile(join(REPO, 'packaging/smartgate.service'), 'utf8'),
    );
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

  it(
    'never overwrites an existing gate.yaml',
    async () => {
      const config = join(root, 'etc/smartgate/gate.yaml');
      await writeFile(config, '# edited by the technician\n');
      const again = await run('bash', [join(REPO, 'scripts/install.sh'), '--tarball', tarball, '--root', root], dir);
      expect(again.code, again.stderr).toBe(0);
      expect(again.stderr).toContain('same dependencies and Node.js as installed');
      expect(again.stderr).toContain('keeping');
      expect(await readFile(config, 'utf8')).toBe('# edited by the technician\n');
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
