// Where platenet lost a plate, stage by stage, for scripts/diagnose-reads.mjs: pure functions
// over what the script measured, so the rule that names the stage can be tested on its own.
import { normalisePlate } from './misses.mjs';

/**
 * The stages a read passes, in order; an image is counted at the first one that lost it.
 * - ok: the engine's top read equals the label;
 * - detector: no candidate on the plate (frames only: crops are read whole);
 * - choice: a candidate read the plate right and passed, but another read was put first;
 * - floor: the grammar accepted the right text, turned away as not confident enough;
 * - grammar: the reader's raw text was right, the grammar rejected it or changed it;
 * - corners: the reader misread the engine's quad but reads the plate right from a
 *   reference box (the label's box, or the second engine's), or from its own quad pushed out or
 *   moved: the quad or its rectification (frames only). Where only the reference box reads it
 *   right, and no probe of the engine's quad does, the detail says so: such a read hangs on one
 *   framing, and better corners would not mend it;
 * - reader: the reader misread the plate from the engine's quad and from the reference box.
 * Probes (other reads of the same plate: `margin_*` the quad pushed out or the crop padded,
 * `shift_*` the quad moved, `inverted` the image inverted) that read the plate right are named in
 * the detail.
 */
export const STAGES = ['ok', 'detector', 'choice', 'floor', 'grammar', 'corners', 'reader'];

/**
 * @param {object} f
 * @param {string} f.label  the plate as labelled
 * @param {string | null} f.final  the engine's top accepted read (null: none)
 * @param {boolean} f.crop  the image is a plate crop, read whole (no detector stage)
 * @param {number} f.detections  quads the detector gave (frames)
 * @param {boolean} f.plateRef  whether a reference box for the plate is known (label or second engine)
 * @param {null | { raw: string, resolved: string, valid: boolean, confident: boolean, reason?: string }} f.target
 *   the candidate on the plate: the reader's raw text (rows joined), what the grammar made of it
 *   (after the runner-up search), whether it accepted it and whether it was confident enough
 * @param {boolean} f.rightElsewhere  some other candidate was accepted, confident, with the label's text
 * @param {string[]} f.refReads  the reader's raw text on the reference box (variants)
 * @param {Record<string, boolean>} [f.probes]  probe name → whether it read the plate right
 * @returns {{ stage: string, detail: string }}
 */
export function classifyStage(f) {
  const label = normalisePlate(f.label);
  const same = (t) => normalisePlate(t) === label;
  if (f.final !== null && same(f.final)) return { stage: 'ok', detail: '' };
  const t = f.target;
  if (!t) {
    if (f.crop) return { stage: 'reader', detail: 'nothing read' };
    if (f.detections === 0) return { stage: 'detector', detail: 'nothing found' };
    return {
      stage: 'detector',
      detail: f.plateRef ? 'plate missed, found elsewhere' : 'no reference box; nothing found reads like the plate',
    };
  }
  if (f.rightElsewhere || (t.valid && t.confident && same(t.resolved)))
    return { stage: 'choice', detail: `right read not put first (engine gave ${f.final ?? 'nothing'})` };
  if (t.valid && same(t.resolved)) return { stage: 'floor', detail: t.reason ?? 'not confident enough' };
  if (same(t.raw)) {
    if (!t.valid) return { stage: 'grammar', detail: `rejected: ${t.reason ?? 'no reason given'}` };
    return { stage: 'grammar', detail: `changed to ${t.resolved}` };
  }
  const right = Object.entries(f.probes ?? {})
    .filter(([, ok]) => ok)
    .map(([name]) => name);
  const also = right.length ? `; right when ${right.join(', ')}` : '';
  const quadProbes = right.filter((name) => name.startsWith('margin_') || name.startsWith('shift_'));
  if (!f.crop && f.refReads.some(same)) {
    const only = Object.keys(f.probes ?? {}).some((name) => name.startsWith('shift_')) && !quadProbes.length;
    return { stage: 'corners', detail: `reads right from the reference box${only ? ' only' : ''}${also}` };
  }
  if (!f.crop && quadProbes.length)
    return {
      stage: 'corners',
      detail: `reads right from its quad ${quadProbes.some((n) => n.startsWith('margin_')) ? 'pushed out' : 'moved'}${also}`,
    };
  return {
    stage: 'reader',
    detail: `misread${f.crop || f.plateRef ? '' : ' (no reference box to check corners)'}${also}`,
  };
}

