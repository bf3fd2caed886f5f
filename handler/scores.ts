/** Numerically stable softmax in float64. */
export function softmax(logits: ArrayLike<number>): Float64Array {
  const out = new Float64Array(logits.length);
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]!);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) {
    const e = Math.exp(logits[i]! - max);
    out[i] = e;
    sum += e;
  }
  for (let i = 0; i < out.length; i++) out[i]! /= sum;
  return out;
}

/** The k highest-scoring labels, best first; equal scores keep label order. */
export function topPredictions(
  row: ArrayLike<number>,
  labels: readonly string[],
  kind: "logits" | "probabilities",
  k: number,
): { label: string; score: number }[] {
  const scores: ArrayLike<number> = kind === "logits" ? softmax(row) : row;
  const order = Array.from({ length: scores.length }, (_, i) => i);
  order.sort((a, b) => scores[b]! - scores[a]! || a - b);
  return order.slice(0, k).map((i) => ({ label: labels[i]!, score: scores[i]! }));
}
