import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { Agent, request as httpRequest } from "node:http";
import type { AddressInfo } from "node:net";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createHandler } from "../handler/app.js";
import { Classifier } from "../handler/classifier.js";
import { loadConfig } from "../handler/config.js";
import { createEntryServer } from "../handler/server/entry-server.js";
import { WorkerPool } from "../handler/server/worker-pool.js";
import { Telemetry } from "../handler/telemetry.js";
import { buildLambda, serverBundleFile } from "../scripts/build-time/bundle/build-lambda.js";
import { SERVER_DEFAULTS } from "../handler/server/settings.js";
import { functionUrlEvent } from "./support/function-url-event.js";
import { describeHttpContract } from "./support/http-contract.js";

interface RunningServer {
  child: ChildProcess;
  url: string;
  /** Every stdout line so far. */
  lines: string[];
  /** Resolves with the first stdout line (from now on or before) that matches. */
  waitForLine(pattern: RegExp): Promise<string>;
  /** stderr so far (Powertools writes ERROR lines there). */
  stderr(): string;
  exited: Promise<number | null>;
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

let taskRoot: string;
const servers: ChildProcess[] = [];

const baseEnv = (taskRoot: string): NodeJS.ProcessEnv => ({
  PATH: process.env.PATH,
  HOME: taskRoot,
  LAMBDA_TASK_ROOT: taskRoot,
  PORT: "0",
  ORT_INTRA_OP_THREADS: "1",
});

function startServer(env: NodeJS.ProcessEnv): RunningServer {
  const child = spawn(process.execPath, [join(taskRoot, serverBundleFile)], { cwd: taskRoot, env: { ...baseEnv(taskRoot), ...env }, stdio: ["ignore", "pipe", "pipe"] });
  servers.push(child);
  const lines: string[] = [];
  const waiters: Array<{ pattern: RegExp; resolve: (line: string) => void }> = [];
  let partial = "";
  child.stdout!.on("data", (chunk: Buffer) => {
    const parts = (partial + chunk.toString("utf8")).split("\n");
    partial = parts.pop()!;
    for (const line of parts) {
      lines.push(line);
      for (const waiter of waiters.filter((w) => w.pattern.test(line))) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(line);
      }
    }
  });
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const waitForLine = (pattern: RegExp) => {
    const seen = lines.find((line) => pattern.test(line));
    if (seen) return Promise.resolve(seen);
    return Promise.race([
      new Promise<string>((resolve) => waiters.push({ pattern, resolve })),
      exited.then((code) => Promise.reject(new Error(`server exited (${code}) before ${pattern}: ${stderr}`))),
    ]);
  };
  return { child, url: "", lines, waitForLine, exited, stderr: () => stderr };
}

async function startListening(env: NodeJS.ProcessEnv): Promise<RunningServer> {
  const server = startServer(env);
  const line = await server.waitForLine(/"message":"listening"/);
  const { port } = JSON.parse(line) as { port: number };
  return { ...server, url: `http://127.0.0.1:${port}` };
}

/** One request on its own connection (no keep-alive pool), unless an agent is given. */
function send(url: string, method: string, path: string, body?: Uint8Array, headers: Record<string, string> = {}, agent?: Agent): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(`${url}${path}`, { method, headers, agent: agent ?? false }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => resolve({ status: response.statusCode!, headers: response.headers, body: Buffer.concat(chunks).toString("utf8") }));
      response.on("error", reject);
    });
    request.on("error", reject);
    request.end(body);
  });
}

/** `count` POSTs of `body`, each on its own connection; resolves once every one has been written to its socket. */
async function postedBeforeReturning(url: string, count: number, body: Uint8Array): Promise<Array<{ answer: Promise<Answer> }>> {
  const posts = Array.from({ length: count }, () => {
    let written: () => void = () => {};
    const sent = new Promise<void>((resolve) => (written = resolve));
    const answer = new Promise<Answer>((resolve, reject) => {
      const request = httpRequest(`${url}/classify`, { method: "POST", headers: { "content-type": "image/jpeg" }, agent: false }, (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () => resolve({ status: response.statusCode!, headers: response.headers, body: Buffer.concat(chunks).toString("utf8") }));
        response.on("error", reject);
      });
      request.on("error", reject);
      request.on("finish", () => written());
      request.end(body);
    });
    answer.catch(() => {}); // awaited by the caller; a failed assertion before then must not leave it unhandled
    return { sent, answer };
  });
  await Promise.all(posts.map(({ sent }) => sent));
  return posts.map(({ answer }) => ({ answer }));
}

