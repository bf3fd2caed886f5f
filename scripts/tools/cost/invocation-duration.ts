/** How long one invocation of the function takes for a batch of N images: a fixed part plus a part per image. */
export interface InvocationDurationModel {
  /** Per invocation, whatever the batch size: the first S3 GET's latency, event parsing, the answer. */
  overheadMs: number;
  perImageMs: number;
}

/** A measured per-invocation duration at one batch size. */
export interface MeasuredInvocation {
  batchSize: number;
  ms: number;
}

/**
 * Used when the bench has not measured batch sizes: a 2048 MB Lambda (≈1.2 vCPU) is assumed to take about 15 ms per
 * 640×480 JPEG (the bench's ≈10 ms warm end to end on 2 cores, scaled to the smaller CPU share) and about 20 ms per
 * invocation for the first S3 GET's round trip in the region, which later GETs of a batch overlap with decoding.
 */
export const DEFAULT_INVOCATION_DURATION: InvocationDurationModel = { overheadMs: 20, perImageMs: 15 };

export function invocationDurationMs(model: InvocationDurationModel, batchSize: number): number {
  return model.overheadMs + model.perImageMs * batchSize;
}

/**
 * Least-squares line through measured (batch size, duration) points; the fixed part is kept non-negative (a noisy
 * fit below zero becomes a line through the origin).
 */
export function fitInvocationDuration(points: readonly MeasuredInvocation[]): InvocationDurationModel {
  const sizes = new Set(points.map((point) => point.batchSize));
  if (sizes.size < 2) throw new RangeError(`fitting a duration needs at least two batch sizes, got ${[...sizes].join(", ") || "none"}`);
  const n = points.length;
  const meanX = points.reduce((sum, p) => sum + p.batchSize, 0) / n;
  const meanY = points.reduce((sum, p) => sum + p.ms, 0) / n;
  const sxy = points.reduce((sum, p) => sum + (p.batchSize - meanX) * (p.ms - meanY), 0);
  const sxx = points.reduce((sum, p) => sum + (p.batchSize - meanX) ** 2, 0);
  const perImageMs = sxy / sxx;
  const overheadMs = meanY - perImageMs * meanX;
  if (overheadMs >= 0) return { overheadMs, perImageMs };
  const throughOrigin = points.reduce((sum, p) => sum + p.batchSize * p.ms, 0) / points.reduce((sum, p) => sum + p.batchSize ** 2, 0);
  return { overheadMs: 0, perImageMs: throughOrigin };
}

/** The measured duration at exactly this batch size when there is one, else the model's line. */
export function durationAt(batchSize: number, model: InvocationDurationModel, measured: readonly MeasuredInvocation[] = []): number {
  return measured.find((point) => point.batchSize === batchSize)?.ms ?? invocationDurationMs(model, batchSize);
}
