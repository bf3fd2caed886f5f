/**
 * The function's environment variables and their defaults: the one place each is written. handler/config.ts reads
 * and validates them; infra/function-environment.ts sets them; the README documents them.
 */
export const FUNCTION_ENV = {
  modelDir: "MODEL_DIR",
  topKDefault: "TOP_K_DEFAULT",
  intraOpThreads: "ORT_INTRA_OP_THREADS",
  maxImagePixels: "MAX_IMAGE_PIXELS",
  maxBatchImages: "MAX_BATCH_IMAGES",
  maxBodyBytes: "MAX_BODY_BYTES",
  maxRequestPixels: "MAX_REQUEST_PIXELS",
  maxConcurrentDecodes: "MAX_CONCURRENT_DECODES",
  exactResizeMaxPixels: "EXACT_RESIZE_MAX_PIXELS",
  s3MaxObjectBytes: "S3_MAX_OBJECT_BYTES",
  s3InputAllowlist: "S3_INPUT_ALLOWLIST",
  s3ExpectedBucketOwner: "S3_EXPECTED_BUCKET_OWNER",
  serviceName: "POWERTOOLS_SERVICE_NAME",
  metricsNamespace: "POWERTOOLS_METRICS_NAMESPACE",
  logLevel: "POWERTOOLS_LOG_LEVEL",
} as const;

/** Lambda's request payload limit for a function URL (6 MB). */
export const LAMBDA_PAYLOAD_LIMIT_BYTES = 6 * 1024 * 1024;

/** The service's name in logs and metrics, and the stack's default project name. */
export const SERVICE_NAME = "image-classifier";

/** The CloudWatch namespace of the function's metrics. */
export const METRICS_NAMESPACE = "ImageClassifier";

/** Powertools Logger levels, the values of POWERTOOLS_LOG_LEVEL. */
export const LOG_LEVELS = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "CRITICAL", "SILENT"] as const;
export type LogLevelName = (typeof LOG_LEVELS)[number];

/**
 * The value of each variable when it is not set. ORT_INTRA_OP_THREADS defaults to the CPUs available to the process
 * and MODEL_DIR to the model folder next to the code (see config.ts); S3_INPUT_ALLOWLIST to none (no S3 reads).
 */
export const FUNCTION_DEFAULTS = {
  topKDefault: 5,
  maxImagePixels: 40_000_000,
  maxBatchImages: 16,
  maxBodyBytes: LAMBDA_PAYLOAD_LIMIT_BYTES,
  s3MaxObjectBytes: 20 * 1024 * 1024,
  serviceName: SERVICE_NAME,
  metricsNamespace: METRICS_NAMESPACE,
  logLevel: "INFO",
} as const satisfies { logLevel: LogLevelName } & Record<string, string | number>;
