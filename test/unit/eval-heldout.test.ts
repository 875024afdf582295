import { describe, expect, it } from 'vitest';

// The held-out split scripts/eval.mjs scores the project's own models on (scripts/lib/heldout.mjs,
// plain ESM JavaScript). It must agree with scripts/train/platedata.py `is_val`, so the expected
// values below were computed with Python, not with the module under test:
//   /usr/bin/python3 -c "import hashlib; s='vn-greenparking/images/0313_05990_b.jpg'; \
//     v = int.from_bytes(hashlib.sha1(s.encode('utf-8')).digest()[:4], 'big'); print(v, v % 100)"
interface HeldOutModule {
  HELDOUT_PERCENT: number;
  heldOutBucket(folder: string, image: string): number;
  isHeldOut(folder: string, image: string, percent?: number): boolean;
  manifestHeldOutPercent(manifest: unknown): number | null;
}
// Imported by URL so the type checker leaves the JavaScript module alone.
const modulePath = new URL('../../scripts/lib/heldout.mjs', import.meta.url).href;
const load = () => import(modulePath) as Promise<HeldOutModule>;

// [folder, image column value, first 4 bytes of the sha1 as a big-endian integer] from Python.
const PYTHON: [string, string, number][] = [
  ['vn-greenparking', 'images/0313_05990_b.jpg', 3399758863],
  ['vn-greenparking', 'images/0047_00966_b.jpg', 1578304900],
  ['vn-greenparking', 'images/0141_05722_b.jpg', 1150334519],
  ['vn-greenparking', 'images/0144_02007_b.jpg', 1134487820],
  ['vn-greenparking', 'images/0128_08102_b.jpg', 1045357799],
  ['cn-ccpd-crops', 'images/0003.jpg', 3874065418],
  ['cn-ccpd-crops', 'images/0000.jpg', 829977993],
  ['openalpr-endtoend', 'br/AYO9034.jpg', 4136976570],
  // The sets added for issue 24 follow the same rule.
  ['cn-easypr-crops', 'images/easypr_crop_0000.jpg', 2127213930],
  ['cn-hyperlpr-tollgate', 'images/hyperlpr_0000.jpg', 1454088798],
  ['vn-car-plates', 'images/pbl4_0001.jpg', 2202735754],
  // Hashed as UTF-8, as Python's str.encode('utf-8').
  ['cn-ccpd-crops', 'images/京A12345.jpg', 1231183699],
];

describe('held-out split', () => {
  it('puts each image in the bucket Python computes', async () => {
    const { heldOutBucket } = await load();
    for (const [folder, image, sha1Head] of PYTHON)
      expect(heldOutBucket(folder, image), `${folder}/${image}`).toBe(sha1Head % 100);
  });

  it('holds out buckets 0..19 and trains on 20..99', async () => {
    const { HELDOUT_PERCENT, isHeldOut } = await load();
    expect(HELDOUT_PERCENT).toBe(20);
    expect(isHeldOut('vn-greenparking', 'images/0047_00966_b.jpg')).toBe(true); // bucket 0
    expect(isHeldOut('vn-greenparking', 'images/0141_05722_b.jpg')).toBe(true); // bucket 19
    expect(isHeldOut('cn-ccpd-crops', 'images/0003.jpg')).toBe(true); // bucket 18
    expect(isHeldOut('vn-greenparking', 'images/0144_02007_b.jpg')).toBe(false); // bucket 20
    expect(isHeldOut('vn-greenparking', 'images/0313_05990_b.jpg')).toBe(false); // bucket 63
    expect(isHeldOut('vn-greenparking', 'images/0128_08102_b.jpg')).toBe(false); // bucket 99
    // A smaller percentage holds out fewer images.
    expect(isHeldOut('vn-greenparking', 'images/0141_05722_b.jpg', 10)).toBe(false);
    // The folder is part of the key: the same image path falls elsewhere in another set
    // (vn-crops-silver/images/0003.jpg: 3937074169, bucket 69, from Python).
    expect(isHeldOut('vn-crops-silver', 'images/0003.jpg')).toBe(false);
  });

  it('reads the percentage a model manifest was trained with', async () => {
    const { manifestHeldOutPercent } = await load();
    expect(
      manifestHeldOutPercent({ validation_split: 'sha1("<folder name>/<image path>") % 100 < 20, per folder' }),
    ).toBe(20);
    expect(
      manifestHeldOutPercent({ validation_split: 'sha1("<folder name>/<image path>") % 100 < 10, per folder' }),
    ).toBe(10);
    expect(manifestHeldOutPercent({ metrics: {} })).toBeNull();
    expect(manifestHeldOutPercent(undefined)).toBeNull();
  });
});
