import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { readFile } from "node:fs/promises";
import { pathToFileURL } from "node:url";
import { DockerfileParser } from "dockerfile-ast";
import { afterAll, describe, expect, it } from "vitest";
import { defaultModelDir, FunctionConfigError, loadConfig } from "../handler/config.js";
import { FUNCTION_DEFAULTS, FUNCTION_ENV, LAMBDA_PAYLOAD_LIMIT_BYTES } from "../handler/settings.js";

const repoModelDir = resolve(import.meta.dirname, "..", "model");
const scratch = mkdtempSync(join(tmpdir(), "handler-config-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("loadConfig", () => {
  it("has the documented defaults", () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      modelDir: repoModelDir,
      topKDefault: 5,
      maxImagePixels: 40_000_000,
      maxBatchImages: 16,
      maxBodyBytes: LAMBDA_PAYLOAD_LIMIT_BYTES,
      s3MaxObjectBytes: 20 * 1024 * 1024,
      maxRequestPixels: 80_000_000,
      maxConcurrentDecodes: 2,
      memoryMb: 2048,
      s3InputAllowlist: [],
      serviceName: "image-classifier",
      metricsNamespace: "ImageClassifier",
      logLevel: "INFO",
    });
    expect(config.intraOpThreads).toBeGreaterThanOrEqual(1);
  });

  it("reads every variable", () => {
    const config = loadConfig({
      MODEL_DIR: "some/models",
      TOP_K_DEFAULT: "3",
      ORT_INTRA_OP_THREADS: "4",
      MAX_IMAGE_PIXELS: "25e6",
      MAX_BATCH_IMAGES: "8",
      MAX_BODY_BYTES: "1048576",
      S3_MAX_OBJECT_BYTES: "5e6",
      MAX_REQUEST_PIXELS: "30e6",
      MAX_CONCURRENT_DECODES: "3",
      EXACT_RESIZE_MAX_PIXELS: "2e6",
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "4096",
      S3_INPUT_ALLOWLIST: "photos,data/in/",
      S3_EXPECTED_BUCKET_OWNER: "111122223333",
      POWERTOOLS_SERVICE_NAME: "classifier",
      POWERTOOLS_METRICS_NAMESPACE: "Vision",
      POWERTOOLS_LOG_LEVEL: "warn",
    });
    expect(config).toEqual({
      modelDir: resolve("some/models"),
      topKDefault: 3,
      intraOpThreads: 4,
      maxImagePixels: 25_000_000,
      maxBatchImages: 8,
      maxBodyBytes: 1_048_576,
      s3MaxObjectBytes: 5_000_000,
      maxRequestPixels: 30_000_000,
      maxConcurrentDecodes: 3,
      exactResizeMaxPixels: 2_000_000,
      memoryMb: 4096,
      s3InputAllowlist: [
        { bucket: "photos", prefix: "" },
        { bucket: "data", prefix: "in/" },
      ],
      s3ExpectedBucketOwner: "111122223333",
      serviceName: "classifier",
      metricsNamespace: "Vision",
      logLevel: "WARN",
    });
  });

  it("derives the decode concurrency from the memory size: what 60 % of it holds, at most vCPUs + 1", () => {
    const decodesAt = (memory: string, extra: NodeJS.ProcessEnv = {}) =>
      loadConfig({ AWS_LAMBDA_FUNCTION_MEMORY_SIZE: memory, ...extra }).maxConcurrentDecodes;
    expect(decodesAt("1024")).toBe(1);
    expect(decodesAt("2048")).toBe(2);
    expect(decodesAt("4096")).toBe(3);
    expect(decodesAt("10240")).toBe(7);
    // S3 input holds up to MAX_BATCH_IMAGES objects in memory: less room for decodes.
    expect(decodesAt("4096", { S3_INPUT_ALLOWLIST: "photos" })).toBe(3);
    expect(decodesAt("1536")).toBe(1);
    expect(decodesAt("1536", { S3_INPUT_ALLOWLIST: "photos" })).toBe(1);
    // Smaller images leave room for more at once.
    expect(decodesAt("2048", { MAX_IMAGE_PIXELS: "4e6" })).toBe(2);
    expect(loadConfig({ MAX_IMAGE_PIXELS: "10e6" }).maxRequestPixels).toBe(20_000_000);
  });

  it("uses $LAMBDA_TASK_ROOT/model inside Lambda", () => {
    expect(loadConfig({ LAMBDA_TASK_ROOT: "/var/task" }).modelDir).toBe("/var/task/model");
    expect(loadConfig({ LAMBDA_TASK_ROOT: "/var/task", MODEL_DIR: "/opt/model" }).modelDir).toBe("/opt/model");
  });

  it("names every bad variable in one error", () => {
    const attempt = () =>
      loadConfig({ TOP_K_DEFAULT: "0", MAX_BATCH_IMAGES: "many", MAX_IMAGE_PIXELS: "-5", POWERTOOLS_LOG_LEVEL: "LOUD", MODEL_DIR: " " });
    expect(attempt).toThrow(FunctionConfigError);
    expect(attempt).toThrow(/TOP_K_DEFAULT: .*; .*MAX_IMAGE_PIXELS: .*MAX_BATCH_IMAGES: .*POWERTOOLS_LOG_LEVEL: must be one of/);
    expect(attempt).toThrow(/MODEL_DIR: must not be empty/);
  });

  it.each(["0", "-1", "20MB", "1.5", ""])("refuses S3_MAX_OBJECT_BYTES=%j like the other limits, naming it", (value) => {
    const attempt = () => loadConfig({ S3_MAX_OBJECT_BYTES: value });
    expect(attempt).toThrow(FunctionConfigError);
    expect(attempt).toThrow(/^invalid environment: S3_MAX_OBJECT_BYTES: /);
  });

  it.each([
    ["S3_INPUT_ALLOWLIST", "uploads, other-bucket", /S3_INPUT_ALLOWLIST: .*bucket name/],
    ["S3_INPUT_ALLOWLIST", "uploads/a b/", /S3_INPUT_ALLOWLIST: .*whitespace/],
    ["S3_INPUT_ALLOWLIST", '[{"bucket":"b*"}]', /S3_INPUT_ALLOWLIST: .*bucket name/],
    ["S3_EXPECTED_BUCKET_OWNER", "me", /S3_EXPECTED_BUCKET_OWNER: must be a 12-digit AWS account id/],
  ])("refuses %s=%j at start-up, naming it", (name, value, message) => {
    expect(() => loadConfig({ [name]: value })).toThrow(message);
  });

  it("names every variable it reads once, in settings.ts", () => {
    expect(Object.values(FUNCTION_ENV).sort()).toEqual([
      "EXACT_RESIZE_MAX_PIXELS",
      "MAX_BATCH_IMAGES",
      "MAX_BODY_BYTES",
      "MAX_CONCURRENT_DECODES",
      "MAX_IMAGE_PIXELS",
      "MAX_REQUEST_PIXELS",
      "MODEL_DIR",
      "ORT_INTRA_OP_THREADS",
      "POWERTOOLS_LOG_LEVEL",
      "POWERTOOLS_METRICS_NAMESPACE",
      "POWERTOOLS_SERVICE_NAME",
      "S3_EXPECTED_BUCKET_OWNER",
      "S3_INPUT_ALLOWLIST",
      "S3_MAX_OBJECT_BYTES",
      "TOP_K_DEFAULT",
    ]);
  });
});

