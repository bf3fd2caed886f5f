import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { z } from "zod";
import { accountId, bucketName } from "../handler/s3-allowlist.js";
import { batchConfigSchema, batchIssues } from "./batch/batch-config.js";
import { fargateConfigSchema, fargateIssues } from "./fargate/fargate-config.js";
import { logRetentionDaysSchema } from "./log-retention.js";
import { s3InputSchema } from "./s3-location-schema.js";
import { MEMORY_HEADROOM, minimumMemoryMb, type RequestLimits } from "../handler/memory-budget.js";
import { FUNCTION_DEFAULTS, FUNCTION_ENV, LAMBDA_PAYLOAD_LIMIT_BYTES, type LogLevelName, METRICS_NAMESPACE, SERVICE_NAME } from "../handler/settings.js";


const name = (pattern: RegExp, what: string) => z.string().regex(pattern, `must be ${what}`);
const positiveInt = z.number().int().min(1);

const scheduledActionSchema = z.strictObject({
  name: name(/^[A-Za-z0-9-_]{1,64}$/, "1-64 letters, digits, - or _"),
  schedule: z.string().regex(/^(cron|rate|at)\(.+\)$/, "must be cron(...), rate(...) or at(...)"),
  timezone: z.string().min(1).default("UTC"),
  minCapacity: z.number().int().min(0),
  maxCapacity: z.number().int().min(0),
});

const autoscalingSchema = z.strictObject({
  minCapacity: positiveInt,
  maxCapacity: positiveInt,
  targetUtilization: z.number().min(0.1).max(0.9).default(0.7),
  scheduledActions: z.array(scheduledActionSchema).default([]),
});

const corsSchema = z.strictObject({
  allowOrigins: z.array(z.string().min(1)).min(1),
  allowMethods: z.array(z.enum(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "*"])).default(["GET", "POST"]),
  // With AWS_IAM auth a browser sends SigV4 headers; the preflight must allow them.
  allowHeaders: z
    .array(z.string().min(1))
    .default(["content-type", "authorization", "x-amz-date", "x-amz-security-token", "x-amz-content-sha256"]),
  exposeHeaders: z.array(z.string().min(1)).default([]),
  maxAgeSeconds: z.number().int().min(0).max(86_400).default(0),
  allowCredentials: z.boolean().default(false),
});

