import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freeLoopbackPort } from '../../src/core/loopback.js';
import { parseWireEvent, statusSchema, type WireEvent } from '../../src/uplink/contract.js';
import { builtCli, demoClip } from '../helpers/demo-clip.js';
import { waitFor } from '../helpers/processes.js';

// The status page in Debian's headless Chromium (driven by playwright-core, which never
// downloads a browser), against a real `smartgate demo`: its camera clip, simulated barrier and
// embedded Mosquitto. One demo for the whole file; the tests run in order.

const CHROMIUM = '/usr/bin/chromium';
const USER = 'op.nguyen';
const PASSWORD = 'cửa khẩu số 1'; // Vietnamese, with diacritics, as an operator might type it
/** Screenshots of each view, as test artifacts (git-ignored); docs/screenshots holds current copies. */
export const SCREENSHOT_DIR = join(import.meta.dirname, '../../.cache/screenshots');

let dir: string;
let demo: ChildProcess;
let demoExited: Promise<number | null>;
const stdoutLines: string[] = [];
let pageUrl: string;
let brokerUrl: string;
let browser: Browser;
let page: Page;
let central: MqttClient;
const published: WireEvent[] = [];
/**
 * For the test's own requests beside the page (page.request). Its agent keeps connections
 * alive and may reuse one just as the server closes it after 5 s idle (node's keepAliveTimeout):
 * the request then fails with ECONNRESET before the server read it. Chromium resends such a
 * request by itself; playwright's request context only when asked to.
 */
const RESEND_ON_RESET = { maxRetries: 2 } as const;
/** What the page logged as an error, and what it threw, from the first load on. */
const pageErrors: string[] = [];

