import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmod, cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { type AddressInfo, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { SERVER_COMMAND, SERVER_ENTRY_POINT, SERVER_USER } from "../../infra/fargate/container-definitions.js";
import { buildLocalImage } from "../../scripts/shared/container/local-image.js";
import { podmanArgs, runPodman } from "../../scripts/shared/container/podman.js";
import type { ContainerImageOptions } from "../../scripts/shared/lambda-emulator/container-environment.js";
import { localImageArch } from "../../scripts/shared/lambda-emulator/options.js";
import { type LocalFunctionUrl, startLocalFunctionUrl } from "../../scripts/shared/lambda-emulator/server.js";
import { testImage } from "../support/test-images.js";

// npm run test:image: the function image built from the Dockerfile on the local stand-in base, run by podman as
// Lambda runs it (user 993:990, read-only root, writable /tmp) behind the Runtime API emulator.
const faultHandler = fileURLToPath(new URL("../fixtures/image/fault-handler.mjs", import.meta.url));
const inProcessHandler = fileURLToPath(new URL("../../handler/index.ts", import.meta.url));
const modelDir = fileURLToPath(new URL("../../model/", import.meta.url));

let ref: string;
const started: LocalFunctionUrl[] = [];

beforeAll(async () => {
  // TEST_IMAGE_REF: an image already built (e.g. by npm run image:build -- --local) instead of building it here.
  if (process.env.TEST_IMAGE_REF) {
    ref = process.env.TEST_IMAGE_REF;
    return;
  }
  const built = await buildLocalImage({ arch: localImageArch, log: (line) => process.stderr.write(`${line}\n`) });
  ref = built.ref;
  console.log(`image ${ref} built or found in ${built.seconds.toFixed(1)} s`);
});

afterEach(async () => {
  await Promise.all(started.splice(0).map((functionUrl) => functionUrl.close()));
});

interface Started {
  url: string;
  lines: string[];
  output: string[];
  reports: () => string[];
  /** podman run → the runtime's first `next`. */
  startToReadyMs: number;
}

async function startImage(image: Partial<ContainerImageOptions>, options: { timeoutSeconds?: number; initUpFront?: boolean } = {}): Promise<Started> {
  const lines: string[] = [];
  const output: string[] = [];
  const before = performance.now();
  const functionUrl = await startLocalFunctionUrl({
    handlerModule: "unused",
    port: 0,
    env: { AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "2048" },
    image: { ref, ...image, onOutput: (chunk) => output.push(chunk) },
    timeoutSeconds: options.timeoutSeconds ?? 30,
    initUpFront: options.initUpFront ?? true,
    log: (line) => lines.push(line),
  });
  started.push(functionUrl);
  return {
    url: functionUrl.url,
    lines,
    output,
    reports: () => lines.filter((line) => line.startsWith("REPORT")),
    startToReadyMs: performance.now() - before,
  };
}

const faultImage = (env: Record<string, string> = {}): Partial<ContainerImageOptions> => ({
  runArgs: ["--volume", `${faultHandler}:/var/task/fault-handler.mjs:ro`],
  command: ["fault-handler.handler"],
  env,
});

const initDuration = (report: string | undefined) => Number(/Init Duration: (\d+\.\d+) ms/.exec(report ?? "")?.[1]);

describe("the function image under the Runtime API emulator", () => {
  it("inits as user 993:990 on a read-only root; /health answers coldStart true, then false", async () => {
    const image = await startImage({});
    const first = await fetch(`${image.url}/health`);
    expect(first.status).toBe(200);
    expect(await first.json()).toMatchObject({ status: "ok", coldStart: true });
    const second = await fetch(`${image.url}/health`);
    expect(await second.json()).toMatchObject({ coldStart: false });
    const [cold, warm] = image.reports();
    expect(cold).toMatch(/^REPORT RequestId: [0-9a-f-]{36}\tDuration: \d+\.\d\d ms\tBilled Duration: \d+ ms\tMemory Size: 2048 MB\tMax Memory Used: \d+ MB\tInit Duration: \d+\.\d\d ms$/);
    expect(warm).not.toContain("Init Duration");
    console.log(`container start → ready: ${image.startToReadyMs.toFixed(0)} ms (Init Duration ${initDuration(cold).toFixed(0)} ms); ${cold}`);
  });

  it("classifies an image exactly as the in-process handler does", async () => {
    const picture = await testImage("jpeg", 96, 64, 7);
    const classify = async (url: string) => {
      const answer = await fetch(`${url}/classify`, { method: "POST", headers: { "content-type": "image/jpeg" }, body: picture });
      expect(answer.status).toBe(200);
      return ((await answer.json()) as { predictions: Array<{ label: string; score: number }> }).predictions;
    };
    const fromImage = await classify((await startImage({})).url);
    const lines: string[] = [];
    const inProcess = await startLocalFunctionUrl({ handlerModule: inProcessHandler, port: 0, log: (line) => lines.push(line) });
    started.push(inProcess);
    const fromProcess = await classify(inProcess.url);
    expect(fromImage.map((prediction) => prediction.label)).toEqual(fromProcess.map((prediction) => prediction.label));
    // Same ONNX Runtime, sharp and thread count: the same float32 scores, to the last bit.
    expect(fromImage).toEqual(fromProcess);
    console.log(`in-process ${lines.find((line) => line.includes("Init Duration"))}`);
  });

  it("a handler fault goes through invocation/error (URL 502), a timeout stops the container, JSON log format", async () => {
    const image = await startImage(faultImage({ AWS_LAMBDA_LOG_FORMAT: "JSON" }), { timeoutSeconds: 3 });
    expect((await fetch(`${image.url}/health`)).status).toBe(200);

    const fault = await fetch(`${image.url}/fault`);
    expect(fault.status).toBe(502);
    expect(await fault.text()).toBe("Internal Server Error");
    const faultId = fault.headers.get("x-amzn-requestid");
    // An invocation error, not a crash: no Status in the REPORT line, and the same container answers next.
    expect(image.reports()[1]).toMatch(new RegExp(`^REPORT RequestId: ${faultId}\\tDuration: [^\\t]+\\tBilled Duration: \\d+ ms\\tMemory Size: 2048 MB\\tMax Memory Used: \\d+ MB$`));
    expect(await (await fetch(`${image.url}/health`)).json()).toMatchObject({ coldStart: false });

    // ONNX Runtime's native logger writes to stderr itself, past the runtime client's formatting (as on Lambda).
    const nativeLine = /\[[VIWEF]:onnxruntime:/;
    const logLines = image.output.join("").split("\n").filter((line) => line.trim() !== "" && !nativeLine.test(line));
    for (const line of logLines) expect(() => JSON.parse(line), line).not.toThrow();
    const records = logLines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records).toContainEqual(expect.objectContaining({ level: "INFO", requestId: faultId, message: "fault-handler: throwing on purpose" }));
    expect(records).toContainEqual(expect.objectContaining({ level: "ERROR", requestId: faultId, message: expect.objectContaining({ errorType: "TypeError" }) }));

    const slow = await fetch(`${image.url}/sleep`);
    expect(slow.status).toBe(502);
    expect(image.reports().at(-1)).toMatch(/\tStatus: timeout$/);
    expect(image.lines.some((line) => line.includes("Task timed out after 3.00 seconds"))).toBe(true);
    const after = await fetch(`${image.url}/health`);
    expect(await after.json()).toMatchObject({ coldStart: true });
    expect(image.reports().at(-1)).toContain("Init Duration");
  });

  it("a broken model folder fails init through init/error; the URL answers 502 and the REPORT names the error type", async () => {
    // The image's own manifest beside a model file cut short: the sha256 check at init refuses it.
    const brokenModel = await mkdtemp(join(tmpdir(), "broken-model-"));
    try {
      await cp(modelDir, brokenModel, { recursive: true });
      const manifest = JSON.parse(await readFile(join(modelDir, "model.json"), "utf8")) as { file: string };
      const modelBytes = await readFile(join(modelDir, manifest.file));
      await writeFile(join(brokenModel, manifest.file), modelBytes.subarray(0, modelBytes.length >> 1));
      await chmod(brokenModel, 0o755);
      const image = await startImage({ runArgs: ["--volume", `${brokenModel}:/var/task/model:ro`] }, { initUpFront: false });
      const answer = await fetch(`${image.url}/health`);
      expect(answer.status).toBe(502);
      const requestId = answer.headers.get("x-amzn-requestid");
      const report = image.reports()[0];
      expect(report).toMatch(new RegExp(`^REPORT RequestId: ${requestId}\\t.*\\tStatus: error\\tError Type: ModelLoadError$`));
      expect(image.lines).toContainEqual(expect.stringMatching(new RegExp(`^${requestId} ModelLoadError: sha256 mismatch for /var/task/model/`)));
      console.log(`broken model folder: ${image.lines.find((line) => line.startsWith(requestId!))}`);
    } finally {
      await rm(brokenModel, { recursive: true, force: true });
    }
  });
});

describe("the same image as a Fargate task: the entry override runs server.mjs", () => {
  it("serves the API on PORT, classifies as the function does, and exits 0 on SIGTERM (podman stop)", async () => {
    const port = await freePort();
    const name = `server-entry-${randomBytes(6).toString("hex")}`;
    // As the task definition runs it: entryPoint node, command the task root's server.mjs, its user, root read-only.
    const args = ["run", "--rm", "--name", name, "--network", "host", "--read-only", "--user", SERVER_USER, "--env", `PORT=${port}`, "--env", "SERVER_WORKERS=1"];
    const container = spawn("podman", podmanArgs([...args, "--entrypoint", JSON.stringify(SERVER_ENTRY_POINT), ref, ...SERVER_COMMAND]), { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    container.stdout!.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
    container.stderr!.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
    const exited = new Promise<number | null>((resolve) => container.once("exit", (code) => resolve(code)));
    try {
      const before = performance.now();
      await waitFor(() => /"message":"listening"/.test(output), exited, () => output);
      const readyMs = performance.now() - before;
      const url = `http://127.0.0.1:${port}`;

      const health = await fetch(`${url}/health`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ status: "ok" });

      const picture = await testImage("jpeg", 96, 64, 7);
      const classify = async (base: string) => {
        const answer = await fetch(`${base}/classify`, { method: "POST", headers: { "content-type": "image/jpeg" }, body: picture });
        expect(answer.status).toBe(200);
        return ((await answer.json()) as { predictions: Array<{ label: string; score: number }> }).predictions;
      };
      const fromServer = await classify(url);
      const inProcess = await startLocalFunctionUrl({ handlerModule: inProcessHandler, port: 0, log: () => {} });
      started.push(inProcess);
      expect(fromServer.map((prediction) => prediction.label)).toEqual((await classify(inProcess.url)).map((prediction) => prediction.label));
      expect(output).toContain('"message":"request"');

      await runPodman(["stop", "--time", "30", name]);
      expect(await exited).toBe(0);
      console.log(`server.mjs in the image: podman run → listening ${readyMs.toFixed(0)} ms`);
    } finally {
      await runPodman(["rm", "--force", "--time", "0", name]).catch(() => undefined);
    }
  });
});

/** A port free on 127.0.0.1 right now (the container binds it on the host network). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Polls `ready` until it holds; rejects with the output when the container exits first or after 60 s. */
async function waitFor(ready: () => boolean, exited: Promise<number | null>, output: () => string): Promise<void> {
  let exitCode: number | null | undefined;
  void exited.then((code) => (exitCode = code));
  const deadline = performance.now() + 60_000;
  while (!ready()) {
    if (exitCode !== undefined) throw new Error(`the container exited with ${exitCode} before it listened: ${output().slice(-2000)}`);
    if (performance.now() > deadline) throw new Error(`server.mjs did not listen within 60 s: ${output().slice(-2000)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

afterAll(async () => {
  await Promise.all(started.splice(0).map((functionUrl) => functionUrl.close()));
});
