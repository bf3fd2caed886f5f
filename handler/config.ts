import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { DEFAULT_MEMORY_MB, defaultDecodeConcurrency, defaultMaxRequestPixels } from "./memory-budget.js";
import { accountId, type AllowRule, parseAllowlist } from "./s3-allowlist.js";
import { FUNCTION_DEFAULTS, FUNCTION_ENV, LOG_LEVELS, type LogLevelName } from "./settings.js";

/** Every setting of the function, read once at module load (variable names and defaults: settings.ts). */
export interface Config {
  modelDir: string;
  topKDefault: number;
  intraOpThreads: number;
  maxImagePixels: number;
  maxBatchImages: number;
  maxBodyBytes: number;
  /** Pixels all images of one request may decode together (MAX_REQUEST_PIXELS; default two of the largest). */
  maxRequestPixels: number;
  /** Images decoding at once (MAX_CONCURRENT_DECODES; default from the memory size, memory-budget.ts). */
  maxConcurrentDecodes: number;
  /**
   * Images over this many pixels take the fast libvips path although the manifest names an exact resize convention
   * (EXACT_RESIZE_MAX_PIXELS; default: unset, every image follows the manifest).
   */
  exactResizeMaxPixels?: number;
  /** The function's memory size (Lambda's AWS_LAMBDA_FUNCTION_MEMORY_SIZE), from which the defaults above follow. */
  memoryMb: number;
  s3MaxObjectBytes: number;
  /** `bucket` or `bucket/prefix` entries the function may read; empty means no S3 input at all. */
  s3InputAllowlist: AllowRule[];
  /** Account that must own every allowlisted bucket whose entry names none (S3_EXPECTED_BUCKET_OWNER). */
  s3ExpectedBucketOwner?: string;
  serviceName: string;
  metricsNamespace: string;
  logLevel: LogLevelName;
}

/** The function's environment holds a bad setting; the message names every bad variable. */
export class FunctionConfigError extends Error {
  override readonly name = "FunctionConfigError";
}

const optionalPositiveInteger = z
  .string()
  .trim()
  .regex(/^\d+(e\d+)?$/i, "must be a positive integer (e.g. 16 or 40e6)")
  .transform(Number)
  .pipe(z.number().int().positive().max(Number.MAX_SAFE_INTEGER))
  .optional();

const positiveInteger = (fallback: number) => optionalPositiveInteger.transform((value) => value ?? fallback);

const nonEmptyName = (fallback: string) =>
  z
    .string()
    .trim()
    .optional()
    .transform((value) => (value ? value : fallback));

const env = FUNCTION_ENV;
const envSchema = z.object({
  [env.modelDir]: z.string().trim().min(1, "must not be empty").optional(),
  LAMBDA_TASK_ROOT: z.string().trim().optional(),
  [env.topKDefault]: positiveInteger(FUNCTION_DEFAULTS.topKDefault),
  [env.intraOpThreads]: positiveInteger(availableParallelism()),
  [env.maxImagePixels]: positiveInteger(FUNCTION_DEFAULTS.maxImagePixels),
  [env.maxBatchImages]: positiveInteger(FUNCTION_DEFAULTS.maxBatchImages),
  [env.maxBodyBytes]: positiveInteger(FUNCTION_DEFAULTS.maxBodyBytes),
  [env.s3MaxObjectBytes]: positiveInteger(FUNCTION_DEFAULTS.s3MaxObjectBytes),
  [env.maxRequestPixels]: optionalPositiveInteger,
  [env.maxConcurrentDecodes]: optionalPositiveInteger,
  [env.exactResizeMaxPixels]: optionalPositiveInteger,
  AWS_LAMBDA_FUNCTION_MEMORY_SIZE: positiveInteger(DEFAULT_MEMORY_MB),
  [env.s3InputAllowlist]: z
    .string()
    .optional()
    .transform((value, context) => {
      try {
        return parseAllowlist(value);
      } catch (error) {
        context.addIssue({ code: "custom", message: (error as Error).message });
        return z.NEVER;
      }
    }),
  [env.s3ExpectedBucketOwner]: accountId.optional(),
  [env.serviceName]: nonEmptyName(FUNCTION_DEFAULTS.serviceName),
  [env.metricsNamespace]: nonEmptyName(FUNCTION_DEFAULTS.metricsNamespace),
  [env.logLevel]: z
    .string()
    .trim()
    .optional()
    .transform((value) => (value ? value.toUpperCase() : FUNCTION_DEFAULTS.logLevel))
    .pipe(z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(", ")}` })),
});

/**
 * The model folder when MODEL_DIR is not set: `$LAMBDA_TASK_ROOT/model` inside Lambda, otherwise the `model/` folder
 * next to the code — beside the bundle (`dist/index.mjs` → `dist/model`) or one level up from the module
 * (`handler/config.ts` → `model/`).
 */
export function defaultModelDir(lambdaTaskRoot: string | undefined, moduleUrl: string = import.meta.url): string {
  if (lambdaTaskRoot) return join(lambdaTaskRoot, "model");
  const moduleDir = dirname(fileURLToPath(moduleUrl));
  const candidates = [join(moduleDir, "model"), join(moduleDir, "..", "model")];
  return candidates.find((dir) => existsSync(join(dir, "model.json"))) ?? candidates[1]!;
}

/** Reads and validates the settings; throws FunctionConfigError naming every bad variable. */
export function loadConfig(environment: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(environment);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
    throw new FunctionConfigError(`invalid environment: ${problems.join("; ")}`);
  }
  const settings = parsed.data;
  const modelDir = settings[env.modelDir];
  const memoryMb = settings.AWS_LAMBDA_FUNCTION_MEMORY_SIZE;
  const requestLimits = {
    maxImagePixels: settings[env.maxImagePixels],
    maxBatchImages: settings[env.maxBatchImages],
    maxBodyBytes: settings[env.maxBodyBytes],
    s3MaxObjectBytes: settings[env.s3MaxObjectBytes],
    readsS3: settings[env.s3InputAllowlist].length > 0,
  };
  return {
    modelDir: modelDir ? resolve(modelDir) : defaultModelDir(settings.LAMBDA_TASK_ROOT),
    topKDefault: settings[env.topKDefault],
    intraOpThreads: settings[env.intraOpThreads],
    maxImagePixels: settings[env.maxImagePixels],
    maxBatchImages: settings[env.maxBatchImages],
    maxBodyBytes: settings[env.maxBodyBytes],
    maxRequestPixels: settings[env.maxRequestPixels] ?? defaultMaxRequestPixels(requestLimits.maxImagePixels),
    maxConcurrentDecodes: settings[env.maxConcurrentDecodes] ?? defaultDecodeConcurrency(memoryMb, requestLimits),
    ...(settings[env.exactResizeMaxPixels] !== undefined && { exactResizeMaxPixels: settings[env.exactResizeMaxPixels] }),
    memoryMb,
    s3MaxObjectBytes: settings[env.s3MaxObjectBytes],
    s3InputAllowlist: settings[env.s3InputAllowlist],
    ...(settings[env.s3ExpectedBucketOwner] && { s3ExpectedBucketOwner: settings[env.s3ExpectedBucketOwner] }),
    serviceName: settings[env.serviceName],
    metricsNamespace: settings[env.metricsNamespace],
    logLevel: settings[env.logLevel],
  };
}
