import { describe, expect, it } from 'vitest';

// The rule scripts/diagnose-reads.mjs names a lost plate's stage with (scripts/lib/diagnose-stage.mjs,
// plain ESM JavaScript), and the comparison of a misread with its label.
interface Target {
  raw: string;
  resolved: string;
  valid: boolean;
  confident: boolean;
  reason?: string;
}
interface Facts {
  label: string;
  final: string | null;
  crop: boolean;
  detections: number;
  plateRef: boolean;
  target: Target | null;
  rightElsewhere: boolean;
  refReads: string[];
  probes?: Record<string, boolean>;
}
interface StageModule {
  STAGES: string[];
  classifyStage(f: Facts): { stage: string; detail: string };
  editOps(read: string, label: string): { op: string; at: number; want?: string; got?: string }[];
  readerFaults(r: { label: string; rawRows: string[]; labelRows?: number | null }): {
    tags: string[];
    subs: string[][];
  };
  stageTable(rows: { set: string; stage: string }[]): string;
  topCounts(items: string[], n?: number): [string, number][];
}
// Imported by URL so the type checker leaves the JavaScript module alone.
const modulePath = new URL('../../scripts/lib/diagnose-stage.mjs', import.meta.url).href;
const load = () => import(modulePath) as Promise<StageModule>;

const label = '浙F751DK';
const frame = (over: Partial<Facts>): Facts => ({
  label,
  final: null,
  crop: false,
  detections: 1,
  plateRef: true,
  target: null,
  rightElsewhere: false,
  refReads: [],
  ...over,
});
const target = (over: Partial<Target>): Target => ({
  raw: label,
  resolved: label,
  valid: true,
  confident: true,
  ...over,
});

describe('diagnose: classifyStage', () => {
  it('an exact final read is ok, compared as the scorer compares (separators, case)', async () => {
    const { classifyStage } = await load();
    expect(classifyStage(frame({ final: '浙F·751dk' })).stage).toBe('ok');
  });

  it('a frame with no candidate on the plate is lost at the detector, saying whether anything was found', async () => {
    const { classifyStage } = await load();
    expect(classifyStage(frame({ detections: 0 }))).toEqual({ stage: 'detector', detail: 'nothing found' });
    expect(classifyStage(frame({ detections: 2 })).detail).toBe('plate missed, found elsewhere');
  });

  it('a right, accepted, confident read that was not put first is lost at the choice', async () => {
    const { classifyStage } = await load();
    expect(classifyStage(frame({ final: '浙F751DX', target: target({}) })).stage).toBe('choice');
    const elsewhere = frame({ final: '浙F751DX', target: target({ raw: 'X', resolved: 'X' }), rightElsewhere: true });
    expect(classifyStage(elsewhere).stage).toBe('choice');
  });

  it('an accepted right read turned away as not confident is lost at the floor', async () => {
    const { classifyStage } = await load();
    const f = frame({ target: target({ raw: '8F751DK', confident: false, reason: 'low character confidence' }) });
    expect(classifyStage(f)).toEqual({ stage: 'floor', detail: 'low character confidence' });
  });

  it('a right raw read the grammar rejected or changed is lost at the grammar', async () => {
    const { classifyStage } = await load();
    const rejected = frame({ target: target({ valid: false, resolved: label, reason: 'no format' }) });
    expect(classifyStage(rejected)).toEqual({ stage: 'grammar', detail: 'rejected: no format' });
    const changed = frame({ target: target({ resolved: '浙F751OK' }) });
    expect(classifyStage(changed)).toEqual({ stage: 'grammar', detail: 'changed to 浙F751OK' });
  });

  it('a misread of the quad that reads right from the reference box or the quad pushed out is lost at the corners', async () => {
    const { classifyStage } = await load();
    const misread = target({ raw: '新751DK', resolved: '新751DK', valid: false });
    expect(classifyStage(frame({ target: misread, refReads: ['X', label] })).stage).toBe('corners');
    const pushed = classifyStage(
      frame({ target: misread, refReads: ['X'], probes: { margin_0_12: true, inverted: false } }),
    );
    expect(pushed).toEqual({
      stage: 'corners',
      detail: 'reads right from its quad pushed out; right when margin_0_12',
    });
  });

  it('a read right from the reference box only, and from no moved quad, is named as hanging on that one framing', async () => {
    const { classifyStage } = await load();
    const misread = target({ raw: '浙F7510K', resolved: '浙F7510K' });
    const probes = { margin_0_06: false, margin_0_12: false, shift_left: false, shift_up: false, inverted: false };
    expect(classifyStage(frame({ target: misread, refReads: [label], probes }))).toEqual({
      stage: 'corners',
      detail: 'reads right from the reference box only',
    });
    // A moved quad that reads it right: the corners are to blame, as before.
    const moved = classifyStage(frame({ target: misread, refReads: [label], probes: { ...probes, shift_up: true } }));
    expect(moved).toEqual({ stage: 'corners', detail: 'reads right from the reference box; right when shift_up' });
    // Without the reference box, a moved quad alone puts it at the corners too.
    const alone = classifyStage(frame({ target: misread, refReads: ['X'], probes: { ...probes, shift_left: true } }));
    expect(alone).toEqual({ stage: 'corners', detail: 'reads right from its quad moved; right when shift_left' });
    // A diagnosis written before the shift probes existed says nothing about "only".
    const older = classifyStage(frame({ target: misread, refReads: [label], probes: { margin_0_06: false } }));
    expect(older.detail).toBe('reads right from the reference box');
  });

  it('a misread everywhere is lost at the reader, naming the probes that read it right', async () => {
    const { classifyStage } = await load();
    const misread = target({ raw: '新751DK', resolved: '新751DK', valid: false });
    const f = frame({ target: misread, refReads: ['X'], probes: { inverted: true, margin_0_06: false } });
    expect(classifyStage(f)).toEqual({ stage: 'reader', detail: 'misread; right when inverted' });
  });

  it('a crop has no detector or corners stage: a quad probe that reads it right leaves it at the reader', async () => {
    const { classifyStage } = await load();
    const misread = target({ raw: '6F751DK', resolved: '6F751DK', valid: false });
    const f = frame({ crop: true, detections: 0, plateRef: false, target: misread, probes: { margin_0_04: true } });
    expect(classifyStage(f)).toEqual({ stage: 'reader', detail: 'misread; right when margin_0_04' });
    expect(classifyStage(frame({ crop: true, detections: 0 })).stage).toBe('reader');
  });
});

