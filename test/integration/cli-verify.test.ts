import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { builtCli } from '../helpers/demo-clip.js';
import { expectFreshBuild, runCli } from '../helpers/cli-run.js';
import { chainGate, tamper } from '../helpers/chain-gate.js';
import { useTempDirs } from '../helpers/store-fixtures.js';

// `smartgate verify` and `smartgate key show` as an auditor runs them: the built CLI in a child
// process, on a data directory a store wrote.

beforeAll(() => {
  builtCli();
  expectFreshBuild([
    ['src/cli/verify.ts', 'dist/cli/verify.js'],
    ['src/cli/key.ts', 'dist/cli/key.js'],
    ['src/store/chain-audit.ts', 'dist/store/chain-audit.js'],
  ]);
});

describe('smartgate verify', () => {
  const temp = useTempDirs();

  it('exits 0 with a summary for a clean store, 1 naming the event whose payload was changed', async () => {
    const { dir, reads } = await chainGate(temp);
    const clean = await runCli(['verify', '--data-dir', dir], 30_000);
    expect(clean).toEqual({
      code: 0,
      stderr: '',
      stdout:
        'ok: 20 events checked on 3 lanes, 2 checkpoints verified, 6 frames, 6 crops; ' +
        'pruned by retention: 0 events, 0 crops, 0 frames; unchained (older version): 0 events, 0 frames\n',
    });

    const target = reads[3]!;
    tamper(dir, (db) =>
      db
        .prepare(`UPDATE events SET payload = json_set(payload, '$.confidence', 0.99) WHERE event_id = ?`)
        .run(target.eventId),
    );
    const failed = await runCli(['verify', '--data-dir', dir], 30_000);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(
      new RegExp(`^FAILED: event ${target.eventId} \\(lane exit-1, seq 4, plate.read\\): its payload does not match`),
    );

    const json = await runCli(['verify', '--data-dir', dir, '--json'], 30_000);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({
      ok: false,
      fault: { kind: 'event', eventId: target.eventId, laneId: 'exit-1', seq: 4, type: 'plate.read' },
      counts: { events: expect.any(Number) },
      publicKey: { source: 'data-dir' },
    });
  });

  it('runs beside the daemon: the store open for writing in another process', async () => {
    const { dir, clock } = await chainGate(temp);
    const store = temp.open(dir, {}, clock); // holds the writer's lock, as the daemon does
    store.events.append({ type: 'plate.read', laneId: 'entry-1', payload: { text: '29C10001' } });
    store.checkpoints!.record('periodic');
    const run = await runCli(['verify', '--data-dir', dir], 30_000);
    expect(run).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/^ok: 22 events checked on 3 lanes, 3 checkpoints/),
    });
    store.events.append({ type: 'plate.read', laneId: 'entry-1', payload: { text: '29C10002' } }); // still the writer
    store.close();
  });

  it('names a changed frame file', async () => {
    const { dir, decisions } = await chainGate(temp);
    const path = `frames/2026-01-01/${decisions[0]!.eventId}.jpg`;
    writeFileSync(join(dir, path), 'not the frame');
    const run = await runCli(['verify', '--data-dir', dir], 30_000);
    expect(run).toMatchObject({ code: 1, stdout: expect.stringContaining(`FAILED: frame file ${path}`) });
  });

  it('checks from an event or a date, and with a key given on the command line', async () => {
    const { dir, reads } = await chainGate(temp);
    const key = readFileSync(join(dir, 'gate-key.pub'), 'utf8').trim();
    const from = await runCli([
      'verify',
      '--data-dir',
      dir,
      '--from',
      reads[2]!.eventId,
      '--public-key',
      key,
      '--json',
    ]);
    expect(from.code).toBe(0);
    expect(JSON.parse(from.stdout)).toMatchObject({
      ok: true,
      counts: { events: 13, checkpoints: 1 },
      warnings: [],
      publicKey: { source: 'option' },
    });
    const day = await runCli(['verify', '--data-dir', dir, '--from', '2026-01-01'], 30_000);
    expect(day).toMatchObject({ code: 0, stdout: expect.stringMatching(/^ok: 20 events checked/) });
  });

  it("says so when --public-key is not the data directory's key, and fails the checkpoints with it", async () => {
    const { dir } = await chainGate(temp);
    const other = await chainGate(temp);
    const run = await runCli(['verify', '--data-dir', dir, '--public-key', join(other.dir, 'gate-key.pub')], 30_000);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^warning: --public-key \(key id \w+\) is not the key in .*gate-key\.pub/);
    expect(run.stdout).toMatch(/^FAILED: event \w+ \(lane gate, seq 1, chain.checkpoint\): it names key/);
  });

  it('exits 2 for an unknown option, no --data-dir, a directory with no store, or a bad --from', async () => {
    const empty = temp.make();
    for (const args of [
      ['--data-dir', empty, '--no-such-option'],
      [],
      ['--data-dir', empty],
      ['--data-dir', empty, '--from', 'yesterday'],
    ]) {
      const run = await runCli(['verify', ...args], 30_000);
      expect({ args, ...run }).toMatchObject({
        code: 2,
        stdout: '',
        stderr: expect.stringContaining('usage: smartgate verify'),
      });
    }
    const { dir } = await chainGate(temp);
    const unknown = await runCli(['verify', '--data-dir', dir, '--from', '01ARZ3NDEKTSV4RRFFQ69G5FAV'], 30_000);
    expect(unknown).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--from: no event 01ARZ3NDEKTSV4RRFFQ69G5FAV'),
    });
  });
});

