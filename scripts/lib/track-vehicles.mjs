// The vehicles of the lane test track (scripts/render-demo-clip.mjs --scene track): plates from
// the synthetic plate generator's specs (scripts/synth/specs.mjs, so every text is one the
// project's grammar accepts), on the demo clip's bodies, each under one of the conditions of
// clip-conditions.mjs. Deterministic by seed. Vehicle i has plate type i mod 9 and condition
// i mod 7, so every condition meets a different mix of plates, and vehicle 0 is a clean Vietnamese
// car: the control a short track always starts with.
import { mulberry32 } from './plate-art.mjs';
import { CONDITIONS } from './clip-conditions.mjs';

/** Plate types in the order they come round: a spec's synth kind, a test on it, and the body it sits on. */
const TYPES = [
  { synth: 'vn-private', where: (s) => s.kind === 'car' && s.layout === 'one-row', body: 'car-front' },
  { synth: 'cn-blue', body: 'car-front' },
  { synth: 'vn-commercial', where: (s) => s.layout === 'one-row', body: 'truck-front' },
  { synth: 'cn-yellow-two-row', body: 'truck-rear' },
  { synth: 'vn-private', where: (s) => s.kind === 'motorbike' && !s.display.includes('MĐ'), body: 'bike-rear' },
  { synth: 'cn-new-energy', where: (s) => s.colour === 'green', body: 'car-front' },
  // A square two-row plate on a box body (`29C` over `123.45`): the grammar's car plate, printed in two rows.
  {
    synth: 'vn-private',
    where: (s) => s.kind === 'car' && /^\d\d[A-Z]-/.test(s.display),
    layout: 'two-row',
    body: 'truck-rear',
  },
  { synth: 'cn-yellow', body: 'truck-front' },
  // A Chinese truck with its Vietnamese temporary plate beside its own.
  { synth: 'cn-yellow', body: 'truck-front', second: 'vn-temporary' },
];

const COLOURS = ['#b8bcc2', '#1f3f8f', '#ececea', '#2f7d4f', '#d9d4c7', '#23324a', '#8a6a48', '#a3232a', '#b8452e'];

export const TRACK_VEHICLES = 35;

/**
 * `count` vehicles for the renderer's slots: { body, colour, plate, second?, condition }, plates
 * as plateSvg draws them (display, country, kind, layout, colour, accent) and never repeated.
 */
export async function trackVehicles(seed, count = TRACK_VEHICLES) {
  // Built code of the grammar: the caller runs after `npm run build` (set-up does it).
  const { makeSpec } = await import('../synth/specs.mjs');
  const random = mulberry32((seed ^ 0x5eed7) >>> 0);
  const used = new Set();
  let index = 0;
  const specWhere = (synth, where = () => true) => {
    for (;;) {
      const s = makeSpec(seed, index++, [synth]);
      if (where(s) && !used.has(s.text)) {
        used.add(s.text);
        const { display, country, kind, layout, colour, accent } = s;
        return { display, country, kind, layout, colour, ...(accent ? { accent } : {}) };
      }
    }
  };
  return Array.from({ length: count }, (_, i) => {
    const type = TYPES[i % TYPES.length];
    const plate = specWhere(type.synth, type.where);
    if (type.layout) plate.layout = type.layout;
    return {
      body: type.body,
      colour: COLOURS[Math.floor(random() * COLOURS.length)],
      plate,
      ...(type.second ? { second: specWhere(type.second) } : {}),
      condition: CONDITIONS[i % CONDITIONS.length],
    };
  });
}
