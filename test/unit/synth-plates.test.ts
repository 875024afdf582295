import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePlate, type PlateColour } from '../../src/plates/parse.js';
import type { Country, PlateKind, RowLayout } from '../../src/plates/types.js';

// The synthetic plate generator (scripts/synth, plain ESM JavaScript; docs/synthetic-data.md).
// Its specs come from the grammar built in dist/; here they are checked against the source one.
const run = promisify(execFile);
const script = fileURLToPath(new URL('../../scripts/synth/plates.mjs', import.meta.url));

interface Spec {
  synthKind: string;
  country: Country;
  kind: PlateKind;
  text: string;
  display: string;
  rows: string[];
  layout: RowLayout;
  colour: string;
  hint?: PlateColour;
  sign?: Sign;
}
interface Sign {
  text: string;
  board: boolean;
  width: number;
  height: number;
  gap: number;
  offset: number;
  visible: number;
}
interface SpecsModule {
  SYNTH_KINDS: Record<string, { country: Country; weight: number; kinds: PlateKind[]; optIn?: boolean }>;
  DEFAULT_KINDS: string[];
  SIGN_TEXTS: string[];
  resolveKinds(list?: string): string[];
  VN_PROVINCES: string[];
  CN_PROVINCES: string[];
  makeSpec(seed: number, index: number, kinds?: string[]): Spec;
}
interface RenderModule {
  renderCrop(
    spec: Spec,
    opts: { seed: number; index: number; size?: [number, number]; augment?: boolean },
  ): Promise<{ png: Buffer; width: number; height: number; augment: string }>;
}
// Imported by URL so the type checker leaves the JavaScript modules alone.
const specsModule = new URL('../../scripts/synth/specs.mjs', import.meta.url).href;
const renderModule = new URL('../../scripts/synth/render.mjs', import.meta.url).href;
const { SYNTH_KINDS, DEFAULT_KINDS, SIGN_TEXTS, VN_PROVINCES, CN_PROVINCES, makeSpec, resolveKinds } = (await import(
  specsModule
)) as SpecsModule;
const { renderCrop } = (await import(renderModule)) as RenderModule;

const SEED = 20261125;
const specs = Array.from({ length: 4000 }, (_, i) => makeSpec(SEED, i));

describe('synthetic plate specs', () => {
  it('are all read by parsePlate as the intended country and kind, with no correction', () => {
    const wrong = specs.flatMap((s) => {
      const p = parsePlate(s.rows, s.hint ? { color: s.hint } : {});
      const ok =
        p.valid &&
        p.text === s.text &&
        p.country === s.country &&
        p.kind === s.kind &&
        p.layout === s.layout &&
        p.corrections === 0;
      return ok
        ? []
        : [
            `${s.synthKind} ${s.rows.join(' | ')}: ${p.valid ? `${p.country} ${p.kind} ${p.layout} ${p.text}` : p.reason}`,
          ];
    });
    expect(wrong).toEqual([]);
  });

  it('cover every kind, province code and province character', () => {
    const synthKinds = new Set(specs.map((s) => s.synthKind));
    expect([...synthKinds].sort()).toEqual([...DEFAULT_KINDS].sort());
    const kinds = new Set(specs.map((s) => `${s.country} ${s.kind}`));
    for (const [, k] of Object.entries(SYNTH_KINDS))
      for (const kind of k.kinds) expect(kinds).toContain(`${k.country} ${kind}`);
    // The grammar's own tables: 81 Vietnamese province codes, 31 Chinese province characters.
    expect(VN_PROVINCES).toHaveLength(81);
    expect(CN_PROVINCES).toHaveLength(31);
    const vn = new Set(specs.filter((s) => s.country === 'VN' && /^\d\d/.test(s.text)).map((s) => s.text.slice(0, 2)));
    expect([...vn].sort()).toEqual([...VN_PROVINCES].sort());
    const cn = new Set(specs.filter((s) => s.country === 'CN').map((s) => s.text[0]));
    for (const c of CN_PROVINCES) expect(cn).toContain(c);
    // Both layouts where a kind has both; the colours of each family.
    const layouts = (k: string) => new Set(specs.filter((s) => s.synthKind === k).map((s) => s.layout));
    for (const k of ['vn-private', 'vn-commercial', 'vn-state', 'vn-military', 'cn-trailer'])
      expect(layouts(k).size).toBe(2);
    expect(layouts('cn-yellow-two-row')).toEqual(new Set(['two-row']));
    expect(new Set(specs.filter((s) => s.synthKind === 'cn-new-energy').map((s) => s.text.length))).toEqual(
      new Set([8]),
    );
    expect(new Set(specs.map((s) => s.colour))).toEqual(
      new Set(['white', 'yellow', 'blue', 'red', 'green', 'yellow-green', 'black']),
    );
  });

  it('make about a quarter of the Chinese plates Yunnan (云) plates', () => {
    const provincial = specs.filter(
      (s) => s.country === 'CN' && CN_PROVINCES.includes(s.text[0]!) && s.kind !== 'hong-kong-macau',
    );
    const share = provincial.filter((s) => s.text.startsWith('云')).length / provincial.length;
    expect(share).toBeGreaterThan(0.21);
    expect(share).toBeLessThan(0.29);
  });

  it('depend only on the seed and the index', () => {
    expect(makeSpec(SEED, 123)).toEqual(specs[123]);
    expect(Array.from({ length: 50 }, (_, i) => makeSpec(SEED + 1, i).text)).not.toEqual(
      specs.slice(0, 50).map((s) => s.text),
    );
    const onlyCn = Array.from({ length: 200 }, (_, i) => makeSpec(SEED, i, ['cn-new-energy', 'cn-trailer']));
    expect(new Set(onlyCn.map((s) => s.synthKind))).toEqual(new Set(['cn-new-energy', 'cn-trailer']));
  });
});

