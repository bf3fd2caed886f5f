import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { dockerContextFiles, dockerContextHash } from "../infra/docker-context.js";
import { loadConfig } from "../handler/config.js";
import { FUNCTION_DEFAULTS, LOG_LEVELS } from "../handler/settings.js";
import { loadStageConfigs, parseStageConfig, powertoolsLogLevel, StageConfigError } from "../infra/config.js";
import { functionEnvironment, threadsForMemory } from "../infra/function-environment.js";

const PROJECT_ROOT = resolve(fileURLToPath(import.meta.url), "../..");
const scratch = mkdtempSync(join(tmpdir(), "infra-config-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const minimal = { stage: "dev", region: "eu-west-1" };

/** The StageConfigError thrown for `input`, or a failure when it validates. */
function problemsOf(input: unknown): string {
  try {
    parseStageConfig(input, "test.json");
  } catch (error) {
    expect(error).toBeInstanceOf(StageConfigError);
    return (error as StageConfigError).message;
  }
  throw new Error("configuration was accepted");
}

function configDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(scratch, "config-"));
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return dir;
}

describe("stage configuration", () => {
  it("fills safe defaults", () => {
    const config = parseStageConfig(minimal, "test.json");
    expect(config).toMatchObject({
      functionName: "image-classifier-dev",
      architecture: "x86_64",
      memoryMb: 2048,
      timeoutSeconds: 30,
      ephemeralStorageMb: 512,
      tracing: false,
      logging: { retentionDays: 30, applicationLevel: "INFO", systemLevel: "WARN" },
      s3InputAllowlist: [],
      image: { repositoryName: "image-classifier-dev", keepLastImages: 10, forceDelete: false, baseImage: "public.ecr.aws/lambda/nodejs:22" },
      provisionedConcurrency: { count: 0 },
      functionUrl: { authType: "AWS_IAM" },
      alarms: { enabled: true, createSnsTopic: false, durationP99Ratio: 0.8 },
    });
    expect(config.reservedConcurrency).toBeUndefined();
    expect(config.backend).toBeUndefined();
    expect(config.image.uri).toBeUndefined();
  });

  it.each([
    [{ memoryMb: 64 }, "memoryMb"],
    [{ architecture: "x86" }, "architecture"],
    [{ functionUrl: { authType: "none" } }, "functionUrl.authType"],
    [{ timeoutSeconds: 901 }, "timeoutSeconds"],
    [{ region: "Ireland" }, "region: must be an AWS region"],
    [{ logging: { retentionDays: 31 } }, "logging.retentionDays: must be one of"],
    [{ s3InputAllowlist: [{ bucket: "in", prefix: "a/" }] }, "s3InputAllowlist.0.bucket"],
    [{ s3InputAllowlist: [{ bucket: "input-bucket", prefix: "a/*" }] }, "s3InputAllowlist.0.prefix: must not contain wildcards"],
    [{ image: { uri: "docker.io/library/node:22" } }, "image.uri: must be an ECR image URI"],
    [{ provisionedConcurrency: { count: 1, autoscaling: { minCapacity: 2, maxCapacity: 4 } } }, "provisionedConcurrency.count: must lie between"],
    [{ provisionedConcurrency: { count: 3, autoscaling: { minCapacity: 3, maxCapacity: 2 } } }, "provisionedConcurrency.autoscaling.minCapacity"],
    [{ reservedConcurrency: 1, provisionedConcurrency: { count: 2 } }, "reservedConcurrency: must be ≥ the provisioned concurrency peak (2)"],
    [{ alarms: { createSnsTopic: true, snsTopicArn: "arn:aws:sns:eu-west-1:123456789012:ops" } }, "alarms.createSnsTopic"],
    [{ functionUrl: { cors: { allowOrigins: ["*"], allowCredentials: true } } }, "functionUrl.cors.allowCredentials"],
    [{ environment: { AWS_REGION: "x" } }, "environment.AWS_REGION"],
    [{ memorySize: 1024 }, '"memorySize"'],
  ])("rejects %j naming %s", (override, expected) => {
    const message = problemsOf({ ...minimal, ...override });
    expect(message).toContain("test.json");
    expect(message).toContain(expected);
  });

  it("accepts an existing image by digest or by tag", () => {
    const digest = `123456789012.dkr.ecr.eu-west-1.amazonaws.com/classifier@sha256:${"0f".repeat(32)}`;
    expect(parseStageConfig({ ...minimal, image: { uri: digest } }, "t").image.uri).toBe(digest);
    const tag = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/classifier:v1.2.3";
    expect(parseStageConfig({ ...minimal, image: { uri: tag } }, "t").image.uri).toBe(tag);
  });
});

