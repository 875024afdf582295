import { afterEach, describe, expect, it } from 'vitest';
import { postcheckResponseSchema, type PostcheckResponse } from '../../src/web/api-contract.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { declaration, OPERATOR, startPostcheckGate, VIEWER, type PostcheckGate } from '../helpers/postcheck-gate.js';
import { useTempDirs } from '../helpers/store-fixtures.js';

// The post-check's page API on a real web server, PostcheckService, decider and store: who may
// read it, a day's reconciliation with the evidence of each flagged passage, the CSV export,
// bad days answered 400 naming `day`, and a gate without declarations answering 404.

const temp = useTempDirs();
// 10:00 on 4 December 2026 in Hà Nội (UTC+7).
const NOW = Date.UTC(2026, 11, 4, 3, 0, 0);
const TODAY = '2026-12-04';
const HOUR = 3600_000;
let gate: PostcheckGate | undefined;

afterEach(async () => {
  await gate?.stop();
  gate = undefined;
});

async function login(who: { username: string; password: string }): Promise<string> {
  const res = await fetch(`${gate!.url}/api/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(who),
  });
  expect(res.status).toBe(200);
  return res.headers.get('set-cookie')!.split(';')[0]!;
}

const get = (path: string, cookie?: string) =>
  fetch(`${gate!.url}${path}`, cookie ? { headers: { Cookie: cookie } } : {});

/** A gate on `NOW` with a day of passages: declared, undeclared, a class and a country mismatch, a declaration used twice, an open by hand. */
async function busyDay(): Promise<{ gate: PostcheckGate; clock: FakeClock }> {
  const clock = new FakeClock(NOW);
  const store = temp.open(temp.make(), {}, clock);
  gate = await startPostcheckGate(store, clock, {
    declarations: [
      declaration('D-100', '29A11111', NOW),
      declaration('D-200', '29C12345', NOW, { vehicleClass: 'motorbike' }),
      declaration('D-300', '云A12345', NOW, { vehicleClass: 'truck', countries: ['VN'], currency: 'CNY', amount: 120 }),
      // Ended at 09:30 today, never used.
      declaration('D-400', '30E12345', NOW, { validUntil: NOW - HOUR / 2 }),
    ],
  });
  await gate.pass('29A11111');
  await gate.pass('51F99999', { frame: true });
  await gate.pass('29C12345');
  await gate.pass('云A12345');
  await gate.pass('29A11111');
  gate.openedByHand();
  // exit-1 does not decide on declarations: not in the post-check.
  await gate.pass('51F99999', { laneId: 'exit-1' });
  return { gate, clock };
}

describe('GET /api/postcheck', () => {
  it("shows a viewer today's post-check: totals, flagged passages with their evidence, used twice, expired unused", async () => {
    await busyDay();
    expect((await get('/api/postcheck')).status).toBe(401);
    const res = await get('/api/postcheck', await login(VIEWER));
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = (await res.json()) as PostcheckResponse;
    // Exactly the contract's shape (nothing more, nothing less).
    expect(postcheckResponseSchema.parse(body)).toEqual(body);
    expect(body).toMatchObject({
      day: TODAY,
      timeZone: 'Asia/Ho_Chi_Minh',
      from: Date.UTC(2026, 11, 3, 17, 0, 0),
      to: Date.UTC(2026, 11, 4, 17, 0, 0),
      totals: {
        passages: 6,
        declared: 3,
        undeclared: 3,
        flagged: 5,
        mismatches: 2,
        declarationsUsedTwice: 1,
        expiredUnused: 1,
      },
    });
    expect(body.flagged.map((p) => [p.plate, p.declarationId, p.flags.map((f) => f.kind)])).toEqual([
      ['51F99999', null, ['undeclared']],
      ['29C12345', 'D-200', ['class-mismatch']],
      ['云A12345', 'D-300', ['country-mismatch']],
      ['29A11111', 'D-100', ['declaration-used']],
      [null, null, ['undeclared']],
    ]);
    const [undeclared] = body.flagged;
    expect(undeclared).toMatchObject({
      laneId: 'entry-1',
      confidence: 0.91,
      votes: 4,
      flags: [{ kind: 'undeclared', detail: expect.stringContaining('no valid fee declaration for 51F99999') }],
    });
    expect(body.mismatches.map((p) => p.plate)).toEqual(['29C12345', '云A12345']);
    expect(body.declared.map((p) => p.plate)).toEqual(['29A11111', '29C12345', '云A12345']);
    expect(body.usedTwice).toEqual([
      {
        declarationId: 'D-100',
        plate: '29A11111',
        passages: [
          expect.objectContaining({ laneId: 'entry-1', passedAt: NOW + 4200 }),
          expect.objectContaining({ laneId: 'entry-1', passedAt: NOW + 5 * 4200 }),
        ],
      },
    ]);
    expect(body.expiredUnused).toEqual([
      expect.objectContaining({ declarationId: 'D-400', plate: '30E12345', validUntil: NOW - HOUR / 2 }),
    ]);

    // The evidence: the plate crop of the flagged event, the annotated frame of the decision.
    const cookie = await login(VIEWER);
    const crop = await get(`/api/events/${undeclared!.flagEventId}/crop`, cookie);
    expect(crop.status).toBe(200);
    expect(crop.headers.get('content-type')).toBe('image/jpeg');
    expect([...new Uint8Array(await crop.arrayBuffer()).slice(0, 2)]).toEqual([0xff, 0xd8]);
    const frame = await get(`/api/events/${undeclared!.decisionId}/frame`, cookie);
    expect(frame.status).toBe(200);
    expect(frame.headers.get('content-type')).toBe('image/jpeg');
  });

  it('takes another day, and an empty day= as today; a bad day is 400 naming `day`', async () => {
    await busyDay();
    const cookie = await login(OPERATOR);
    const day = async (query: string) =>
      (await (await get(`/api/postcheck${query}`, cookie)).json()) as PostcheckResponse;
    expect((await day('?day=')).day).toBe(TODAY);
    expect(await day('?day=2026-12-03')).toMatchObject({
      day: '2026-12-03',
      from: Date.UTC(2026, 11, 2, 17, 0, 0),
      totals: { passages: 0, flagged: 0 },
      flagged: [],
    });
    for (const bad of ['2026-02-30', '04/12/2026', '2026-12-4', 'today', '2026-12-04T00:00']) {
      for (const path of ['/api/postcheck', '/api/postcheck.csv']) {
        const res = await get(`${path}?day=${encodeURIComponent(bad)}`, cookie);
        expect(res.status, `${path} ${bad}`).toBe(400);
        expect(await res.json(), `${path} ${bad}`).toEqual({
          error: { code: 'invalid', message: 'day: expected a date YYYY-MM-DD, e.g. 2026-12-04' },
        });
      }
    }
  });
});

describe('GET /api/postcheck.csv', () => {
  it("exports the day's flagged passages for a spreadsheet: UTF-8 with a BOM, a file name, one row each", async () => {
    await busyDay();
    expect((await get('/api/postcheck.csv')).status).toBe(401);
    const res = await get(`/api/postcheck.csv?day=${TODAY}`, await login(VIEWER));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="postcheck-mlt-kth-${TODAY}.csv"`);
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const lines = new TextDecoder().decode(bytes.slice(3)).split('\r\n');
    expect(lines.at(-1)).toBe('');
    expect(lines[0]).toBe(
      'day,passed_at,lane,plate,flags,declaration,confidence,votes,passage_event,decision_event,flag_event,detail',
    );
    const rows = lines.slice(1, -1).map((line) => line.split(','));
    expect(rows.map((r) => [r[0], r[2], r[3], r[4], r[5]])).toEqual([
      [TODAY, 'entry-1', '51F99999', 'undeclared', ''],
      [TODAY, 'entry-1', '29C12345', 'class-mismatch', 'D-200'],
      [TODAY, 'entry-1', '云A12345', 'country-mismatch', 'D-300'],
      [TODAY, 'entry-1', '29A11111', 'declaration-used', 'D-100'],
      [TODAY, 'entry-1', '', 'undeclared', ''],
    ]);
    expect(rows[0]![1]).toBe(new Date(NOW + 2 * 4200).toISOString());
  });

  it('is today by default', async () => {
    await busyDay();
    const res = await get('/api/postcheck.csv', await login(VIEWER));
    expect(res.headers.get('content-disposition')).toContain(`postcheck-mlt-kth-${TODAY}.csv`);
    expect((await res.text()).split('\r\n')).toHaveLength(1 + 1 + 5);
  });
});

