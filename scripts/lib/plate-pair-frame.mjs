// A Chinese truck's plate and its Vietnamese temporary plate side by side on one bumper, drawn
// as the demo clip draws plates (plate-art.mjs), on a plain 1280x720 frame: the case the
// platenet detector must split into two plates (test/integration/vision-platenet-pair.test.ts,
// scripts/sweep-plate-pairs.mjs).
import sharp from 'sharp';
import { mulberry32, renderPlate } from './plate-art.mjs';

export const PAIR_PLATES = {
  cn: { display: '云A·68420', country: 'CN', kind: 'ordinary', layout: 'one-row', colour: 'yellow' },
  vn: { display: 'T25-135.79', country: 'VN', kind: 'temporary', layout: 'one-row', colour: 'white' },
};
/** Their texts as a reader gives them, sorted. */
export const PAIR_TEXTS = ['T2513579', '云A68420'];

/**
 * A 1280x720 RGB frame: grey road, a red truck front, the two plates `gap` px apart, the Chinese
 * one `cnPx` wide and the Vietnamese one at the same scale (520 mm against 440). `seed` draws
 * the plates' wear. Returns the raw image and each plate's left edge and width.
 */
export async function platePairFrame({ gap, cnPx = 200, seed = 7 }) {
  const vnPx = Math.round((cnPx / 440) * 520);
  const random = mulberry32(seed);
  const [cn, vn] = [
    await renderPlate(PAIR_PLATES.cn, cnPx, { random }),
    await renderPlate(PAIR_PLATES.vn, vnPx, { random }),
  ];
  const left = Math.round((1280 - (cnPx + gap + vnPx)) / 2);
  const boxes = [
    { x: left, w: cnPx },
    { x: left + cnPx + gap, w: vnPx },
  ];
  const { data, info } = await sharp({ create: { width: 1280, height: 720, channels: 3, background: '#7a7d80' } })
    .composite([
      { input: { create: { width: 760, height: 300, channels: 3, background: '#b8452e' } }, left: 260, top: 330 },
      { input: cn.png, left: boxes[0].x, top: 500 },
      { input: vn.png, left: boxes[1].x, top: 500 },
    ])
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { image: { width: info.width, height: info.height, data }, boxes };
}