describe("loading stage files", () => {
  it("loads every <stage>.json, or the stages in INFRA_STAGES, with environment overrides", () => {
    const dir = configDir({ "dev.json": JSON.stringify({ region: "eu-west-1" }), "prod.json": JSON.stringify({ region: "us-east-1" }) });
    expect(loadStageConfigs({ configDir: dir, env: {} }).map((c) => [c.stage, c.region])).toEqual([
      ["dev", "eu-west-1"],
      ["prod", "us-east-1"],
    ]);
    const [prod, ...rest] = loadStageConfigs({
      configDir: dir,
      env: {
        INFRA_STAGES: "prod",
        INFRA_REGION: "eu-central-1",
        INFRA_PROVISIONED_CONCURRENCY: "3",
        INFRA_STATE_BUCKET: "my-state",
        INFRA_IMAGE_URI: "123456789012.dkr.ecr.eu-central-1.amazonaws.com/c:v1",
      },
    });
    expect(rest).toEqual([]);
    expect(prod).toMatchObject({
      stage: "prod",
      region: "eu-central-1",
      provisionedConcurrency: { count: 3 },
      backend: { bucket: "my-state", key: "image-classifier/prod.tfstate", region: "eu-central-1", useLockfile: true },
      image: { uri: "123456789012.dkr.ecr.eu-central-1.amazonaws.com/c:v1" },
    });
  });

  it("names the stage, the file or the variable that is wrong", () => {
    const dir = configDir({ "dev.json": JSON.stringify({ region: "eu-west-1" }), "bad.json": "{ not json" });
    expect(() => loadStageConfigs({ configDir: dir, env: { INFRA_STAGES: "qa" } })).toThrow(/stage "qa" has no file .*qa\.json/);
    expect(() => loadStageConfigs({ configDir: dir, env: { INFRA_STAGES: "bad" } })).toThrow(/bad\.json[\s\S]*not valid JSON/);
    expect(() => loadStageConfigs({ configDir: dir, env: { INFRA_STAGES: "dev", INFRA_PROVISIONED_CONCURRENCY: "many" } })).toThrow(
      /provisionedConcurrency\.count/,
    );
    const mismatch = configDir({ "dev.json": JSON.stringify({ stage: "prod", region: "eu-west-1" }) });
    expect(() => loadStageConfigs({ configDir: mismatch, env: {} })).toThrow(/stage: "prod" does not match the file name "dev"/);
  });

  it("validates the committed stage files", () => {
    const configs = loadStageConfigs({ configDir: join(PROJECT_ROOT, "infra/config"), env: {} });
    expect(configs.map((c) => c.stage)).toEqual(["dev", "prod", "steady"]);
  });
});