const postJpeg = (url: string, jpeg: Uint8Array) => send(url, "POST", "/classify", jpeg, { "content-type": "image/jpeg" });

const errorCode = (answer: Answer) => (JSON.parse(answer.body) as { error: { code: string } }).error.code;

let jpeg: Buffer;
let largeJpeg: Buffer;

beforeAll(async () => {
  taskRoot = await mkdtemp(join(tmpdir(), "server-entry-"));
  await buildLambda({ arch: "x64", outDir: taskRoot });
  jpeg = await sharp({ create: { width: 640, height: 480, channels: 3, background: { r: 90, g: 140, b: 200 } } })
    .composite([{ input: { create: { width: 200, height: 160, channels: 3, background: { r: 250, g: 220, b: 30 } } }, left: 100, top: 80 }])
    .jpeg({ quality: 85 })
    .toBuffer();
  // Noise decodes slowly: requests that keep a worker busy for a while.
  largeJpeg = await sharp({ create: { width: 3000, height: 2000, channels: 3, background: "#808080", noise: { type: "gaussian", mean: 128, sigma: 40 } } })
    .jpeg({ quality: 90 })
    .toBuffer();
}, 60_000);

afterAll(async () => {
  for (const child of servers) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  if (taskRoot) await rm(taskRoot, { recursive: true, force: true });
});

