// The held-out split of the real labelled sets: the images the project's own models are never
// trained on, so evaluation on them measures what a model does on plates it has not seen.
//
// It must stay the same rule as scripts/train/platedata.py `is_val`: the first 4 bytes of
// sha1("<folder name>/<image column value>") as a big-endian integer, modulo 100, below the
// percentage. It depends only on the folder's name and the image's path as the labels write it,
// never on the order of rows, the machine or a seed, so a training run and an evaluation run made
// months apart agree on which images are which.
import { createHash } from 'node:crypto';

/**
 * The platenet models are trained with `--val-percent 20` (scripts/train): scripts/eval.mjs
 * compares this with the split each model's manifest records.
 */
export const HELDOUT_PERCENT = 20;

/** 0..99: where `folder/image` falls in the split. */
export function heldOutBucket(folder, image) {
  const digest = createHash('sha1').update(`${folder}/${image}`, 'utf8').digest();
  return digest.readUInt32BE(0) % 100;
}

/** Whether training never saw this image (`image` exactly as the labels.tsv column has it). */
export function isHeldOut(folder, image, percent = HELDOUT_PERCENT) {
  return heldOutBucket(folder, image) < percent;
}

/**
 * The percentage a model manifest says its training held out, from the `validation_split` text
 * the training scripts write (`sha1("<folder name>/<image path>") % 100 < 20, per folder`);
 * null when the manifest does not say.
 */
export function manifestHeldOutPercent(manifest) {
  const text = manifest?.validation_split;
  const m = typeof text === 'string' ? /%\s*100\s*<\s*(\d+)/.exec(text) : null;
  return m ? Number(m[1]) : null;
}
