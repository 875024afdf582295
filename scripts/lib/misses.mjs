// The images an engine did not read exactly, one row each, so that a person can look at them:
// what the label says, what the engine read, how sure it was of its least certain character,
// and what it turned away and why. Judged as ../shared/tools/score-plates.mjs judges: the top
// plate (highest confidence) against the label, both normalised, images matched by the last two
// parts of their path, and the last label row of an image the one that counts.

export const MISSES_HEADER = ['image', 'label', 'read', 'weakest_char', 'rejected'];

/** Upper case; letters, digits and CJK only: "59-P1 664.80" is "59P166480" (as the scorer). */
export const normalisePlate = (text) =>
  String(text ?? '')
    .toUpperCase()
    .replace(/[^0-9A-Z\u3400-\u9fff]/g, '');

/** An image's key when labels and predictions are matched: the last two parts of its path. */
export const imageKey = (path) => String(path).split('/').slice(-2).join('/');
const cell = (value) => String(value ?? '').replace(/[\t\r\n]+/g, ' ');

/**
 * @param {{ image: string, plate: string }[]} labels  rows of a labels file
 * @param {{ image: string, plates?: object[], rejected?: object[] }[]} predictions  `recognize --jsonl` objects
 * @returns {string[][]} one row per missed image, in label order, columns as MISSES_HEADER
 */
export function missedReads(labels, predictions) {
  const predictionOf = new Map(predictions.map((p) => [imageKey(p.image), p]));
  const labelOf = new Map(labels.map((l) => [imageKey(l.image), l]));
  const rows = [];
  for (const [key, label] of labelOf) {
    const prediction = predictionOf.get(key);
    const top = topPlate(prediction);
    if (top && normalisePlate(top.text) === normalisePlate(label.plate)) continue;
    const rejected = prediction
      ? (prediction.rejected ?? []).map((r) => `${r.raw ?? r.text ?? ''} (${r.reason ?? 'no reason given'})`).join('; ')
      : 'no prediction for this image';
    rows.push([key, label.plate, top?.text ?? '', top?.weakest_char ?? '', rejected].map(cell));
  }
  return rows;
}

/** The plate the scorer judges: the most confident of a prediction's plates, or null. */
export function topPlate(prediction) {
  return (prediction?.plates ?? []).reduce(
    (best, p) => (best === null || (p.confidence ?? 0) > (best.confidence ?? 0) ? p : best),
    null,
  );
}

/** The rows as a TSV file's text, header first. */
export function missesTsv(rows) {
  return [MISSES_HEADER, ...rows].map((r) => r.join('\t')).join('\n') + '\n';
}