describe('diagnose: editOps and readerFaults', () => {
  it('aligns a read with its label: substitutions, dropped and extra characters, in label order', async () => {
    const { editOps } = await load();
    expect(editOps('苏AP328', '苏ATR328')).toEqual([
      { op: 'del', at: 2, want: 'T' },
      { op: 'sub', at: 3, want: 'R', got: 'P' },
    ]);
    expect(editOps('30F860342', '30F86034')).toEqual([{ op: 'ins', at: 8, got: '2' }]);
    expect(editOps('ABC', 'ABC')).toEqual([]);
  });

  it('tags a wrong or missing province apart from the serial', async () => {
    const { readerFaults } = await load();
    expect(readerFaults({ label: '苏E7DE80', rawRows: ['6E7DE80'] })).toEqual({
      tags: ['province'],
      subs: [['苏', '6']],
    });
    expect(readerFaults({ label: '苏ATR328', rawRows: ['苏ATP328'] })).toEqual({
      tags: ['serial'],
      subs: [['R', 'P']],
    });
    expect(readerFaults({ label: '苏FLY819', rawRows: ['FLY819'] }).tags).toEqual(['missing chars', 'province']);
  });

  it('tags a row-count mistake when the label says its rows, and an empty read', async () => {
    const { readerFaults } = await load();
    expect(readerFaults({ label: '51G12345', rawRows: ['51G', '12345'], labelRows: 1 }).tags).toEqual([
      'one-row read as two',
    ]);
    expect(readerFaults({ label: '51G12345', rawRows: ['51G12345'], labelRows: 2 }).tags).toEqual([
      'two-row read as one',
    ]);
    expect(readerFaults({ label: '51G12345', rawRows: ['', ''] })).toEqual({ tags: ['nothing read'], subs: [] });
  });
});

describe('diagnose: stageTable and topCounts', () => {
  it('counts every stage per set, in the order of STAGES', async () => {
    const { stageTable, STAGES } = await load();
    const table = stageTable([
      { set: 'a', stage: 'ok' },
      { set: 'a', stage: 'reader' },
      { set: 'b', stage: 'corners' },
    ]);
    expect(table.split('\n')[0]).toBe(`| set | images | ${STAGES.join(' | ')} |`);
    expect(table.split('\n')[2]).toBe('| a | 2 | 1 | 0 | 0 | 0 | 0 | 0 | 1 |');
    expect(table.split('\n')[3]).toBe('| b | 1 | 0 | 0 | 0 | 0 | 0 | 1 | 0 |');
  });

  it('lists the most frequent values first, ties in text order', async () => {
    const { topCounts } = await load();
    expect(topCounts(['8→0', 'B→D', '8→0', 'A→4'], 2)).toEqual([
      ['8→0', 2],
      ['A→4', 1],
    ]);
  });
});
