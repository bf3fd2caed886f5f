import { vcpusForMemory } from "../handler/memory-budget.js";
import { FUNCTION_ENV } from "../handler/settings.js";
import { powertoolsLogLevel, type StageConfig } from "./config.js";

/** ONNX Runtime intra-op threads for a memory size: one per allotted vCPU. */
export const threadsForMemory = vcpusForMemory;

/**
 * S3_INPUT_ALLOWLIST: the entries the handler may read as JSON, `[{"bucket","prefix"}]` (plus `expectedBucketOwner`
 * where an entry names its own); the IAM policy grants exactly these.
 */
export function s3AllowlistJson(config: Pick<StageConfig, "s3InputAllowlist">): string {
  return JSON.stringify(
    config.s3InputAllowlist.map(({ bucket, prefix, expectedBucketOwner }) => ({ bucket, prefix, ...(expectedBucketOwner && { expectedBucketOwner }) })),
  );
}

/**
 * The function's environment variables (names and the defaults of unset limits: handler/settings.ts). A limit the
 * stage leaves unset is not set, so the handler's default applies.
 */
export function functionEnvironment(
  config: StageConfig,
  /** S3_EXPECTED_BUCKET_OWNER: the account owning the allowlisted buckets (set only when there are some). */
  s3ExpectedBucketOwner?: string,
): Record<string, string> {
  const limits: Record<string, number | undefined> = {
    [FUNCTION_ENV.maxBatchImages]: config.limits.maxBatchImages,
    [FUNCTION_ENV.maxImagePixels]: config.limits.maxImagePixels,
    [FUNCTION_ENV.maxBodyBytes]: config.limits.maxBodyBytes,
    [FUNCTION_ENV.s3MaxObjectBytes]: config.limits.maxS3ObjectBytes,
    [FUNCTION_ENV.topKDefault]: config.limits.topKDefault,
    [FUNCTION_ENV.maxRequestPixels]: config.limits.maxRequestPixels,
    [FUNCTION_ENV.maxConcurrentDecodes]: config.limits.maxConcurrentDecodes,
    [FUNCTION_ENV.exactResizeMaxPixels]: config.limits.exactResizeMaxPixels,
  };
  const environment: Record<string, string> = {
    [FUNCTION_ENV.intraOpThreads]: String(config.threads ?? threadsForMemory(config.memoryMb)),
    [FUNCTION_ENV.serviceName]: config.project,
    [FUNCTION_ENV.metricsNamespace]: config.metricsNamespace,
    [FUNCTION_ENV.logLevel]: powertoolsLogLevel[config.logging.applicationLevel],
    [FUNCTION_ENV.s3InputAllowlist]: s3AllowlistJson(config),
  };
  if (config.s3InputAllowlist.length > 0 && s3ExpectedBucketOwner) environment[FUNCTION_ENV.s3ExpectedBucketOwner] = s3ExpectedBucketOwner;
  for (const [key, value] of Object.entries(limits)) {
    if (value !== undefined) environment[key] = String(value);
  }
  return { ...environment, ...config.environment };
}
