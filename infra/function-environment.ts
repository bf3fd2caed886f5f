import type { StageConfig } from "./config.js";

/** Lambda allots one full vCPU per 1,769 MB of memory, up to 6 vCPUs at 10,240 MB. */
const MB_PER_VCPU = 1769;
const MAX_VCPUS = 6;

/** ONNX Runtime intra-op threads for a memory size: about one per allotted vCPU, never fewer than one. */
export function threadsForMemory(memoryMb: number): number {
  return Math.max(1, Math.min(MAX_VCPUS, Math.round(memoryMb / MB_PER_VCPU)));
}

/**
 * S3_INPUT_ALLOWLIST: the entries the handler may read as JSON, `[{"bucket","prefix"}]` (plus `expectedBucketOwner`
 * where an entry names its own); the IAM policy grants exactly these.
 */
export function s3AllowlistJson(config: Pick<StageConfig, "s3InputAllowlist">): string {
  return JSON.stringify(
    config.s3InputAllowlist.map(({ bucket, prefix, expectedBucketOwner }) => ({ bucket, prefix, ...(expectedBucketOwner && { expectedBucketOwner }) })),
  );
}

/** The function's environment variables (names shared with handler/ and documented in the README). */
export function functionEnvironment(
  config: StageConfig,
  /** S3_EXPECTED_BUCKET_OWNER: the account owning the allowlisted buckets (set only when there are some). */
  s3ExpectedBucketOwner?: string,
): Record<string, string> {
  const limits: Record<string, number | undefined> = {
    MAX_BATCH_IMAGES: config.limits.maxBatchImages,
    MAX_IMAGE_PIXELS: config.limits.maxImagePixels,
    MAX_BODY_BYTES: config.limits.maxBodyBytes,
    S3_MAX_OBJECT_BYTES: config.limits.maxS3ObjectBytes,
    TOP_K_DEFAULT: config.limits.topKDefault,
  };
  const environment: Record<string, string> = {
    ORT_INTRA_OP_THREADS: String(config.threads ?? threadsForMemory(config.memoryMb)),
    POWERTOOLS_SERVICE_NAME: config.project,
    POWERTOOLS_METRICS_NAMESPACE: config.metricsNamespace,
    // Lambda's FATAL is Powertools' CRITICAL.
    POWERTOOLS_LOG_LEVEL: config.logging.applicationLevel === "FATAL" ? "CRITICAL" : config.logging.applicationLevel,
    S3_INPUT_ALLOWLIST: s3AllowlistJson(config),
  };
  if (config.s3InputAllowlist.length > 0 && s3ExpectedBucketOwner) environment.S3_EXPECTED_BUCKET_OWNER = s3ExpectedBucketOwner;
  for (const [key, value] of Object.entries(limits)) {
    if (value !== undefined) environment[key] = String(value);
  }
  return { ...environment, ...config.environment };
}
