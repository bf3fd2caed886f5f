import { z } from "zod";
import { accountId, bucketName } from "../../handler/s3-allowlist.js";
import { logRetentionDaysSchema } from "../log-retention.js";
import { s3InputSchema, s3PrefixSchema } from "../s3-location-schema.js";

/** Distributed Map runs at most this many child workflows at once. */
export const MAX_MAP_CONCURRENCY = 10_000;
/** Items the function accepts in one Distributed Map batch (the handler refuses more as a whole). */
export const MAX_ITEMS_PER_BATCH = 1000;
/** An Express child workflow runs at most five minutes, retries included. */
export const EXPRESS_CHILD_MAX_SECONDS = 300;
/** Under the results prefix, where manifests for the state machine and S3 Batch Operations go (e.g. `--resume`'s). */
export const RESULTS_MANIFESTS_FOLDER = "manifests/";

/**
 * Where ResultWriter writes: `<bucket>/<prefix>/<map run id>/…`. Step Functions adds the `/` after the prefix, so the
 * prefix has none at its end (and `<prefix>/` is what the roles may write).
 */
const resultsSchema = z.strictObject({
  bucket: bucketName,
  prefix: s3PrefixSchema
    .min(1, "must not be empty (results need their own folder)")
    .regex(/[^/]$/, 'must not end with "/" (Step Functions adds it before the map run id)')
    .default("batch-results"),
  /** Account that must own the results bucket; default: the stage's (s3InputExpectedBucketOwner), else the deploying one. */
  expectedBucketOwner: accountId.optional(),
});

export const batchConfigSchema = z.strictObject({
  /**
   * The buckets and prefixes a batch may read (listed by the state machine, read by the batch function). They are
   * added to the batch function's S3_INPUT_ALLOWLIST (and its role) besides the stage's `s3InputAllowlist`.
   */
  inputs: z.array(s3InputSchema).min(1, "must name at least one bucket/prefix a batch may read"),
  /**
   * Further places the state machine and S3 Batch Operations may read manifests from (CSV, JSONL, S3 inventory
   * manifest.json and its data files). Always readable as well: the input prefixes and `<results prefix>/manifests/`.
   */
  manifests: z.array(s3InputSchema).default([]),
  results: resultsSchema,
  /** Items per child invocation (ItemBatcher.MaxItemsPerBatch); MaxInputBytesPerBatch is 256 KiB regardless. */
  maxItemsPerBatch: z.number().int().min(1).max(MAX_ITEMS_PER_BATCH).default(16),
  /** Child workflows at once (MaxConcurrency); each runs one invocation at a time. */
  maxConcurrency: z.number().int().min(1).max(MAX_MAP_CONCURRENCY).default(100),
  /** A map run fails once more than this share of its child workflows failed (an item error never fails a child). */
  toleratedFailurePercentage: z.number().min(0).max(100).default(5),
  /** Reserved concurrency of the batch function: what batches may use, and never more. */
  reservedConcurrency: z.number().int().min(1).default(100),
  /** Memory of the batch function; default: the stage's memoryMb. */
  memoryMb: z.number().int().min(128).max(10_240).optional(),
  /** Timeout of the batch function: batches run longer than URL requests. */
  timeoutSeconds: z.number().int().min(1).max(900).default(300),
  /** Child workflow type: STANDARD (up to a year, exactly once) or EXPRESS (≤ 5 min, cheaper per transition). */
  executionType: z.enum(["STANDARD", "EXPRESS"]).default("STANDARD"),
  logging: z
    .strictObject({
      level: z.enum(["ALL", "ERROR", "FATAL", "OFF"]).default("ERROR"),
      /** Log execution input and output (object keys and predictions) too. */
      includeExecutionData: z.boolean().default(false),
      /** Retention of the state machine's and the batch function's log groups; default: the stage's. */
      retentionDays: logRetentionDaysSchema.optional(),
    })
    .prefault({}),
  batchOperations: z.strictObject({ enabled: z.boolean().default(true) }).prefault({}),
});

export type BatchConfigInput = z.input<typeof batchConfigSchema>;
export type BatchConfig = z.output<typeof batchConfigSchema>;

interface Location {
  bucket: string;
  prefix: string;
}

/** Two grants overlap when one's prefix starts the other's in the same bucket. */
function overlaps(a: Location, b: Location): boolean {
  return a.bucket === b.bucket && (a.prefix.startsWith(b.prefix) || b.prefix.startsWith(a.prefix));
}

/** `<prefix>/`: what ResultWriter writes under. */
export function resultsFolder(results: Location): string {
  return `${results.prefix}/`;
}

export interface BatchIssue {
  path: (string | number)[];
  message: string;
}

/** The rules that span fields of the batch block (paths relative to the stage). */
export function batchIssues(batch: BatchConfig, stage: { memoryMb: number; minimumMemoryMb: number }): BatchIssue[] {
  const issues: BatchIssue[] = [];
  const results = { bucket: batch.results.bucket, prefix: resultsFolder(batch.results) };
  batch.inputs.forEach((input, index) => {
    if (overlaps(input, results)) {
      issues.push({
        path: ["batch", "results", "prefix"],
        message:
          `must not overlap batch.inputs.${index} (s3://${input.bucket}/${input.prefix}): a later listing would score ` +
          "the result files, and the batch function could read what the state machine writes",
      });
    }
  });
  const memoryMb = batch.memoryMb ?? stage.memoryMb;
  if (memoryMb < stage.minimumMemoryMb) {
    issues.push({
      path: ["batch", "memoryMb"],
      message:
        `must be at least ${stage.minimumMemoryMb}${batch.memoryMb === undefined ? ` (it defaults to the stage's memoryMb, ${memoryMb})` : ""}: ` +
        "the batch function reads from S3 and must hold the worst request the stage's limits allow",
    });
  }
  if (batch.executionType === "EXPRESS" && batch.timeoutSeconds >= EXPRESS_CHILD_MAX_SECONDS) {
    issues.push({
      path: ["batch", "timeoutSeconds"],
      message: `must be under ${EXPRESS_CHILD_MAX_SECONDS} with executionType EXPRESS: an Express child workflow runs at most 5 minutes, retries included`,
    });
  }
  return issues;
}

/** Advice that does not stop synthesis. */
export function batchWarnings(batch: BatchConfig): string[] {
  const warnings: string[] = [];
  if (batch.reservedConcurrency < batch.maxConcurrency) {
    warnings.push(
      `batch.reservedConcurrency (${batch.reservedConcurrency}) is below batch.maxConcurrency (${batch.maxConcurrency}): ` +
        "children beyond it are throttled and retried, and fail after 6 attempts; make reservedConcurrency ≥ maxConcurrency",
    );
  }
  return warnings;
}