function cli(args: string[], input?: string): string {
  const r = spawnSync(process.execPath, [builtCli(), ...args], { input, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`smartgate ${args.join(' ')}: exit ${r.status}\n${r.stderr}`);
  return r.stdout;
}

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`) });
}

/**
 * Waits until the page shows `code`: setLang sets <html lang> once the dictionary has loaded and
 * the texts are replaced, then marks the button pressed. Playwright waits for that state in the
 * page, not a fixed 1 s poll: a busy gate computer (the demo decodes video and reads plates beside
 * it) can take longer than that to serve the dictionary.
 */
async function languageApplied(code: 'vi' | 'zh' | 'en', htmlLang: string): Promise<void> {
  await page.locator(`html[lang="${htmlLang}"]`).waitFor({ state: 'attached', timeout: 30_000 });
  await page
    .locator(`[data-testid="lang-${code}"][aria-pressed="true"]`)
    .waitFor({ state: 'visible', timeout: 30_000 });
}

/** Clicks a language button (the page's handlers are on it since it first showed) and waits until the page shows that language. */
async function switchLanguage(code: 'vi' | 'zh' | 'en', htmlLang: string): Promise<void> {
  expect(await page.getAttribute('html', 'lang')).not.toBe(htmlLang); // else the wait below would prove nothing
  await page.getByTestId(`lang-${code}`).click();
  await languageApplied(code, htmlLang);
}

beforeAll(async () => {
  await demoClip(); // rendered by setup
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  dir = mkdtempSync(join(tmpdir(), 'smartgate-page-'));
  const dataDir = join(dir, 'data');
  // No default account: the first one is made from the CLI, before the daemon runs.
  cli(
    ['user', 'add', '--data-dir', dataDir, '--username', USER, '--role', 'operator', '--password-stdin'],
    `${PASSWORD}\n`,
  );
  const port = await freeLoopbackPort();
  // Held vehicles wait 90 s instead of turning back, so the operator can act on them.
  demo = spawn(
    process.execPath,
    [
      builtCli(),
      'demo',
      '--data-dir',
      dataDir,
      '--http-port',
      String(port),
      '--hold-seconds',
      '90',
      '--seconds',
      '170',
    ],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  demoExited = new Promise((resolve) => demo.once('exit', (code) => resolve(code)));
  let buffered = '';
  demo.stdout!.on('data', (d: Buffer) => {
    buffered += d.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    stdoutLines.push(...lines);
  });
  demo.stderr!.resume();
  await waitFor(() => stdoutLines.some((l) => l.startsWith('status page: ')), 30_000, 'the demo to serve its page');
  pageUrl = stdoutLines
    .find((l) => l.startsWith('status page: '))!
    .slice('status page: '.length)
    .replace(/\/$/, '');
  brokerUrl = /(mqtt:\/\/127\.0\.0\.1:\d+)/.exec(stdoutLines.find((l) => l.startsWith("central's broker"))!)![1]!;
  // The demo's broker takes its two accounts only: central's password is in the data directory.
  const centralPassword = readFileSync(join(dataDir, 'broker', 'central.password'), 'utf8').trim();
  central = await mqtt.connectAsync(brokerUrl, {
    protocolVersion: 5,
    reconnectPeriod: 0,
    username: 'central',
    password: centralPassword,
  });
  central.on('message', (_topic, payload) => {
    const parsed = parseWireEvent(payload);
    if ('event' in parsed) published.push(parsed.event);
  });
  await central.subscribeAsync('smartgate/v1/demo/+/events', { qos: 1 });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    // As root there is no sandbox; the rest keeps Chromium off the (closed) network.
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on('console', (msg) => {
    if (msg.type() === 'error') pageErrors.push(msg.text());
  });
  page.on('pageerror', (err) => pageErrors.push(`uncaught: ${err.message}`));
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await central?.endAsync();
  if (demo && demo.exitCode === null) {
    demo.kill('SIGTERM');
    await demoExited;
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the status page in Chromium, on the demo', () => {
  it('answers API calls without a session with 401, and serves /healthz and /metrics', async () => {
    for (const path of ['/api/events', '/api/lanes', '/api/health', '/api/session']) {
      const res = await fetch(`${pageUrl}${path}`);
      expect(res.status, path).toBe(401);
      expect(await res.json(), path).toMatchObject({ error: { code: 'unauthenticated' } });
    }
    const refused = await fetch(`${pageUrl}/api/lanes/lane-1/open`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"reason":"test"}',
    });
    expect(refused.status).toBe(401);
    expect((await fetch(`${pageUrl}/healthz`)).status).toBeLessThan(600);
    const metrics = await fetch(`${pageUrl}/metrics`);
    expect(metrics.headers.get('content-type')).toContain('text/plain');
    expect(await metrics.text()).toMatch(/^smartgate_up 1$/m);
  });

  it('logs in, and a vehicle the demo reads appears on the page within 2 s', async () => {
    await page.goto(pageUrl);
    // Shown by the page's script once its handlers are attached (hidden in the HTML).
    await page.getByTestId('login-form').waitFor({ state: 'visible', timeout: 30_000 });
    await shot('login');
    await page.getByTestId('login-username').fill(USER);
    await page.getByTestId('login-password').fill(PASSWORD);
    await page.getByTestId('login-submit').click();
    await page.getByTestId('app-view').waitFor({ state: 'visible', timeout: 10_000 });
    await page.getByTestId('tab-events').click();
    await page.getByTestId('events-table').waitFor({ state: 'visible' });

    // The next read the demo prints: "HH:MM:SS lane-1  DISPLAY  ...".
    const seen = stdoutLines.length;
    await waitFor(
      () => stdoutLines.slice(seen).some((l) => /^\d\d:\d\d:\d\d lane-1 {2}\S/.test(l) && !l.includes('??')),
      30_000,
      'a read printed by the demo',
    );
    const printedAt = Date.now();
    const line = stdoutLines.slice(seen).find((l) => /^\d\d:\d\d:\d\d lane-1 {2}\S/.test(l) && !l.includes('??'))!;
    const display = line.slice('00:00:00 lane-1  '.length).split(/ {2,}/)[0]!.trim();
    await page
      .getByTestId('event-row')
      .filter({ hasText: display })
      .first()
      .waitFor({ state: 'visible', timeout: 2000 });
    expect(Date.now() - printedAt).toBeLessThanOrEqual(2000);
    await shot('events');
    await page.getByTestId('tab-lanes').click();
    await page.getByTestId('lane-card-lane-1').waitFor({ state: 'visible' });
    // The newest frame with the plate marked, beside the live video.
    await page.getByTestId('lane-frame-lane-1').waitFor({ state: 'visible', timeout: 10_000 });
    await shot('lanes');
    await page.getByTestId('tab-health').click();
    await page.getByTestId('health-panel').waitFor({ state: 'visible' });
    await shot('health');
  });

  // Issue 26, item 5: one version, wherever a technician or central reads it.
  it('shows the version `smartgate --version` prints, as the retained MQTT status does', async () => {
    const printed = cli(['--version']).trim();
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(printed).toBe(pkg.version);

    const status = new Promise<unknown>((resolve) =>
      central.on('message', (topic, payload) => {
        if (topic === 'smartgate/v1/demo/status') resolve(JSON.parse(payload.toString()));
      }),
    );
    await central.subscribeAsync('smartgate/v1/demo/status', { qos: 1 }); // retained: delivered at once
    expect(statusSchema.parse(await status)).toMatchObject({ state: 'online', version: printed });

    const health = (await (await page.request.get(`${pageUrl}/api/health`, RESEND_ON_RESET)).json()) as {
      health: { version: string };
    };
    expect(health.health.version).toBe(printed);
    // The health tab (open since the last test) shows what the API gave it.
    expect(await page.getByTestId('health-version').innerText()).toBe(printed);
  });

  it('has logged no error since it loaded: the policy refuses nothing the page uses, the live video included', () => {
    // The only expected one: the page asks for its session before the login, and is told 401.
    const unexpected = pageErrors.filter((text) => !/status of 401/.test(text));
    expect(unexpected).toEqual([]);
  });

  it('switches language: Vietnamese by default, then Chinese and English', async () => {
    const tabText = () => page.getByTestId('tab-lanes').innerText();
    await languageApplied('vi', 'vi');
    const vietnamese = await tabText();
    await switchLanguage('zh', 'zh-Hans');
    const chinese = await tabText();
    await switchLanguage('en', 'en');
    const english = await tabText();
    expect(new Set([vietnamese, chinese, english]).size).toBe(3);
    expect(chinese).toMatch(/[\u4e00-\u9fff]/);
    expect(english).toBe('Lanes');
    await switchLanguage('vi', 'vi');
    expect(await tabText()).toBe(vietnamese);
  });

  it('shows the cross-border truck as one vehicle, its second plate on the same row', { timeout: 90_000 }, async () => {
    await page.getByTestId('tab-events').click();
    // The clip's last vehicle (40-45 s) carries 云A·68420 and T25-135.79 (docs/demo-clip.md).
    const other = page.getByTestId('event-other-plates').first();
    await other.waitFor({ state: 'visible', timeout: 75_000 });
    const row = page.getByTestId('event-row').filter({ has: other }).first();
    const text = await row.innerText();
    expect([
      text.includes('云A·68420') && text.includes('T2513579'),
      text.includes('T25-135.79') && text.includes('云A68420'),
    ]).toContain(true);
    // Decided on the permit listed under the temporary plate, paired with the Chinese plate:
    // opened (at lane-2 on its declared fee too), or held as lane-busy when this test's long
    // holds keep an earlier vehicle at the barrier.
    const res = await page.request.get(`${pageUrl}/api/events?type=decision&limit=50`, RESEND_ON_RESET);
    const { events } = (await res.json()) as {
      events: { payload: { reason: string; detail: string; otherPlates?: string[] } }[];
    };
    const decision = events.find((e) =>
      e.payload.otherPlates?.some((p) => p === 'T2513579' || p === '云A68420'),
    )!.payload;
    expect(['allowed', 'declared', 'lane-busy']).toContain(decision.reason);
    expect(decision.detail).toMatch(/T2513579(, paired with 云A68420,)? is allowed \(permit\)/);
  });

  it(
    'a held vehicle confirmed with a reason opens the simulated barrier, and the audit event reaches central',
    { timeout: 120_000 },
    async () => {
      await page.getByTestId('tab-holds').click();
      // The demo clip's expired permit (25C-012.34) is held at the barrier about 17 s into the clip.
      // Picked by its plate and then by its hold id: the yard lets a `yard-full` hold in by itself,
      // so the first hold at the barrier may go while the operator types.
      const expired = page.locator('[data-testid^="hold-item-"][data-at-barrier="true"]', { hasText: '25C-012.34' });
      await expired.first().waitFor({ state: 'visible', timeout: 90_000 });
      await shot('holds');
      const holdId = (await expired.first().getAttribute('data-testid'))!.slice('hold-item-'.length);
      const atBarrier = page.getByTestId(`hold-item-${holdId}`);
      const reason = 'giấy phép gia hạn, đã kiểm tra bản giấy';
      expect(await atBarrier.getByTestId('hold-confirm').isDisabled()).toBe(true); // a reason is required
      await atBarrier.getByTestId('hold-reason-input').fill(reason);
      await atBarrier.getByTestId('hold-confirm').click();

      await waitFor(
        () => published.some((e) => e.type === 'operator.action' && e.payload.holdId === holdId),
        15_000,
        'the operator.action event at central',
      );
      const audit = published.find((e) => e.type === 'operator.action' && e.payload.holdId === holdId)!;
      expect(audit.payload).toMatchObject({ action: 'confirm', operator: USER, reason, source: 'page' });
      await waitFor(
        () =>
          published.some(
            (e) => e.type === 'barrier.actuation' && e.payload.phase === 'result' && e.payload.cause === 'confirm',
          ),
        15_000,
        'the barrier actuation at central',
      );
      const result = published.find(
        (e) => e.type === 'barrier.actuation' && e.payload.phase === 'result' && e.payload.cause === 'confirm',
      )!;
      expect(result.payload).toMatchObject({ ok: true, outcome: 'opened', driver: 'simulator' });
      expect(result.seq).toBeGreaterThan(audit.seq); // recorded before acting
    },
  );

  it('refuses a state change without the CSRF token, even with a session', async () => {
    const res = await page.request.post(`${pageUrl}/api/lanes/lane-1/open`, {
      ...RESEND_ON_RESET,
      data: { reason: 'no token sent' },
    });
    expect(res.status()).toBe(403);
    expect(await res.json()).toMatchObject({ error: { code: 'csrf' } });
    const wrong = await page.request.post(`${pageUrl}/api/lanes/lane-1/open`, {
      ...RESEND_ON_RESET,
      data: { reason: 'wrong token' },
      headers: { 'x-csrf-token': 'not-the-token' },
    });
    expect(wrong.status()).toBe(403);
  });

  it('rate-limits wrong passwords, and the login form says how long to wait', async () => {
    // Last: the limit locks this address out of logging in for 15 minutes.
    const context = await browser.newContext();
    const login = await context.newPage();
    await login.goto(pageUrl);
    await login.getByTestId('login-form').waitFor({ state: 'visible' });
    for (let i = 0; i < 5; i++) {
      await login.getByTestId('login-username').fill(USER);
      await login.getByTestId('login-password').fill(`wrong password ${i}`);
      const [answer] = await Promise.all([
        login.waitForResponse((r) => r.url().endsWith('/api/login')),
        login.getByTestId('login-submit').click(),
      ]);
      expect(answer.status()).toBe(401);
      await login
        .locator('[data-testid="login-error"][data-code="bad-credentials"]')
        .waitFor({ state: 'visible', timeout: 30_000 });
    }
    const res = await fetch(`${pageUrl}/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: USER, password: PASSWORD }),
    });
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    await login.getByTestId('login-password').fill(PASSWORD);
    await login.getByTestId('login-submit').click();
    await login
      .locator('[data-testid="login-error"][data-code="rate-limited"]')
      .waitFor({ state: 'visible', timeout: 30_000 });
    await login.getByTestId('login-retry').waitFor({ state: 'visible' });
    await context.close();
  });
});