const imageSchema = z.strictObject({
  /** An image already in ECR (by tag or, better, by digest); when set nothing is built. */
  uri: name(
    /^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?\/[a-z0-9._/-]+(:[\w.-]{1,128}|@sha256:[a-f0-9]{64})$/,
    "an ECR image URI (account.dkr.ecr.region.amazonaws.com/repo:tag or repo@sha256:digest)",
  ).optional(),
  /** Shorthand for baseImage `public.ecr.aws/lambda/nodejs:<nodeMajor>` (default 22). */
  nodeMajor: z.number().int().min(20).max(30).optional(),
  /** Base image of both Dockerfile stages, by tag or (to rebuild exactly when it moves) by digest. */
  baseImage: name(
    /^[a-z0-9]+([.-][a-z0-9]+)*(:\d+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)+(:\w[\w.-]{0,127})?(@sha256:[a-f0-9]{64})?$/,
    "an image reference such as public.ecr.aws/lambda/nodejs:22 or public.ecr.aws/lambda/nodejs:22@sha256:<64 hex>",
  )
    .refine((ref) => /:[\w.-]+$|@sha256:/.test(ref.replace(/^[^/]*\//, "")), "must name a tag or a digest")
    .optional(),
  repositoryName: name(/^[a-z0-9]+([._/-][a-z0-9]+)*$/, "an ECR repository name (lowercase)").optional(),
  /** Untagged images kept; tagged images (every image this stack pushes) are never expired. */
  keepLastImages: z.number().int().min(1).max(1000).default(10),
  forceDelete: z.boolean().default(false),
});

const limitsSchema = z.strictObject({
  maxBatchImages: positiveInt.optional(),
  maxImagePixels: positiveInt.optional(),
  maxBodyBytes: positiveInt.max(LAMBDA_PAYLOAD_LIMIT_BYTES).optional(),
  maxS3ObjectBytes: positiveInt.optional(),
  topKDefault: positiveInt.optional(),
  /** MAX_REQUEST_PIXELS: pixels one request may decode in all; the handler's default is two of the largest images. */
  maxRequestPixels: positiveInt.optional(),
  /** MAX_CONCURRENT_DECODES: images decoding at once; the handler derives it from memoryMb when unset. */
  maxConcurrentDecodes: positiveInt.max(64).optional(),
  /**
   * EXACT_RESIZE_MAX_PIXELS: images over this many pixels take the fast libvips path (shrink-on-load) although the
   * model's manifest names an exact resize convention; unset: every image follows the manifest. README: "Resize
   * conventions" gives the measured score drift of the fast path.
   */
  exactResizeMaxPixels: positiveInt.optional(),
});

const backendSchema = z.strictObject({
  bucket: bucketName,
  key: z.string().min(1).optional(),
  region: z.string().optional(),
  /** S3-native locking: Terraform ≥ 1.10 or OpenTofu ≥ 1.10. Older Terraform: set false and use dynamodbTable. */
  useLockfile: z.boolean().default(true),
  dynamodbTable: z.string().regex(/^[A-Za-z0-9_.-]{3,255}$/, "must be a DynamoDB table name").optional(),
  encrypt: z.boolean().default(true),
});

const STACK_SET_VARIABLES: readonly string[] = [FUNCTION_ENV.s3InputAllowlist, FUNCTION_ENV.s3ExpectedBucketOwner];
/** Powertools switches that log every event whole: a base64 image, SigV4 headers. */
const EVENT_LOGGING_VARIABLES = ["POWERTOOLS_LOGGER_LOG_EVENT", "POWERTOOLS_DEV"];
const DEFAULT_NODE_MAJOR = 22;

/**
 * Lambda's application log levels (`logging.applicationLevel`) and the Powertools level (POWERTOOLS_LOG_LEVEL) each
 * becomes: the same names, except that Lambda's FATAL is Powertools' CRITICAL (Lambda has no SILENT).
 */
export const powertoolsLogLevel = {
  TRACE: "TRACE",
  DEBUG: "DEBUG",
  INFO: "INFO",
  WARN: "WARN",
  ERROR: "ERROR",
  FATAL: "CRITICAL",
} as const satisfies Record<string, LogLevelName>;
export type LambdaLogLevel = keyof typeof powertoolsLogLevel;
const lambdaLogLevels = Object.keys(powertoolsLogLevel) as [LambdaLogLevel, ...LambdaLogLevel[]];

export const stageConfigSchema = z
  .strictObject({
    stage: name(/^[a-z][a-z0-9-]{0,15}$/, "lowercase letters, digits or - (max 16), starting with a letter"),
    region: name(/^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/, "an AWS region such as eu-west-1"),
    project: name(/^[a-z][a-z0-9-]{1,40}$/, "lowercase letters, digits or -").default(SERVICE_NAME),
    functionName: name(/^[A-Za-z0-9-_]{1,64}$/, "1-64 letters, digits, - or _").optional(),
    architecture: z.enum(["x86_64", "arm64"]).default("x86_64"),
    memoryMb: z.number().int().min(128).max(10_240).default(2048),
    timeoutSeconds: z.number().int().min(1).max(900).default(30),
    ephemeralStorageMb: z.number().int().min(512).max(10_240).default(512),
    reservedConcurrency: z.number().int().min(0).optional(),
    tracing: z.boolean().default(false),
    threads: z.number().int().min(1).max(6).optional(),
    metricsNamespace: z.string().min(1).max(255).default(METRICS_NAMESPACE),
    logging: z
      .strictObject({
        retentionDays: logRetentionDaysSchema.default(30),
        applicationLevel: z.enum(lambdaLogLevels).default("INFO"),
        systemLevel: z.enum(["DEBUG", "INFO", "WARN"]).default("WARN"),
      })
      .prefault({}),
    limits: limitsSchema.prefault({}),
    environment: z
      .record(
        z
          .string()
          .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be a valid environment variable name"),
        z.string(),
      )
      .default({}),
    s3InputAllowlist: z.array(s3InputSchema).default([]),
    /** Account that must own every allowlisted bucket unless the entry names its own; default: the deploying account. */
    s3InputExpectedBucketOwner: accountId.optional(),
    image: imageSchema.prefault({}),
    provisionedConcurrency: z
      .strictObject({ count: z.number().int().min(0).default(0), autoscaling: autoscalingSchema.optional() })
      .prefault({}),
    functionUrl: z
      .strictObject({ authType: z.enum(["AWS_IAM", "NONE"]).default("AWS_IAM"), cors: corsSchema.optional() })
      .prefault({}),
    alarms: z
      .strictObject({
        enabled: z.boolean().default(true),
        snsTopicArn: name(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9-_]{1,256}$/, "an SNS topic ARN").optional(),
        createSnsTopic: z.boolean().default(false),
        durationP99Ratio: z.number().gt(0).max(1).default(0.8),
        periodSeconds: z.union([z.literal(60), z.literal(300), z.literal(900), z.literal(3600)]).default(60),
        evaluationPeriods: z.number().int().min(1).max(60).default(5),
      })
      .prefault({}),
    backend: backendSchema.optional(),
    /** Batch scoring with Step Functions Distributed Map and S3 Batch Operations (infra/batch/); off when absent. */
    batch: batchConfigSchema.optional(),
    /** The same image as an HTTP server on ECS Fargate behind a load balancer (infra/fargate/); off when absent. */
    fargate: fargateConfigSchema.optional(),
    tags: z.record(z.string().min(1).max(128), z.string().max(256)).default({}),
  })
  .superRefine((config, ctx) => {
    const pc = config.provisionedConcurrency;
    const scaling = pc.autoscaling;
    if (scaling) {
      if (scaling.minCapacity > scaling.maxCapacity) {
        ctx.addIssue({ code: "custom", path: ["provisionedConcurrency", "autoscaling", "minCapacity"], message: "must be ≤ maxCapacity" });
      }
      if (pc.count < scaling.minCapacity || pc.count > scaling.maxCapacity) {
        ctx.addIssue({
          code: "custom",
          path: ["provisionedConcurrency", "count"],
          message: `must lie between autoscaling minCapacity (${scaling.minCapacity}) and maxCapacity (${scaling.maxCapacity})`,
        });
      }
      scaling.scheduledActions.forEach((action, index) => {
        if (action.minCapacity > action.maxCapacity) {
          ctx.addIssue({
            code: "custom",
            path: ["provisionedConcurrency", "autoscaling", "scheduledActions", index, "minCapacity"],
            message: "must be ≤ maxCapacity",
          });
        }
      });
    }
    const peak = Math.max(pc.count, scaling?.maxCapacity ?? 0);
    if (config.reservedConcurrency !== undefined && peak > config.reservedConcurrency) {
      ctx.addIssue({
        code: "custom",
        path: ["reservedConcurrency"],
        message: `must be ≥ the provisioned concurrency peak (${peak})`,
      });
    }
    if (config.alarms.snsTopicArn && config.alarms.createSnsTopic) {
      ctx.addIssue({ code: "custom", path: ["alarms", "createSnsTopic"], message: "cannot be true together with snsTopicArn" });
    }
    // Checked here rather than on the record's keys: zod reports a failed key only as "Invalid key in record".
    for (const key of Object.keys(config.environment)) {
      if (key.startsWith("AWS_") || STACK_SET_VARIABLES.includes(key)) {
        ctx.addIssue({ code: "custom", path: ["environment", key], message: `AWS_*, ${STACK_SET_VARIABLES.join(" and ")} are set by the stack` });
      }
      if (EVENT_LOGGING_VARIABLES.includes(key)) {
        ctx.addIssue({ code: "custom", path: ["environment", key], message: "would log whole events (image bytes, headers) and is refused" });
      }
    }
    if (config.functionUrl.authType === "NONE" && config.reservedConcurrency === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["reservedConcurrency"],
        message: "is required when functionUrl.authType is NONE (it caps how much of the account anonymous callers can use)",
      });
    }
    if (config.image.baseImage !== undefined && config.image.nodeMajor !== undefined) {
      ctx.addIssue({ code: "custom", path: ["image", "nodeMajor"], message: "cannot be set together with image.baseImage" });
    }
    const limits = requestLimitsOf(config);
    const needed = minimumMemoryMb(limits, config.limits.maxConcurrentDecodes ?? 1);
    if (config.memoryMb < needed) {
      ctx.addIssue({
        code: "custom",
        path: ["memoryMb"],
        message:
          `must be at least ${needed} for these limits: the worst request (images of ${limits.maxImagePixels} pixels, ` +
          `${limits.maxBatchImages} per request${limits.readsS3 ? ` of up to ${limits.s3MaxObjectBytes} bytes from S3` : ""}) ` +
          `must stay under ${MEMORY_HEADROOM * 100} % of it; raise memoryMb or lower limits`,
      });
    }
    if (config.batch) {
      const batchMinimum = minimumMemoryMb({ ...limits, readsS3: true }, config.limits.maxConcurrentDecodes ?? 1);
      for (const issue of batchIssues(config.batch, { memoryMb: config.memoryMb, minimumMemoryMb: batchMinimum })) {
        ctx.addIssue({ code: "custom", ...issue });
      }
    }
    if (config.fargate) {
      for (const issue of fargateIssues(config.fargate, { limits, decodes: config.limits.maxConcurrentDecodes ?? 1 })) {
        ctx.addIssue({ code: "custom", ...issue });
      }
    }
    const cors = config.functionUrl.cors;
    if (cors?.allowCredentials && cors.allowOrigins.includes("*")) {
      ctx.addIssue({ code: "custom", path: ["functionUrl", "cors", "allowCredentials"], message: 'cannot be true with origin "*"' });
    }
  })
  .transform((config) => {
    const functionName = config.functionName ?? `${config.project}-${config.stage}`;
    const { nodeMajor, ...image } = config.image;
    return {
      ...config,
      functionName,
      image: {
        ...image,
        baseImage: image.baseImage ?? `public.ecr.aws/lambda/nodejs:${nodeMajor ?? DEFAULT_NODE_MAJOR}`,
        repositoryName: image.repositoryName ?? functionName.toLowerCase(),
      },
      backend: config.backend && {
        ...config.backend,
        key: config.backend.key ?? `${config.project}/${config.stage}.tfstate`,
        region: config.backend.region ?? config.region,
      },
    };
  });