describe('a gate where no lane decides on fee declarations', () => {
  it('has no post-check: 404 for the day and its CSV', async () => {
    const clock = new FakeClock(NOW);
    gate = await startPostcheckGate(temp.open(temp.make(), {}, clock), clock, {
      modes: { 'entry-1': 'off', 'exit-1': 'off' },
    });
    const cookie = await login(VIEWER);
    for (const path of ['/api/postcheck', `/api/postcheck.csv?day=${TODAY}`]) {
      const res = await get(path, cookie);
      expect(res.status, path).toBe(404);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('not-found');
    }
    expect(await (await get('/metrics')).text()).not.toContain('smartgate_postcheck_');
  });
});

describe('/metrics', () => {
  it('counts the passages by status and the flags by kind, per lane on declarations', async () => {
    await busyDay();
    const text = await (await get('/metrics')).text();
    const samples = text.split('\n').filter((l) => l.startsWith('smartgate_postcheck_'));
    expect(samples).toEqual([
      'smartgate_postcheck_passages_total{lane="entry-1",status="declared"} 3',
      'smartgate_postcheck_passages_total{lane="entry-1",status="undeclared"} 3',
      'smartgate_postcheck_flagged_total{lane="entry-1",kind="undeclared"} 2',
      'smartgate_postcheck_flagged_total{lane="entry-1",kind="declaration-used"} 1',
      'smartgate_postcheck_flagged_total{lane="entry-1",kind="class-mismatch"} 1',
      'smartgate_postcheck_flagged_total{lane="entry-1",kind="country-mismatch"} 1',
      'smartgate_postcheck_not_recorded_total 0',
    ]);
  });
});