describe("server.mjs from the built task root: one worker, a queue of one", () => {
  const maxBodyBytes = 8 * 1024 * 1024;
  let server: RunningServer;

  beforeAll(async () => {
    server = await startListening({ SERVER_WORKERS: "1", SERVER_QUEUE_DEPTH: "1", MAX_BODY_BYTES: String(maxBodyBytes) });
  }, 30_000);
  afterAll(() => {
    server?.child.kill("SIGKILL");
  });

  it("logs one listening line with the real port once its worker is ready", () => {
    const listening = server.lines.filter((line) => line.includes('"message":"listening"'));
    expect(listening).toHaveLength(1);
    expect(JSON.parse(listening[0]!)).toMatchObject({ level: "INFO", workers: 1, threadsPerWorker: 1, queueDepth: 1, maxBodyBytes });
    expect(server.lines.some((line) => line.includes('"message":"initialised"'))).toBe(true);
  });

  it("classifies a JPEG with the predictions of a direct handler call, and logs one request line and EMF for it", async () => {
    const answer = await postJpeg(server.url, jpeg);
    expect(answer.status, answer.body).toBe(200);
    expect(answer.headers["content-type"]).toBe("application/json");

    const config = loadConfig({ MODEL_DIR: join(taskRoot, "model"), ORT_INTRA_OP_THREADS: "1" });
    const classifier = await Classifier.load(config.modelDir, {
      threads: 1,
      maxPixels: config.maxImagePixels,
      maxRequestPixels: config.maxRequestPixels,
      decodeConcurrency: config.maxConcurrentDecodes,
    });
    try {
      const handler = createHandler({ config, classifier, telemetry: new Telemetry({ ...config, logLevel: "SILENT" }) });
      const direct = await handler(functionUrlEvent({ method: "POST", path: "/classify", headers: { "content-type": "image/jpeg" }, body: jpeg }));
      const predictions = (body: string) => (JSON.parse(body) as { predictions: unknown }).predictions;
      expect(predictions(answer.body)).toEqual(predictions(direct.body));
    } finally {
      await classifier.dispose();
    }

    const requestId = answer.headers["x-amzn-requestid"] as string;
    const requestLine = await server.waitForLine(new RegExp(`"message":"request".*"requestId":"${requestId}"`));
    expect(JSON.parse(requestLine)).toMatchObject({ level: "INFO", method: "POST", route: "POST /classify", status: 200, images: 1 });
    expect(server.lines.filter((line) => line.includes(`"requestId":"${requestId}"`))).toHaveLength(1);
    const metrics = server.lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((entry) => "_aws" in entry);
    expect(metrics.some((entry) => entry.Requests === 1 && entry.Images === 1)).toBe(true);
  });

  it("answers GET /health at once while the only worker is busy, without queueing it", async () => {
    const order: string[] = [];
    const busy = postJpeg(server.url, largeJpeg).then((answer) => (order.push("classify"), answer));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const health = await send(server.url, "GET", "/health");
    order.push("health");
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body)).toMatchObject({ status: "ok", model: { name: expect.any(String) }, coldStart: false });
    expect((await busy).status).toBe(200);
    expect(order).toEqual(["health", "classify"]);
  });

  it("answers 429 THROTTLED with the standard error body beyond one running and one queued request", async () => {
    const sent = 8;
    const answers = await Promise.all(Array.from({ length: sent }, () => postJpeg(server.url, largeJpeg)));
    const refused = answers.filter((answer) => answer.status === 429);
    const accepted = answers.filter((answer) => answer.status !== 429);
    expect(accepted.length + refused.length).toBe(sent);
    expect(refused.length).toBeGreaterThanOrEqual(1);
    expect(accepted.map((answer) => answer.status)).toEqual(accepted.map(() => 200));
    for (const answer of refused) {
      expect(answer.headers["content-type"]).toBe("application/json");
      const body = JSON.parse(answer.body) as { error: { code: string; message: string }; requestId: string };
      expect(body.error.code).toBe("THROTTLED");
      expect(body.requestId).toBe(answer.headers["x-amzn-requestid"]);
    }
  });

  it("hands a body over Lambda's 6 MB but within MAX_BODY_BYTES to the handler, which answers with its own 4xx", async () => {
    const answer = await postJpeg(server.url, new Uint8Array(7 * 1024 * 1024).fill(0x41));
    expect(answer.status).toBeGreaterThanOrEqual(400);
    expect(answer.status).toBeLessThan(500);
    expect(errorCode(answer)).not.toBe("PAYLOAD_TOO_LARGE");
    expect(errorCode(answer)).toMatch(/^(INVALID_IMAGE|UNSUPPORTED_MEDIA_TYPE)$/);
  });

  it("refuses a body over MAX_BODY_BYTES with 413 PAYLOAD_TOO_LARGE JSON", async () => {
    const answer = await postJpeg(server.url, new Uint8Array(maxBodyBytes + 1024));
    expect(answer.status).toBe(413);
    expect(errorCode(answer)).toBe("PAYLOAD_TOO_LARGE");
  });
});

describe("server.mjs: SIGTERM under load", () => {
  it("finishes every accepted request, refuses new connections, answers /health 503 on a kept-alive connection, exits 0", async () => {
    const server = await startListening({ SERVER_WORKERS: "2" });
    const keepAlive = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      expect((await send(server.url, "GET", "/health", undefined, {}, keepAlive)).status).toBe(200);

      const load = await postedBeforeReturning(server.url, 10, largeJpeg);
      server.child.kill("SIGTERM");
      await server.waitForLine(/"message":"draining"/);

      const { port } = new URL(server.url);
      const refusal = await new Promise<string>((resolve) => {
        const socket = connect(Number(port), "127.0.0.1");
        socket.once("connect", () => (socket.destroy(), resolve("connected")));
        socket.once("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
      });
      expect(refusal).toBe("ECONNREFUSED");

      const health = await send(server.url, "GET", "/health", undefined, {}, keepAlive);
      expect([health.status, errorCode(health), health.headers.connection]).toEqual([503, "SHUTTING_DOWN", "close"]);

      const answers = await Promise.all(load.map(({ answer }) => answer));
      for (const answer of answers) {
        expect(answer.status, answer.body).toBe(200);
        expect((JSON.parse(answer.body) as { predictions: unknown[] }).predictions.length).toBeGreaterThan(0);
      }
      expect(await server.exited).toBe(0);
      expect(server.lines.some((line) => line.includes('"message":"stopped"'))).toBe(true);
    } finally {
      keepAlive.destroy();
      server.child.kill("SIGKILL");
    }
  }, 40_000);
});