describe("the image's Dockerfile", () => {
  it("sets the same service name, metrics namespace and log level as the handler's defaults", async () => {
    const dockerfile = DockerfileParser.parse(await readFile(resolve(import.meta.dirname, "..", "Dockerfile"), "utf8"));
    const variables = new Map(
      dockerfile
        .getENVs()
        .flatMap((env) => env.getProperties())
        .map((property) => [property.getName(), property.getValue()]),
    );
    expect(variables.get(FUNCTION_ENV.serviceName)).toBe(FUNCTION_DEFAULTS.serviceName);
    expect(variables.get(FUNCTION_ENV.metricsNamespace)).toBe(FUNCTION_DEFAULTS.metricsNamespace);
    expect(variables.get(FUNCTION_ENV.logLevel)).toBe(FUNCTION_DEFAULTS.logLevel);
  });
});

describe("defaultModelDir", () => {
  it("prefers a model/ folder beside a bundle over one a level up", () => {
    const bundleDir = join(scratch, "task");
    mkdirSync(join(bundleDir, "model"), { recursive: true });
    writeFileSync(join(bundleDir, "model", "model.json"), "{}");
    expect(defaultModelDir(undefined, pathToFileURL(join(bundleDir, "index.mjs")).href)).toBe(join(bundleDir, "model"));
  });

  it("falls back to model/ one level above the module (handler/ → model/)", () => {
    const moduleUrl = pathToFileURL(join(scratch, "repo", "handler", "config.ts")).href;
    expect(defaultModelDir(undefined, moduleUrl)).toBe(join(scratch, "repo", "model"));
  });
});
