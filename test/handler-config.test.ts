import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigError, defaultModelDir, LAMBDA_PAYLOAD_LIMIT_BYTES, loadConfig } from "../handler/config.js";

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
      serviceName: "classifier",
      metricsNamespace: "Vision",
      logLevel: "WARN",
    });
  });

  it("uses $LAMBDA_TASK_ROOT/model inside Lambda", () => {
    expect(loadConfig({ LAMBDA_TASK_ROOT: "/var/task" }).modelDir).toBe("/var/task/model");
    expect(loadConfig({ LAMBDA_TASK_ROOT: "/var/task", MODEL_DIR: "/opt/model" }).modelDir).toBe("/opt/model");
  });

  it("names every bad variable in one error", () => {
    const attempt = () =>
      loadConfig({ TOP_K_DEFAULT: "0", MAX_BATCH_IMAGES: "many", MAX_IMAGE_PIXELS: "-5", POWERTOOLS_LOG_LEVEL: "LOUD", MODEL_DIR: " " });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/TOP_K_DEFAULT: .*; .*MAX_IMAGE_PIXELS: .*MAX_BATCH_IMAGES: .*POWERTOOLS_LOG_LEVEL: must be one of/);
    expect(attempt).toThrow(/MODEL_DIR: must not be empty/);
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