describe("server.mjs: SIGTERM when the drain takes longer than SERVER_DRAIN_SECONDS", () => {
  it("exits 1 and logs the ids of the requests it cut off", async () => {
    const server = await startListening({ SERVER_WORKERS: "1", SERVER_QUEUE_DEPTH: "16", SERVER_DRAIN_SECONDS: "1" });
    try {
      // About half a second each on one worker: twelve take several seconds, far more than the one allowed.
      const load = await postedBeforeReturning(server.url, 12, largeJpeg);
      server.child.kill("SIGTERM");
      expect(await server.exited).toBe(1);
      // 'exit' can come before the last of the pipe's output: wait for the line itself.
      const cutOffLine = await vi.waitFor(() => {
        const line = server.stderr().split("\n").find((candidate) => candidate.includes('"message":"drain cut off"'));
        if (!line) throw new Error(`no "drain cut off" line in stderr yet: ${server.stderr().slice(-500)}`);
        return line;
      });
      const cutOff = JSON.parse(cutOffLine!) as { running: string[]; queued: string[]; drainSeconds: number };
      expect(cutOff.drainSeconds).toBe(1);
      expect(cutOff.running.length + cutOff.queued.length).toBeGreaterThan(0);
      const settled = await Promise.allSettled(load.map(({ answer }) => answer));
      expect(settled.filter((outcome) => outcome.status === "rejected").length).toBeGreaterThan(0);
      expect(server.lines.some((line) => line.includes('"message":"stopped"'))).toBe(false);
    } finally {
      server.child.kill("SIGKILL");
    }
  }, 40_000);
});

describe("server.mjs: invalid settings", () => {
  it("exits 1 with one message naming each bad variable, before loading any model", async () => {
    const server = startServer({ SERVER_WORKERS: "0", SERVER_DRAIN_SECONDS: "soon", TOP_K_DEFAULT: "many" });
    let stderr = "";
    server.child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    expect(await server.exited).toBe(1);
    for (const name of ["SERVER_WORKERS", "SERVER_DRAIN_SECONDS", "TOP_K_DEFAULT"]) expect(stderr).toContain(name);
    expect(server.lines.some((line) => line.includes('"message":"initialised"'))).toBe(false);
  });
});

describe("the worker pool behind the server: a worker that crashes", () => {
  it("answers the request it ran 500 INTERNAL_ERROR without a stack, replaces the worker and keeps serving", async () => {
    const workerUrl = new URL("./fixtures/server/crashing-worker.mjs", import.meta.url);
    const pool = new WorkerPool(1, workerUrl, { env: {} });
    const manifest = await pool.start();
    expect(manifest.name).toBe("stand-in");
    const telemetry = new Telemetry({ serviceName: "test", metricsNamespace: "Test", logLevel: "SILENT" });
    const entry = createEntryServer({ pool, queueDepth: 4, maxBodyBytes: 1024, health: () => ({ statusCode: 200, headers: {}, body: "{}" }), telemetry });
    entry.server.listen(0, "127.0.0.1");
    await once(entry.server, "listening");
    const url = `http://127.0.0.1:${(entry.server.address() as AddressInfo).port}`;
    try {
      const crashed = await send(url, "POST", "/classify", Buffer.from("crash now"));
      expect(crashed.status).toBe(500);
      expect(JSON.parse(crashed.body)).toEqual({ error: { code: "INTERNAL_ERROR", message: "internal error" }, requestId: crashed.headers["x-amzn-requestid"] });

      const after = await send(url, "POST", "/classify", Buffer.from("hello"));
      expect([after.status, JSON.parse(after.body)]).toEqual([200, { echo: "hello" }]);
    } finally {
      entry.server.close();
      entry.server.closeAllConnections();
      await pool.stop();
    }
  });
});

// The same API contract tests as npm start's (test/http-contract.test.ts), over real sockets, with the defaults.
describeHttpContract("server.mjs from the built task root: the function URL's API contract, default settings", async () => {
  const server = await startListening({});
  return {
    url: server.url,
    maxBodyBytes: SERVER_DEFAULTS.maxBodyBytes,
    close: async () => {
      server.child.kill("SIGTERM");
      expect(await server.exited).toBe(0);
    },
  };
});