export type StageConfigInput = z.input<typeof stageConfigSchema>;
export type StageConfig = z.output<typeof stageConfigSchema>;

/** A stage's configuration (infra/config/<stage>.json with INFRA_* overrides) is invalid. */
export class StageConfigError extends Error {
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`Invalid infrastructure configuration in ${source}:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "StageConfigError";
  }
}

/** Validates one stage's configuration; `source` names where it came from in error messages. */
export function parseStageConfig(input: unknown, source: string): StageConfig {
  const result = stageConfigSchema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const field = issue.path.length > 0 ? issue.path.join(".") : "(root)";
    return `${field}: ${issue.message}`;
  });
  throw new StageConfigError(source, problems);
}

/** Environment variables that override every loaded stage (documented in the README's Deploy section). */
export function applyEnvironmentOverrides(raw: Record<string, unknown>, env: NodeJS.ProcessEnv): Record<string, unknown> {
  const merged: Record<string, unknown> = structuredClone(raw);
  const section = (key: string): Record<string, unknown> => {
    const existing = merged[key];
    const value = typeof existing === "object" && existing !== null ? { ...(existing as object) } : {};
    merged[key] = value;
    return value as Record<string, unknown>;
  };
  if (env.INFRA_REGION) merged.region = env.INFRA_REGION;
  if (env.INFRA_IMAGE_URI) section("image").uri = env.INFRA_IMAGE_URI;
  if (env.INFRA_PROVISIONED_CONCURRENCY !== undefined && env.INFRA_PROVISIONED_CONCURRENCY !== "") {
    section("provisionedConcurrency").count = Number(env.INFRA_PROVISIONED_CONCURRENCY);
  }
  if (env.INFRA_STATE_BUCKET) {
    const backend = section("backend");
    backend.bucket = env.INFRA_STATE_BUCKET;
    if (env.INFRA_STATE_REGION) backend.region = env.INFRA_STATE_REGION;
  }
  return merged;
}

export interface LoadOptions {
  /** Folder holding `<stage>.json` files. */
  configDir: string;
  env?: NodeJS.ProcessEnv;
}

/** Loads `<configDir>/<stage>.json` for each stage in INFRA_STAGES (comma list; default: every file). */
export function loadStageConfigs({ configDir, env = process.env }: LoadOptions): StageConfig[] {
  const available = existsSync(configDir)
    ? readdirSync(configDir)
        .filter((file) => file.endsWith(".json"))
        .map((file) => basename(file, ".json"))
        .sort()
    : [];
  const listed = (env.INFRA_STAGES ?? "").split(",").map((s) => s.trim()).filter(Boolean);
  const requested = listed.length > 0 ? listed : available;
  if (requested.length === 0) throw new StageConfigError(configDir, ["no <stage>.json configuration files found"]);
  return requested.map((stage) => {
    if (!available.includes(stage)) {
      throw new StageConfigError("INFRA_STAGES", [`stage "${stage}" has no file ${join(configDir, `${stage}.json`)} (have: ${available.join(", ") || "none"})`]);
    }
    const file = join(configDir, `${stage}.json`);
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(file, "utf8"));
    } catch (error) {
      throw new StageConfigError(file, [`not valid JSON: ${(error as Error).message}`]);
    }
    if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new StageConfigError(file, ["(root): must be a JSON object"]);
    const withStage = { stage, ...(raw as Record<string, unknown>) };
    if (withStage.stage !== stage) throw new StageConfigError(file, [`stage: "${String(withStage.stage)}" does not match the file name "${stage}"`]);
    return parseStageConfig(applyEnvironmentOverrides(withStage, env), `${file} (with INFRA_* environment overrides)`);
  });
}

/** The limits the function will run with: the stage's, or the handler's defaults where the stage sets none. */
export function requestLimitsOf(config: Pick<StageConfig, "limits" | "s3InputAllowlist">): RequestLimits {
  return {
    maxImagePixels: config.limits.maxImagePixels ?? FUNCTION_DEFAULTS.maxImagePixels,
    maxBatchImages: config.limits.maxBatchImages ?? FUNCTION_DEFAULTS.maxBatchImages,
    maxBodyBytes: config.limits.maxBodyBytes ?? FUNCTION_DEFAULTS.maxBodyBytes,
    s3MaxObjectBytes: config.limits.maxS3ObjectBytes ?? FUNCTION_DEFAULTS.s3MaxObjectBytes,
    readsS3: config.s3InputAllowlist.length > 0,
  };
}
