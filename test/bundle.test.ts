import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { cp, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { promisify } from "node:util";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  buildLambda,
  bundleFile,
  defaultOutDir,
  handlerExport,
  projectDir,
  serverBundleFile,
  serverWorkerBundleFile,
  type BuildLambdaResult,
} from "../scripts/build-time/bundle/build-lambda.js";
import { lambdaGlibc, listNativeBinaries } from "../scripts/build-time/bundle/native-binaries.js";
import { functionUrlEvent } from "./support/function-url-event.js";

const run = promisify(execFile);

/**
 * Runs in a fresh Node process whose cwd is the copied task root, as the Lambda runtime does: import the bundle by
 * absolute path, take its `handler` export, invoke it with each event. Prints one `RESULT <json>` line.
 */
const lambdaRuntimeScript = `
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
const taskRoot = process.cwd();
const resolveFromTaskRoot = createRequire(taskRoot + "/${bundleFile}").resolve;
const probe = (name) => { try { return resolveFromTaskRoot(name); } catch { return null; } };
const resolved = Object.fromEntries(["vitest", "zod", "@aws-sdk/client-s3", "onnxruntime-node", "sharp"].map((n) => [n, probe(n)]));
const { ${handlerExport}: handler } = await import(taskRoot + "/${bundleFile}");
const events = JSON.parse(readFileSync(process.env.EVENTS_FILE, "utf8"));
const responses = [];
for (const [i, event] of events.entries()) {
  const context = { awsRequestId: "req-" + i, functionName: "image-classifier", functionVersion: "1", memoryLimitInMB: "2048",
    invokedFunctionArn: "arn:aws:lambda:eu-west-1:123456789012:function:image-classifier:live", getRemainingTimeInMillis: () => 30000 };
  responses.push(await handler(event, context));
}
process.stdout.write("\\nRESULT " + JSON.stringify({ resolved, responses }) + "\\n");
`;

/** A function-URL request (payload format 2.0) posting `bytes` as image/jpeg, as AWS delivers it. */
const postJpeg = (bytes: Uint8Array) =>
  functionUrlEvent({
    method: "POST",
    path: "/classify",
    headers: { host: "abc123.lambda-url.eu-west-1.on.aws", "user-agent": "bundle-test", "content-type": "image/jpeg" },
    body: bytes,
    sourceIp: "198.51.100.7",
  });

interface LambdaResponse {
  statusCode: number;
  headers?: Record<string, string>;
  body: string;
}

const packageNames = async (nodeModules: string): Promise<string[]> => {
  const names: string[] = [];
  for (const entry of await readdir(nodeModules)) {
    if (entry.startsWith(".")) continue;
    if (entry.startsWith("@")) names.push(...(await readdir(join(nodeModules, entry))).map((name) => `${entry}/${name}`));
    else names.push(entry);
  }
  return names.sort();
};

