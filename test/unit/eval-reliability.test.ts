import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// How often a read is right by its weakest character (scripts/lib/reliability.mjs, plain ESM
// JavaScript), which scripts/sweep-char-floor.mjs prints under each set's floor table.
interface Bin {
  low: number;
  high: number;
  reads: number;
  right: number;
}
interface ReliabilityModule {
  reliabilityBins(labels: { image: string; plate: string }[], predictions: object[], edges: number[]): Bin[];
}
const modulePath = new URL('../../scripts/lib/reliability.mjs', import.meta.url).href;
const load = () => import(modulePath) as Promise<ReliabilityModule>;

const label = (image: string, plate: string) => ({ image: `/data/set/images/${image}`, plate });
const read = (image: string, ...plates: { text: string; confidence: number; weakest_char: number }[]) => ({
  image: `/elsewhere/images/${image}`,
  plates,
});

describe('eval reliability: reliabilityBins', () => {
  it('puts each top read in the bin of its weakest character and counts the right ones', async () => {
    const { reliabilityBins } = await load();
    const bins = reliabilityBins(
      [
        label('a.jpg', '59-P1 664.80'),
        label('b.jpg', '皖A536K3'),
        label('c.jpg', '30Y69889'),
        label('d.jpg', '51F12345'),
      ],
      [
        read('a.jpg', { text: '59P166480', confidence: 0.99, weakest_char: 0.95 }),
        read('b.jpg', { text: '皖A·536K3', confidence: 0.9, weakest_char: 0.5 }),
        read('c.jpg', { text: '30Y69880', confidence: 0.8, weakest_char: 0.2 }),
        read('d.jpg', { text: '51F12346', confidence: 0.97, weakest_char: 0.9 }),
      ],
      [0.5, 0.9],
    );
    expect(bins).toEqual([
      { low: 0, high: 0.5, reads: 1, right: 0 },
      { low: 0.5, high: 0.9, reads: 1, right: 1 },
      { low: 0.9, high: 1, reads: 2, right: 1 },
    ]);
  });

  it('judges the most confident plate of an image, as the scorer does', async () => {
    const { reliabilityBins } = await load();
    const bins = reliabilityBins(
      [label('a.jpg', '59P166480')],
      [
        read(
          'a.jpg',
          { text: '59P166480', confidence: 0.7, weakest_char: 0.99 },
          { text: '59P166488', confidence: 0.95, weakest_char: 0.6 },
        ),
      ],
      [0.5, 0.9],
    );
    expect(bins.map((b) => [b.reads, b.right])).toEqual([
      [0, 0],
      [1, 0],
      [0, 0],
    ]);
  });

  it('leaves out images with no read, an empty read, or no label', async () => {
    const { reliabilityBins } = await load();
    const bins = reliabilityBins(
      [label('a.jpg', '59P166480'), label('b.jpg', '59P166480')],
      [
        read('a.jpg'),
        read('b.jpg', { text: '--', confidence: 0.9, weakest_char: 0.9 }),
        read('x.jpg', { text: '59P166480', confidence: 1, weakest_char: 1 }),
      ],
      [0.5],
    );
    expect(bins.reduce((n, b) => n + b.reads, 0)).toBe(0);
  });
});

describe('sweep-char-floor --bins', () => {
  it.each([['0.5,0.4'], ['0,0.5'], ['0.5,1'], ['half']])('refuses %s by name, before reading anything', (bins) => {
    const script = fileURLToPath(new URL('../../scripts/sweep-char-floor.mjs', import.meta.url));
    const run = spawnSync(process.execPath, [script, '--bins', bins, '--eval-dir', '/nonexistent'], {
      encoding: 'utf8',
    });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('--bins: expected rising numbers between 0 and 1');
  });
});
