// How often an engine's read is right at each level of its weakest character's probability: the
// measure of whether that probability is calibrated, and of what a floor on it can remove. Each
// image's top read is judged as ../shared/tools/score-plates.mjs judges it (scripts/lib/misses.mjs).
import { imageKey, normalisePlate, topPlate } from './misses.mjs';

/**
 * @param {{ image: string, plate: string }[]} labels  rows of a labels file
 * @param {{ image: string, plates?: object[] }[]} predictions  `recognize --jsonl` objects
 * @param {number[]} edges  rising bin edges between 0 and 1, e.g. [0.5, 0.9]: bins 0–0.5, 0.5–0.9, ≥ 0.9
 * @returns {{ low: number, high: number, reads: number, right: number }[]} one per bin, lowest
 *   first; images with no read, or no label, are in no bin
 */
export function reliabilityBins(labels, predictions, edges) {
  const lows = [0, ...edges];
  const bins = lows.map((low, i) => ({ low, high: i < edges.length ? edges[i] : 1, reads: 0, right: 0 }));
  const plateOf = new Map(labels.map((l) => [imageKey(l.image), normalisePlate(l.plate)]));
  for (const prediction of predictions) {
    const truth = plateOf.get(imageKey(prediction.image));
    const top = topPlate(prediction);
    const text = normalisePlate(top?.text);
    if (truth === undefined || !text) continue;
    const weakest = top.weakest_char ?? 0;
    const bin = bins.findLast((b) => weakest >= b.low) ?? bins[0];
    bin.reads++;
    if (text === truth) bin.right++;
  }
  return bins;
}