/**
 * Levenshtein alignment of `read` against `label` (both normalised): the edit operations,
 * label order. Substitutions are [label char, read char]; deletions drop a label char;
 * insertions add a read char.
 * @returns {{ op: 'sub' | 'del' | 'ins', at: number, want?: string, got?: string }[]}
 */
export function editOps(read, label) {
  const a = [...label];
  const b = [...read];
  const d = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++)
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
  const ops = [];
  let i = a.length;
  let j = b.length;
  while (i > 0 || j > 0) {
    if (i > 0 && j > 0 && d[i][j] === d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1)) {
      if (a[i - 1] !== b[j - 1]) ops.push({ op: 'sub', at: i - 1, want: a[i - 1], got: b[j - 1] });
      i--;
      j--;
    } else if (i > 0 && d[i][j] === d[i - 1][j] + 1) {
      ops.push({ op: 'del', at: i - 1, want: a[i - 1] });
      i--;
    } else {
      ops.push({ op: 'ins', at: i, got: b[j - 1] });
      j--;
    }
  }
  return ops.reverse();
}

const CJK = /[\u3400-\u9fff]/;

/**
 * What kind of misread a raw read is, against its label: tags (`nothing read`, `rows`,
 * `missing chars`, `extra chars`, `province`, `serial`) and the substituted pairs. A Chinese
 * plate's first character is its province; `province` is tagged when it is wrong or missing.
 * @param {{ label: string, rawRows: string[], labelRows?: number | null }} r
 */
export function readerFaults({ label, rawRows, labelRows = null }) {
  const want = normalisePlate(label);
  const rows = rawRows.map(normalisePlate).filter((x) => x.length > 0);
  const got = rows.join('');
  const tags = [];
  if (got === '') return { tags: ['nothing read'], subs: [] };
  if (labelRows !== null && rows.length !== labelRows)
    tags.push(labelRows === 2 ? 'two-row read as one' : 'one-row read as two');
  const ops = editOps(got, want);
  const length = [...got].length - [...want].length;
  if (length < 0) tags.push('missing chars');
  if (length > 0) tags.push('extra chars');
  const cn = CJK.test([...want][0] ?? '');
  if (cn && ops.some((o) => o.at === 0 && o.op !== 'ins')) tags.push('province');
  if (ops.some((o) => o.op === 'sub' && !(cn && o.at === 0))) tags.push('serial');
  const subs = ops.filter((o) => o.op === 'sub').map((o) => [o.want, o.got]);
  return { tags, subs };
}

/** Counts of `rows` (diagnosis rows: `{ set, stage }`) per set and stage, as a Markdown table. */
export function stageTable(rows) {
  const sets = [...new Set(rows.map((r) => r.set))];
  const header = ['set', 'images', ...STAGES];
  const lines = [header, header.map(() => '---')];
  for (const set of sets) {
    const mine = rows.filter((r) => r.set === set);
    lines.push([set, String(mine.length), ...STAGES.map((s) => String(mine.filter((r) => r.stage === s).length))]);
  }
  return lines.map((l) => `| ${l.join(' | ')} |`).join('\n');
}

/** The most frequent values of `items` (strings), as `value n` pairs, most first. */
export function topCounts(items, n = 10) {
  const counts = new Map();
  for (const item of items) counts.set(item, (counts.get(item) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || String(a[0]).localeCompare(String(b[0]))).slice(0, n);
}