describe("npm run build: the x64 task root", () => {
  let build: BuildLambdaResult;
  let taskRoot: string;

  beforeAll(async () => {
    build = await buildLambda({ arch: "x64" });
    // Outside the repository, so nothing above it has a node_modules the bundle could fall back on.
    taskRoot = await mkdtemp(join(tmpdir(), "lambda-task-root-"));
    await cp(build.outDir, taskRoot, { recursive: true, verbatimSymlinks: true });
  });
  afterAll(async () => {
    if (taskRoot) await rm(taskRoot, { recursive: true, force: true });
  });

  it("is build/lambda with the bundle, the model and only the native packages with their runtime dependencies", async () => {
    expect(relative(projectDir, build.outDir)).toBe(defaultOutDir);
    // The production HTTP entry (handler/server/) and its worker threads' module sit beside the Lambda bundle.
    expect([serverBundleFile, serverWorkerBundleFile]).toEqual(["server.mjs", "server-worker.mjs"]);
    expect((await readdir(taskRoot)).sort()).toEqual(["index.mjs", "model", "node_modules", "package.json", "server-worker.mjs", "server.mjs"]);
    expect(JSON.parse(await readFile(join(taskRoot, "package.json"), "utf8")).type).toBe("module");
    expect(build.exports).toContain(handlerExport);

    const manifest = JSON.parse(await readFile(join(projectDir, "model/model.json"), "utf8")) as { file: string; labels: unknown };
    const expectedModelFiles = ["model.json", manifest.file, ...(typeof manifest.labels === "string" ? [manifest.labels] : [])];
    expect((await readdir(join(taskRoot, "model"))).sort()).toEqual(expectedModelFiles.sort());

    expect(await packageNames(join(taskRoot, "node_modules"))).toEqual([
      "@img/colour",
      "@img/sharp-libvips-linux-x64",
      "@img/sharp-linux-x64",
      "detect-libc",
      "onnxruntime-common",
      "onnxruntime-node",
      "semver",
      "sharp",
    ]);
  });

  it("ships native code for linux-x64 only, loadable with Amazon Linux 2023's glibc", async () => {
    const binaries = await listNativeBinaries(join(taskRoot, "node_modules"));
    expect(binaries.length).toBeGreaterThanOrEqual(4);
    expect(binaries.filter((binary) => binary.arch !== "x64")).toEqual([]);
    for (const binary of binaries) {
      const [major, minor] = binary.glibc!.split(".").map(Number);
      const [lambdaMajor, lambdaMinor] = lambdaGlibc.split(".").map(Number);
      expect(major! * 1000 + minor!, binary.path).toBeLessThanOrEqual(lambdaMajor! * 1000 + lambdaMinor!);
    }
    expect(await readdir(join(taskRoot, "node_modules/onnxruntime-node/bin/napi-v6"))).toEqual(["linux"]);
    expect(await readdir(join(taskRoot, "node_modules/onnxruntime-node/bin/napi-v6/linux"))).toEqual(["x64"]);
  });

  it("fits the 90 MB budget", () => {
    expect(build.sizes.totalBytes).toBeLessThanOrEqual(90e6);
    expect(build.sizes.bytes.onnxruntime).toBeLessThan(60e6);
  });

  it("runs on its own: a fresh process imports index.mjs and answers a function-URL request with predictions", async () => {
    const jpeg = await sharp({ create: { width: 96, height: 64, channels: 3, background: { r: 30, g: 140, b: 60 } } })
      .jpeg({ quality: 85 })
      .toBuffer();
    const eventsFile = join(await mkdtemp(join(tmpdir(), "lambda-events-")), "events.json");
    const events = [
      postJpeg(jpeg),
      postJpeg(new TextEncoder().encode("not an image")),
      functionUrlEvent({ method: "GET", path: "/", headers: { host: "abc123.lambda-url.eu-west-1.on.aws", accept: "text/html" } }),
    ];
    await writeFile(eventsFile, JSON.stringify(events));

    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: taskRoot,
      LAMBDA_TASK_ROOT: taskRoot,
      AWS_REGION: "eu-west-1",
      AWS_LAMBDA_FUNCTION_NAME: "image-classifier",
      ORT_INTRA_OP_THREADS: "1",
      POWERTOOLS_LOG_LEVEL: "WARN",
      POWERTOOLS_METRICS_DISABLED: "true",
      EVENTS_FILE: eventsFile,
    };
    try {
      const { stdout } = await run(process.execPath, ["--input-type=module", "-e", lambdaRuntimeScript], {
        cwd: taskRoot,
        env,
        maxBuffer: 16 * 1024 * 1024,
      });
      const line = stdout.split("\n").find((text) => text.startsWith("RESULT "));
      expect(line, stdout).toBeDefined();
      const { resolved, responses } = JSON.parse(line!.slice("RESULT ".length)) as {
        resolved: Record<string, string | null>;
        responses: LambdaResponse[];
      };

      // Nothing from the repository is reachable; the native packages come from the task root itself.
      expect(resolved.vitest).toBeNull();
      expect(resolved.zod).toBeNull();
      expect(resolved["@aws-sdk/client-s3"]).toBeNull();
      expect(resolved["onnxruntime-node"]?.startsWith(`${taskRoot}/node_modules/`)).toBe(true);
      expect(resolved.sharp?.startsWith(`${taskRoot}/node_modules/`)).toBe(true);

      const [classified, rejected, page] = responses;
      expect(classified?.statusCode, classified?.body).toBe(200);
      const body = JSON.parse(classified!.body) as { predictions: { label: string; score: number }[] };
      const modelLabels = (await shippedLabels(taskRoot)).sort();
      expect(body.predictions.length).toBeGreaterThan(0);
      for (const prediction of body.predictions) {
        expect(modelLabels).toContain(prediction.label);
        expect(prediction.score).toBeGreaterThanOrEqual(0);
        expect(prediction.score).toBeLessThanOrEqual(1);
      }

      expect(rejected?.statusCode).toBeGreaterThanOrEqual(400);
      expect(rejected?.statusCode).toBeLessThan(500);
      expect(JSON.parse(rejected!.body).error.code).toMatch(/^[A-Z_]+$/);

      // The upload page is inside the bundle (no file beside it is read): HTML whose inline script the CSP allows.
      expect(page?.statusCode).toBe(200);
      expect(page?.headers?.["content-type"]).toBe("text/html; charset=utf-8");
      const script = /<script>([\s\S]*?)<\/script>/.exec(page!.body)![1]!;
      const scriptHash = createHash("sha256").update(script, "utf8").digest("base64");
      expect(page?.headers?.["content-security-policy"]).toContain(`script-src 'sha256-${scriptHash}'`);
    } finally {
      await rm(join(eventsFile, ".."), { recursive: true, force: true });
    }
  });
});

/** The labels the shipped manifest resolves to (inline, or a labels file next to it). */
async function shippedLabels(taskRoot: string): Promise<string[]> {
  const manifest = JSON.parse(await readFile(join(taskRoot, "model/model.json"), "utf8")) as { labels: string[] | string };
  if (Array.isArray(manifest.labels)) return manifest.labels;
  const text = await readFile(join(taskRoot, "model", manifest.labels), "utf8");
  return text.trim().startsWith("[") ? (JSON.parse(text) as string[]) : text.trim().split(/\r?\n/);
}

describe("npm run build -- --arch arm64 (cross-assembled on this host)", () => {
  let outDir: string;
  afterAll(async () => {
    if (outDir) await rm(outDir, { recursive: true, force: true });
  });

  it("fetches sharp's linux-arm64 packages and ships only aarch64 native code", async () => {
    outDir = await mkdtemp(join(tmpdir(), "lambda-arm64-"));
    const build = await buildLambda({ arch: "arm64", outDir });
    const names = await packageNames(join(outDir, "node_modules"));
    expect(names).toContain("@img/sharp-linux-arm64");
    expect(names).toContain("@img/sharp-libvips-linux-arm64");
    expect(names.filter((name) => name.includes("x64"))).toEqual([]);

    const binaries = await listNativeBinaries(join(outDir, "node_modules"));
    expect(binaries.length).toBeGreaterThanOrEqual(4);
    expect(binaries.filter((binary) => binary.arch !== "arm64")).toEqual([]);
    expect(build.sizes.totalBytes).toBeLessThanOrEqual(90e6);
  });
});
