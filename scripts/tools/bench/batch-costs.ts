import { type BatchJobInput, estimateBatchJobCost } from "../cost/batch-estimate.js";
import { type Architecture, ARCHITECTURES } from "../cost/pricing.js";
import type { BatchSizesResult } from "./phases/batch-sizes.js";

/** The job the bench prices its measured durations for (as `npm run cost -- --batch-size N` does by default). */
export const BENCH_BATCH_JOB: Omit<BatchJobInput, "architecture" | "batchSize" | "invocationMs"> = {
  images: 1_000_000,
  memoryMB: 2048,
  childExecutionType: "STANDARD",
  source: "listing",
};

/** Cheaper per image at the best batch size than at one image per invocation by at least this factor. */
export const BATCH_COST_GOAL = 2;

export interface BatchSizeCost {
  batchSize: number;
  /** The measured p50 per-invocation duration the cost is computed with. */
  invocationMs: number;
  /** USD per million images for the whole job (Lambda, Step Functions, S3 requests), by architecture. */
  perMillionImages: Record<Architecture, number>;
  /** USD per million images of the Lambda part alone (requests + duration). */
  lambdaPerMillionImages: Record<Architecture, number>;
}

const byArchitecture = (value: (architecture: Architecture) => number) =>
  Object.fromEntries(ARCHITECTURES.map((architecture) => [architecture, value(architecture)])) as Record<Architecture, number>;

/** Each measured batch size's p50 invocation duration priced as a Distributed Map job of BENCH_BATCH_JOB. */
export function batchSizeCosts(result: Pick<BatchSizesResult, "runs">): BatchSizeCost[] {
  return result.runs.map((run) => {
    const cost = (architecture: Architecture) =>
      estimateBatchJobCost({ ...BENCH_BATCH_JOB, architecture, batchSize: run.batchSize, invocationMs: run.invocationMs.p50 });
    return {
      batchSize: run.batchSize,
      invocationMs: run.invocationMs.p50,
      perMillionImages: byArchitecture((architecture) => cost(architecture).perMillionImages),
      lambdaPerMillionImages: byArchitecture((architecture) => (cost(architecture).lambda.total / BENCH_BATCH_JOB.images) * 1e6),
    };
  });
}
