import type { Context } from "aws-lambda";
import { ClientError } from "./errors.js";

/** Kept back from the remaining time for serialising the answer and Lambda's hand-off, whatever the work. */
export const RESPONSE_MARGIN_MS = 250;

/** What one image is assumed to cost (decode + inference) before this environment has measured any. */
export const INITIAL_IMAGE_COST_MS = 250;

/**
 * What one image costs in this execution environment, learnt from the requests it served. The estimate rises fast
 * and falls slowly: after a slow image it stays cautious for a while, so a deadline is met rather than just missed.
 */
export class ImageCostEstimate {
  private perImage: number;

  constructor(initialMs: number = INITIAL_IMAGE_COST_MS) {
    this.perImage = initialMs;
  }

  get perImageMs(): number {
    return this.perImage;
  }

  /** Adds one measurement: `images` images took `elapsedMs` from decoding to scores. */
  record(images: number, elapsedMs: number): void {
    if (!(images > 0) || !(elapsedMs >= 0)) return;
    const observed = elapsedMs / images;
    const weight = observed > this.perImage ? 0.5 : 0.1;
    this.perImage += (observed - this.perImage) * weight;
  }

  /** Milliseconds needed to classify `images` images and answer. */
  neededMs(images: number): number {
    return images * this.perImage + RESPONSE_MARGIN_MS;
  }
}

/**
 * Throws 503 TIMEOUT when the invocation's remaining time cannot cover `images` images and the answer, so the
 * client gets a clear error instead of Lambda killing the invocation mid-work. Without a clock, never throws.
 */
export function assertTimeFor(images: number, remainingMs: (() => number) | undefined, estimate: ImageCostEstimate): void {
  if (!remainingMs || images <= 0) return;
  const remaining = remainingMs();
  const needed = estimate.neededMs(images);
  if (remaining >= needed) return;
  throw new ClientError(
    "TIMEOUT",
    `not enough time left to classify ${images} image${images === 1 ? "" : "s"}: ${Math.max(0, Math.floor(remaining))} ms left ` +
      `of the function timeout, about ${Math.ceil(needed)} ms needed; send fewer images per request or raise the timeout`,
  );
}

/** The invocation's remaining time, when the caller passed a Lambda context that can tell it. */
export function remainingTimeOf(context: Pick<Context, "getRemainingTimeInMillis"> | undefined): (() => number) | undefined {
  return typeof context?.getRemainingTimeInMillis === "function" ? () => context.getRemainingTimeInMillis() : undefined;
}