describe("function environment", () => {
  it("derives ONNX Runtime threads from the vCPUs Lambda allots to the memory size", () => {
    expect([128, 1024, 1769, 2048, 3008, 3538, 5307, 8192, 10_240].map(threadsForMemory)).toEqual([1, 1, 1, 1, 2, 2, 3, 5, 6]);
  });

  it("lets config pin the threads and maps Lambda's FATAL to Powertools' CRITICAL", () => {
    const env = functionEnvironment(parseStageConfig({ ...minimal, threads: 4, logging: { applicationLevel: "FATAL" } }, "t"));
    expect(env.ORT_INTRA_OP_THREADS).toBe("4");
    expect(env.POWERTOOLS_LOG_LEVEL).toBe("CRITICAL");
  });

  it("gives the handler a log level it accepts for every Lambda application level", () => {
    for (const [lambdaLevel, powertoolsLevel] of Object.entries(powertoolsLogLevel)) {
      expect(LOG_LEVELS).toContain(powertoolsLevel);
      const env = functionEnvironment(parseStageConfig({ ...minimal, logging: { applicationLevel: lambdaLevel } }, "t"));
      expect(loadConfig({ ...env, MODEL_DIR: "m" }).logLevel).toBe(powertoolsLevel);
    }
  });

  it("sets the variables the handler reads: the handler's config is the stage's", () => {
    const stage = parseStageConfig(
      {
        ...minimal,
        project: "vision",
        metricsNamespace: "Vision",
        threads: 3,
        s3InputAllowlist: [{ bucket: "in-bucket", prefix: "images/" }, { bucket: "other-bucket" }],
        limits: {
          maxBatchImages: 4,
          maxImagePixels: 1_000_000,
          maxBodyBytes: 100_000,
          maxS3ObjectBytes: 50_000,
          topKDefault: 2,
          exactResizeMaxPixels: 500_000,
        },
      },
      "t",
    );
    expect(loadConfig({ ...functionEnvironment(stage), MODEL_DIR: "m" })).toMatchObject({
      topKDefault: 2,
      exactResizeMaxPixels: 500_000,
      intraOpThreads: 3,
      maxImagePixels: 1_000_000,
      maxBatchImages: 4,
      maxBodyBytes: 100_000,
      s3MaxObjectBytes: 50_000,
      s3InputAllowlist: [
        { bucket: "in-bucket", prefix: "images/" },
        { bucket: "other-bucket", prefix: "" },
      ],
      serviceName: "vision",
      metricsNamespace: "Vision",
      logLevel: "INFO",
    });
  });

  it("leaves unset limits to the handler's defaults, and its service name and namespace are the stack's defaults", () => {
    const stage = parseStageConfig(minimal, "t");
    const { intraOpThreads: _threads, modelDir: _dir, s3InputAllowlist: _allowlist, ...handlerConfig } = loadConfig({
      ...functionEnvironment(stage),
      MODEL_DIR: "m",
    });
    expect(handlerConfig).toEqual({
      topKDefault: FUNCTION_DEFAULTS.topKDefault,
      maxImagePixels: FUNCTION_DEFAULTS.maxImagePixels,
      maxBatchImages: FUNCTION_DEFAULTS.maxBatchImages,
      maxBodyBytes: FUNCTION_DEFAULTS.maxBodyBytes,
      s3MaxObjectBytes: FUNCTION_DEFAULTS.s3MaxObjectBytes,
      serviceName: FUNCTION_DEFAULTS.serviceName,
      metricsNamespace: FUNCTION_DEFAULTS.metricsNamespace,
      logLevel: FUNCTION_DEFAULTS.logLevel,
      // Derived by the handler from its memory size (Lambda's AWS_LAMBDA_FUNCTION_MEMORY_SIZE; 2048 when unset).
      maxRequestPixels: 2 * FUNCTION_DEFAULTS.maxImagePixels,
      maxConcurrentDecodes: 2,
      memoryMb: 2048,
    });
  });

  it("refuses a memoryMb too small for the worst request its limits allow, and accepts it with lower limits", () => {
    expect(() => parseStageConfig({ ...minimal, memoryMb: 512 }, "t")).toThrow(/memoryMb: must be at least 1176 for these limits/);
    expect(() => parseStageConfig({ ...minimal, memoryMb: 1024, s3InputAllowlist: [{ bucket: "photos", prefix: "in/" }] }, "t")).toThrow(
      /memoryMb: must be at least 1710 .* from S3/,
    );
    expect(() => parseStageConfig({ ...minimal, memoryMb: 2048, limits: { maxConcurrentDecodes: 8 } }, "t")).toThrow(/memoryMb: must be at least 5627/);
    expect(parseStageConfig({ ...minimal, memoryMb: 768, limits: { maxImagePixels: 12_000_000, maxBodyBytes: 4_000_000 } }, "t").memoryMb).toBe(768);
  });
});

