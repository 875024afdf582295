import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePlate } from '../../src/plates/parse.js';

/**
 * The grammars against every human-labelled plate in the shared data sets (kept beside the
 * project, never in it): each label must be accepted as itself. Skips when the sets are absent.
 */
const DATASETS = resolve(process.env.SMARTGATE_DATASETS ?? join(process.cwd(), '..', 'shared', 'datasets'));

function readLabels(name: string): Array<Record<string, string>> {
  const [header, ...lines] = readFileSync(join(DATASETS, name, 'labels.tsv'), 'utf8')
    .split('\n')
    .filter(Boolean);
  const columns = header!.split('\t');
  return lines.map((line) => {
    const cells = line.split('\t');
    return Object.fromEntries(columns.map((c, i) => [c, cells[i] ?? '']));
  });
}

const present =
  existsSync(join(DATASETS, 'vn-greenparking', 'labels.tsv')) &&
  existsSync(join(DATASETS, 'cn-ccpd-crops', 'labels.tsv'));
if (!present) console.warn(`plates-grammar-datasets: skipped, no data sets at ${DATASETS} (set SMARTGATE_DATASETS)`);

describe.skipIf(!present)('plate grammars on the labelled data sets', () => {
  it('accepts every GreenParking motorbike plate as labelled', () => {
    const labels = readLabels('vn-greenparking');
    expect(labels.length).toBeGreaterThan(1000);
    const misses = labels
      .map((l) => ({ label: l, plate: parsePlate(l.display!.split(' '), { countries: ['VN', 'CN'] }) }))
      .filter(({ label, plate }) => !plate.valid || plate.text !== label.plate || plate.kind !== 'motorbike')
      .map(({ label, plate }) => `${label.display} → ${plate.text} ${plate.kind} ${plate.reason ?? ''}`);
    expect(misses).toEqual([]);
  });

  it('accepts every CCPD plate as an ordinary Chinese plate', () => {
    const labels = readLabels('cn-ccpd-crops');
    expect(labels.length).toBeGreaterThan(500);
    const misses = labels
      .map((l) => ({ label: l, plate: parsePlate([l.plate!]) }))
      .filter(({ label, plate }) => !plate.valid || plate.text !== label.plate || plate.kind !== 'ordinary')
      .map(({ label, plate }) => `${label.plate} → ${plate.text} ${plate.kind} ${plate.reason ?? ''}`);
    expect(misses).toEqual([]);
  });
});