describe('yellow truck plates over a sign (cn-yellow-sign)', () => {
  const signed = Array.from({ length: 300 }, (_, i) => makeSpec(SEED, i, ['cn-yellow-sign']));

  it('are drawn only when named, so the default and `cn` runs of a seed keep their specs', () => {
    expect(SYNTH_KINDS['cn-yellow-sign']?.optIn).toBe(true);
    expect(DEFAULT_KINDS).not.toContain('cn-yellow-sign');
    expect(resolveKinds()).toEqual(DEFAULT_KINDS);
    expect(resolveKinds('cn')).not.toContain('cn-yellow-sign');
    expect(resolveKinds('cn,cn-yellow-sign')).toContain('cn-yellow-sign');
    expect(specs.some((s) => s.sign)).toBe(false);
  });

  it('are one-row yellow plates labelled with the plate alone, every sign text among them', () => {
    for (const s of signed) {
      expect(s.rows).toHaveLength(1);
      expect([s.layout, s.colour, s.kind]).toEqual(['one-row', 'yellow', 'ordinary']);
      expect(parsePlate(s.rows).text).toBe(s.text);
      expect(SIGN_TEXTS).toContain(s.sign!.text);
      expect(s.text).not.toContain(s.sign!.text[0]);
      expect(s.sign!.visible).toBeGreaterThan(0.4);
      expect(s.sign!.visible).toBeLessThanOrEqual(1);
    }
    expect(new Set(signed.map((s) => s.sign!.text))).toEqual(new Set(SIGN_TEXTS));
    expect(new Set(signed.map((s) => s.sign!.board))).toEqual(new Set([true, false]));
  });

  it('give a crop taller than the plate: the sign below it', async () => {
    const spec = signed[0]!;
    const crop = await renderCrop(spec, { seed: SEED, index: 0, augment: false });
    const plateOnly = await renderCrop({ ...spec, sign: undefined }, { seed: SEED, index: 0, augment: false });
    expect(crop.width).toBe(plateOnly.width);
    expect(crop.height).toBeGreaterThan(plateOnly.height * 1.2);
    // Below the plate, the sign's ink (a board's black text or painted text) darkens some pixels.
    const { data, info } = await sharp(crop.png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    let dark = 0;
    for (let y = plateOnly.height + 2; y < info.height; y++)
      for (let x = 0; x < info.width; x++) {
        const i = (y * info.width + x) * 3;
        if (data[i]! + data[i + 1]! + data[i + 2]! < 200) dark++;
      }
    expect(dark).toBeGreaterThan(20);
  });
});

describe('synthetic plate crops', () => {
  const pick = (synthKind: string, layout: RowLayout) =>
    specs.find((s) => s.synthKind === synthKind && s.layout === layout)!;

  it('keep the real proportions of each plate', async () => {
    const cases: Array<[Spec, number]> = [
      [pick('vn-private', 'one-row'), 520 / 110],
      [specs.find((s) => s.kind === 'motorbike')!, 190 / 140],
      [pick('vn-commercial', 'two-row'), 330 / 165],
      [pick('cn-blue', 'one-row'), 440 / 140],
      [specs.find((s) => s.synthKind === 'cn-new-energy')!, 480 / 140],
      [pick('cn-yellow-two-row', 'two-row'), 440 / 220],
    ];
    for (const [spec, aspect] of cases) {
      for (const augment of [false, true]) {
        const crop = await renderCrop(spec, { seed: SEED, index: 0, augment });
        const meta = await sharp(crop.png).metadata();
        expect([meta.width, meta.height]).toEqual([crop.width, crop.height]);
        expect(Math.abs(crop.width / crop.height - aspect) / aspect, `${spec.display} ${augment}`).toBeLessThan(0.03);
      }
    }
  });

  it('differ with augmentation and record what was applied', async () => {
    const spec = pick('cn-blue', 'one-row');
    const clean = await renderCrop(spec, { seed: SEED, index: 1, augment: false });
    expect(clean.augment).toBe('none');
    const raw = (png: Buffer) => sharp(png).removeAlpha().raw().toBuffer();
    const a = await raw(clean.png);
    let differing = 0;
    for (let index = 2; index < 7; index++) {
      const aug = await renderCrop(spec, { seed: SEED, index, augment: true });
      expect(aug.augment).toMatch(/^(none|([a-z]+=[\d./-]+)(;[a-z]+=[\d./-]+)*)$/);
      if (aug.augment === 'none') continue;
      const b = await raw(aug.png);
      let sum = 0;
      for (let i = 0; i < a.length; i++) sum += Math.abs(a[i]! - b[i]!);
      expect(sum / a.length, aug.augment).toBeGreaterThan(8);
      differing++;
    }
    expect(differing).toBeGreaterThan(0);
    const sized = await renderCrop(spec, { seed: SEED, index: 1, size: [160, 48] });
    expect([sized.width, sized.height]).toEqual([160, 48]);
  });
});

describe('scripts/synth/plates.mjs', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'synth-plates-'));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function hashes(out: string): Promise<Record<string, string>> {
    const files = [...(await readdir(join(out, 'images'))).map((f) => `images/${f}`), 'labels.tsv', 'manifest.json'];
    const entries = await Promise.all(
      files.map(
        async (f) =>
          [
            f,
            createHash('sha256')
              .update(await readFile(join(out, f)))
              .digest('hex'),
          ] as const,
      ),
    );
    return Object.fromEntries(entries);
  }

  it('writes the same images, labels and manifest for the same seed', async () => {
    const args = (out: string, seed: number) => [
      script,
      '--out',
      out,
      '--count',
      '12',
      '--seed',
      String(seed),
      '--jobs',
      '3',
    ];
    await Promise.all([run(process.execPath, args(join(dir, 'a'), 7)), run(process.execPath, args(join(dir, 'c'), 8))]);
    await run(process.execPath, args(join(dir, 'b'), 7));
    const [a, b, c] = await Promise.all(['a', 'b', 'c'].map((d) => hashes(join(dir, d))));
    expect(Object.keys(a!)).toHaveLength(14);
    expect(b).toEqual(a);
    expect(c!['labels.tsv']).not.toBe(a!['labels.tsv']);

    const [header, ...rows] = (await readFile(join(dir, 'a', 'labels.tsv'), 'utf8')).trimEnd().split('\n');
    expect(header!.split('\t')).toEqual([
      'image',
      'plate',
      'display',
      'country',
      'kind',
      'rows',
      'colour',
      'synth_kind',
      'augment',
    ]);
    expect(rows).toHaveLength(12);
    for (const row of rows) {
      const [image, plate, display, country, kind, nRows, colour] = row.split('\t');
      expect(image).toMatch(/^images\/\d{6}\.png$/);
      const hint =
        country === 'VN' && ['white', 'yellow', 'blue', 'red'].includes(colour!)
          ? { color: colour as PlateColour }
          : {};
      const p = parsePlate(display!.split(' '), hint);
      expect([p.text, p.country, p.kind, p.layout === 'two-row' ? '2' : '1']).toEqual([plate, country, kind, nRows]);
    }
    const manifest = JSON.parse(await readFile(join(dir, 'a', 'manifest.json'), 'utf8'));
    expect(manifest).toMatchObject({ generator: 'scripts/synth/plates.mjs', seed: 7, count: 12, size: 'native' });
    expect(Object.values(manifest.counts.synthKind as Record<string, number>).reduce((s, n) => s + n, 0)).toBe(12);
    expect(manifest.fonts.map((f: { package: string }) => f.package)).toEqual([
      'fonts-dejavu-core',
      'fonts-wqy-microhei',
    ]);
  });

  it('rejects a kind it does not know', async () => {
    await expect(
      run(process.execPath, [script, '--out', join(dir, 'bad'), '--kinds', 'vn-hovercraft']),
    ).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining('vn-hovercraft'),
    });
  });
});