describe("image tag (the Docker context's hash)", () => {
  /** A stand-in for the repository: its real .dockerignore and Dockerfile, one small file in every other place. */
  function standInTree(): string {
    const root = mkdtempSync(join(scratch, "tree-"));
    const files: Record<string, string> = {
      ".dockerignore": readFileSync(join(PROJECT_ROOT, ".dockerignore"), "utf8"),
      Dockerfile: readFileSync(join(PROJECT_ROOT, "Dockerfile"), "utf8"),
      ".npmrc": "ignore-scripts=true\n",
      "handler/x.ts": "export const x = 1;\n",
      "scripts/build-time/bundle/x.ts": "export const x = 1;\n",
      "scripts/tools/bench/x.ts": "export const x = 1;\n",
      "scripts/shared/x.ts": "export const x = 1;\n",
      "test/x.test.ts": "export const x = 1;\n",
      "infra/x.ts": "export const x = 1;\n",
      "README.md": "# readme\n",
      "model/model.json": '{"sha256":"a"}',
      "model/model.onnx": "weights",
      "model/labels/x.txt": "a\n",
      "package-lock.json": "{}",
      "package.json": "{}",
      "tsconfig.json": "{}",
    };
    for (const [file, content] of Object.entries(files)) {
      mkdirSync(dirname(join(root, file)), { recursive: true });
      writeFileSync(join(root, file), content);
    }
    return root;
  }

  /** Whether rewriting `file` (then restoring it) changes the hash; the hash is back to `first` afterwards. */
  function changesHash(root: string, file: string, first: string): boolean {
    const before = readFileSync(join(root, file));
    writeFileSync(join(root, file), Buffer.concat([before, Buffer.from("\n// changed\n")]));
    const changed = dockerContextHash(root) !== first;
    writeFileSync(join(root, file), before);
    expect(dockerContextHash(root), `${file} restored`).toBe(first);
    return changed;
  }

  it("sends exactly what the build stage reads: handler/, scripts/build-time/, the manifest and labels, the npm and TypeScript files", () => {
    expect(dockerContextFiles(standInTree())).toEqual([
      ".dockerignore",
      ".npmrc",
      "Dockerfile",
      "handler/x.ts",
      "model/labels/x.txt",
      "model/model.json",
      "package-lock.json",
      "package.json",
      "scripts/build-time/bundle/x.ts",
      "tsconfig.json",
    ]);
  });

  it("is unchanged by developer tools, shared script code, tests, infra, docs and the generated model weights", () => {
    const root = standInTree();
    const first = dockerContextHash(root);
    for (const file of ["scripts/tools/bench/x.ts", "scripts/shared/x.ts", "test/x.test.ts", "infra/x.ts", "README.md", "model/model.onnx"]) {
      expect(changesHash(root, file, first), file).toBe(false);
    }
  });

  it("changes with handler/, scripts/build-time/, the model manifest, the labels, the lockfile, package.json, tsconfig.json and the Dockerfile", () => {
    const root = standInTree();
    const first = dockerContextHash(root);
    const inputs = ["handler/x.ts", "scripts/build-time/bundle/x.ts", "model/model.json", "model/labels/x.txt", "package-lock.json", "package.json", "tsconfig.json", "Dockerfile"];
    for (const file of inputs) expect(changesHash(root, file, first), file).toBe(true);
  });

  it("changes when a file is added to handler/ or renamed there, not when one is added to scripts/tools/", () => {
    const root = standInTree();
    const first = dockerContextHash(root);
    writeFileSync(join(root, "scripts/tools/bench/y.ts"), "export {};\n");
    expect(dockerContextHash(root)).toBe(first);
    writeFileSync(join(root, "handler/y.ts"), "export {};\n");
    const added = dockerContextHash(root);
    expect(added).not.toBe(first);
    renameSync(join(root, "handler/y.ts"), join(root, "handler/z.ts"));
    expect(dockerContextHash(root)).not.toBe(added);
  });
});

describe.concurrent("the app (infra/main.ts)", () => {
  const run = promisify(execFile);
  const tsx = join(PROJECT_ROOT, "node_modules/.bin/tsx");

  it("synthesizes one stack per stage offline", async () => {
    const outdir = join(scratch, "cdktf.out");
    await run(tsx, ["infra/main.ts"], { cwd: PROJECT_ROOT, env: { ...process.env, CDKTF_OUTDIR: outdir, INFRA_STAGES: "" } });
    for (const stage of ["dev", "prod", "steady"]) {
      const tf = JSON.parse(readFileSync(join(outdir, `stacks/classifier-${stage}/cdk.tf.json`), "utf8"));
      expect(Object.keys(tf.resource)).toContain("aws_lambda_function");
      expect(tf.provider.aws[0].region).toBe("eu-west-1");
    }
  });

  it("exits 1 with a message naming the bad field and no stack trace", async () => {
    const dir = configDir({ "dev.json": JSON.stringify({ region: "eu-west-1", memoryMb: 20_000 }) });
    const failure = await run(tsx, ["infra/main.ts"], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, CDKTF_OUTDIR: join(scratch, "never"), INFRA_CONFIG_DIR: dir },
    }).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failure?.code).toBe(1);
    expect(failure?.stderr).toContain("memoryMb:");
    expect(failure?.stderr).toContain("dev.json");
    expect(failure?.stderr).not.toMatch(/\n\s+at /);
  });
});