describe('smartgate key show', () => {
  const temp = useTempDirs();

  it('exits 1 saying so when the data directory has no key yet, or is not there yet', async () => {
    const dir = temp.make();
    const run = await runCli(['key', 'show', '--data-dir', dir], 30_000);
    expect(run).toMatchObject({
      code: 1,
      stdout: '',
      stderr: expect.stringMatching(/^smartgate key: no gate key in /),
    });
    const none = await runCli(['key', 'show', '--data-dir', join(dir, 'not-yet')], 30_000);
    expect(none).toMatchObject({
      code: 1,
      stdout: '',
      stderr: expect.stringMatching(/^smartgate key: no gate key: .* does not exist/),
    });
  });

  it('prints the public key as gate-key.pub holds it, its key id and PEM; --json the same', async () => {
    const { dir } = await chainGate(temp);
    const text = readFileSync(join(dir, 'gate-key.pub'), 'utf8').trim();
    const run = await runCli(['key', 'show', '--data-dir', dir], 30_000);
    expect(run.code).toBe(0);
    const [first, second, ...pem] = run.stdout.trimEnd().split('\n');
    expect(first).toBe(text);
    expect(second).toMatch(/^key id: [0-9a-f]{16} \(Ed25519\)$/);
    expect(pem[0]).toBe('-----BEGIN PUBLIC KEY-----');
    expect(pem.at(-1)).toBe('-----END PUBLIC KEY-----');
    expect(run.stdout).not.toMatch(/PRIVATE/);

    const json = await runCli(['key', 'show', '--data-dir', dir, '--json'], 30_000);
    expect(JSON.parse(json.stdout)).toEqual({
      keyId: second!.slice('key id: '.length, 'key id: '.length + 16),
      publicKey: text,
      algorithm: 'Ed25519',
    });
  });

  it('exits 2 without an action or --data-dir', async () => {
    for (const args of [['show'], ['--data-dir', temp.make()], ['rotate', '--data-dir', temp.make()]]) {
      const run = await runCli(['key', ...args], 30_000);
      expect({ args, ...run }).toMatchObject({ code: 2, stderr: expect.stringContaining('usage: smartgate key show') });
    }
  });
});
