import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";

/** Lambda's request payload limit for a function URL (6 MB). */
export const LAMBDA_PAYLOAD_LIMIT_BYTES = 6 * 1024 * 1024;

export const LOG_LEVELS = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "CRITICAL", "SILENT"] as const;
export type LogLevelName = (typeof LOG_LEVELS)[number];

/** Every setting of the function, read once at module load. */
export interface Config {
  modelDir: string;
  topKDefault: number;
  intraOpThreads: number;
  maxImagePixels: number;
  maxBatchImages: number;
  maxBodyBytes: number;
  serviceName: string;
  metricsNamespace: string;
  logLevel: LogLevelName;
}

export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

const positiveInteger = (fallback: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+(e\d+)?$/i, "must be a positive integer (e.g. 16 or 40e6)")
    .transform(Number)
    .pipe(z.number().int().positive().max(Number.MAX_SAFE_INTEGER))
    .optional()
    .transform((value) => value ?? fallback);

const nonEmptyName = (fallback: string) =>
  z
    .string()
    .trim()
    .optional()
    .transform((value) => (value ? value : fallback));

const envSchema = z.object({
  MODEL_DIR: z.string().trim().min(1, "must not be empty").optional(),
  LAMBDA_TASK_ROOT: z.string().trim().optional(),
  TOP_K_DEFAULT: positiveInteger(5),
  ORT_INTRA_OP_THREADS: positiveInteger(availableParallelism()),
  MAX_IMAGE_PIXELS: positiveInteger(40_000_000),
  MAX_BATCH_IMAGES: positiveInteger(16),
  MAX_BODY_BYTES: positiveInteger(LAMBDA_PAYLOAD_LIMIT_BYTES),
  POWERTOOLS_SERVICE_NAME: nonEmptyName("image-classifier"),
  POWERTOOLS_METRICS_NAMESPACE: nonEmptyName("ImageClassifier"),
  POWERTOOLS_LOG_LEVEL: z
    .string()
    .trim()
    .optional()
    .transform((value) => (value ? value.toUpperCase() : "INFO"))
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

/** Reads and validates the settings; throws ConfigError naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
    throw new ConfigError(`invalid environment: ${problems.join("; ")}`);
  }
  const settings = parsed.data;
  return {
    modelDir: settings.MODEL_DIR ? resolve(settings.MODEL_DIR) : defaultModelDir(settings.LAMBDA_TASK_ROOT),
    topKDefault: settings.TOP_K_DEFAULT,
    intraOpThreads: settings.ORT_INTRA_OP_THREADS,
    maxImagePixels: settings.MAX_IMAGE_PIXELS,
    maxBatchImages: settings.MAX_BATCH_IMAGES,
    maxBodyBytes: settings.MAX_BODY_BYTES,
    serviceName: settings.POWERTOOLS_SERVICE_NAME,
    metricsNamespace: settings.POWERTOOLS_METRICS_NAMESPACE,
    logLevel: settings.POWERTOOLS_LOG_LEVEL,
  };
}
